"""Subscription and phone status (002_ead92db5910c5d4c.txt)."""

import pytest

PHONE = "+34600000001"


@pytest.mark.parametrize("status", ["bounced", "paused"])
def test_only_active_phones_are_sent_to(p, status):
    customer = p.customer(mobile_phone_status=status)
    for kind in ("campaign", "transactional"):
        outcome = p.send_one(customer, kind=kind)
        assert (outcome["status"], outcome["reason"]) == ("skipped", f"phone_{status}")
    assert p.providers.sent == []


@pytest.mark.parametrize("subscription,newsletter", [("subscribed", True), ("not_subscribed", False), ("none", False)])
def test_subscription_status_newsletter_and_transactional(p, subscription, newsletter):
    customer = p.customer(sms_subscription=subscription)
    outcome = p.send_one(customer, kind="campaign")
    assert (outcome["status"] == "enqueued") is newsletter
    if not newsletter:
        assert outcome["reason"] == "not_subscribed"
    assert p.send_one(customer, kind="transactional")["status"] == "enqueued"


@pytest.mark.parametrize("provider,code", [("sinch", 402), ("cm", 9), ("instasent", 4)])
def test_bounce_reported_by_the_provider_sets_the_phone_bounced(p, provider, code):
    customer = p.customer()
    p.send_one(customer, kind="transactional", provider=provider)
    p.dlr(p.providers.sent[0], "Failed", code=code)
    assert p.get_customer(customer["id"])["mobile_phone_status"] == "bounced"
    assert p.campaign_events(customer["id"])[-1]["status"] == "failed"
    assert p.send_one(customer)["reason"] == "phone_bounced"


@pytest.mark.parametrize("provider", ["sinch", "cm", "instasent"])
def test_a_plain_failure_keeps_the_phone_active(p, provider):
    customer = p.customer()
    p.send_one(customer, provider=provider)
    p.dlr(p.providers.sent[0], "Failed", code=1)
    assert p.get_customer(customer["id"])["mobile_phone_status"] == "active"


def test_alerts_go_to_the_fixed_number(p):
    customers = [p.customer("+34600000001"), p.customer("+34600000002", consents={}, sms_subscription="none")]
    outcomes = p.send(customers, "Stock low for {{ first_name }}", kind="alert", alert_phone="0034699999999")
    assert {o["phone"] for o in outcomes} == {"+34699999999"}
    assert {m["to"] for m in p.providers.sent} == {"+34699999999"}
    assert p.send([], "Server down", kind="alert", alert_phone="+34699999999")[0]["status"] == "enqueued"
    assert p.send_raw(kind="alert", body="x", alert_phone="699999999").status_code == 422


@pytest.mark.parametrize("given,stored", [("+34 600 000 001", "+34600000001"), ("0034600000001", "+34600000001"),
                                          ("+49 (151) 1234-8765", "+4915112348765"), ("600000001", None)])
def test_phones_stored_in_e164(p, given, stored):
    customer = p.customer(given)
    assert customer["phone"] == stored and customer["phone_raw"] == given


def test_sms_received_counts_deliveries_by_sms_kind_and_window(p):
    customer = p.customer()
    p.send_one(customer, campaign_id="c1")
    p.send_one(customer, campaign_id="c1")
    p.send_one(customer, campaign_id="t1", kind="transactional")
    c1a, c1b, t1 = p.providers.sent
    assert p.received(customer["id"]) == 0
    p.advance(60)
    p.dlr(c1a)
    p.dlr(t1)
    p.advance(3600)
    p.dlr(c1b)
    p.dlr(c1b)  # a duplicate report counts once
    assert p.received(customer["id"]) == 3
    assert p.received(customer["id"], campaign_id="c1") == 2
    assert p.received(customer["id"], kind="transactional") == 1
    assert p.received(customer["id"], kind="campaign", until="2026-01-05T10:30:00.000Z") == 1
    assert p.received(customer["id"], since="2026-01-05T10:30:00.000Z") == 1


def test_customer_fields_round_trip_and_patch(p):
    customer = p.customer(language="fr", attributes={"first_name": "Ana"}, sms_subscription="none")
    assert customer["consents"]["sms_marketing"] == {"action": "accept", "timestamp": "2026-01-05T10:00:00.000Z"}
    patched = p.ok(p.client.patch(p.url(f"/customers/{customer['id']}"), json={"sms_subscription": "subscribed",
                                                                                "phone": "0034600000009"}))
    assert patched["sms_subscription"] == "subscribed" and patched["phone"] == "+34600000009"
    bad = p.client.post(p.url("/customers"), json={"phone": 5, "sms_subscription": "maybe", "consents": {"x": "yes"}})
    assert bad.status_code == 422 and len(bad.json()["errors"]) == 3
    assert p.client.get(p.url("/customers/nobody")).status_code == 404


@pytest.mark.parametrize("provider", ["sinch", "cm", "instasent"])
def test_bounce_reported_by_the_fake_handset_sets_the_phone_bounced(p, provider):
    customer = p.customer("+34600000004")  # the fakes' magic number: the handset no longer exists
    p.send_one(customer, kind="transactional", provider=provider)
    assert p.get_customer(customer["id"])["mobile_phone_status"] == "active"
    p.providers.advance(5)  # the outcome is due: the fake posts its delivery report to the platform
    assert p.get_customer(customer["id"])["mobile_phone_status"] == "bounced"
    assert p.send_one(customer)["reason"] == "phone_bounced"


@pytest.mark.parametrize("provider", ["sinch", "cm", "instasent"])
def test_delivery_reported_by_the_fake_is_tracked_and_counted(p, provider):
    customer = p.customer("+34612345678")
    p.send_one(customer, provider=provider)
    p.providers.advance(5)
    assert [e["status"] for e in p.campaign_events(customer["id"])] == ["enqueued", "delivered"]
    assert p.received(customer["id"]) == 1
