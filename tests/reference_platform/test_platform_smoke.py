def test_campaign_reaches_sinch(p):
    customer = p.customer(attributes={"first_name": "Tim"})
    outcome = p.send_one(customer, "Hello {{ first_name }}")
    assert outcome["status"] == "enqueued", outcome
    assert p.providers.sent[0]["body"] == "Hello Tim"
