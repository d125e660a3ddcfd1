"""Campaign sending (003_cbc9c0a7e9c8bb3b.txt) and providers' request formats and errors."""

import json

import httpx
import pytest

PHONE = "+34600000001"


def test_phone_must_be_international(p):
    national = p.customer("0612345678")
    assert national["phone"] is None and national["phone_raw"] == "0612345678"
    assert p.send_one(national)["reason"] == "no_phone"
    assert p.send_one(p.customer("0034600000001"))["status"] == "enqueued"
    assert [m["to"] for m in p.providers.sent] == ["+34600000001"]


@pytest.mark.parametrize("sender,ok", [("ShopShopSho", True), ("ShopShopShop", False), ("+4915112348765", True),
                                       ("11221", True)])
def test_sender_at_most_11_characters(p, sender, ok):
    response = p.send_raw(customer_ids=[p.customer()["id"]], body="Hi", sender=sender)
    assert (response.status_code == 200) is ok
    if not ok:
        assert response.json()["errors"][0]["path"] == "sender"
    assert (p.put_config({"sending": {"sender": sender}}).status_code == 200) is ok


@pytest.mark.parametrize("body,encoding,parts", [
    ("a" * 160, "GSM", 1), ("a" * 161, "GSM", 2), ("a" * 306, "GSM", 2), ("a" * 307, "GSM", 3),
    ("€" * 80, "GSM", 1), ("€" * 81, "GSM", 2), ("a" * 159 + "€", "GSM", 2), ("a" * 158 + "€", "GSM", 1),
    ("a" * 152 + "€" + "a" * 152, "GSM", 3),  # the escape pair is not split: 152 | 2+151 | 1
    ("ш" * 70, "UCS2", 1), ("ш" * 71, "UCS2", 2), ("ш" * 134, "UCS2", 2), ("ш" * 135, "UCS2", 3),
    ("a" * 159 + "é", "GSM", 1), ("a" * 69 + "😀", "UCS2", 2),
])
def test_segment_count(p, body, encoding, parts):
    outcome = p.send_one(p.customer(), body)
    assert (outcome["encoding"], outcome["segment_count"]) == (encoding, parts)


def test_more_parts_than_allowed_are_not_sent(p):
    customer = p.customer()
    assert p.send_one(customer, "a" * 153 * 8)["status"] == "enqueued"
    outcome = p.send_one(customer, "a" * (153 * 8 + 1), campaign_id="long")
    assert (outcome["status"], outcome["reason"], outcome["segment_count"]) == ("enqueue_failed", "too_many_parts", 9)
    assert len(p.providers.sent) == 1
    assert [e["campaign_id"] for e in p.campaign_events(customer["id"], "enqueue_failed")] == ["long"]
    assert p.send_one(customer, "a" * 161, max_parts=1)["reason"] == "too_many_parts"
    assert p.send_one(customer, "a" * 161, max_parts=2)["status"] == "enqueued"
    assert p.send_raw(customer_ids=[customer["id"]], body="x", max_parts=9).status_code == 422
    assert p.put_config({"sending": {"max_parts": 9}}).status_code == 422


def test_personalization_is_counted_after_rendering(p):
    tim = p.customer(attributes={"first_name": "Tim"})
    jacob = p.customer(attributes={"first_name": "Jacobson"})
    body = "Hi {{ first_name }}" + "a" * 154
    tim_outcome, jacob_outcome = p.send([tim, jacob], body, max_parts=1)
    assert tim_outcome["status"] == "enqueued" and tim_outcome["body"] == "Hi Tim" + "a" * 154
    assert (jacob_outcome["status"], jacob_outcome["segment_count"]) == ("enqueue_failed", 2)
    unicode_name = p.customer(attributes={"first_name": "Жора"})
    assert p.send_one(unicode_name, "Hi {{ first_name }}" + "a" * 70)["encoding"] == "UCS2"


def test_only_customers_with_consent_in_the_category(p):
    accepted = p.customer()
    none = p.customer(consents={})
    rejected = p.customer(consents={"sms_marketing": "reject"})
    other = p.customer(consents={"sms_news": "accept"})
    outcomes = p.send([accepted, none, rejected, other])
    assert [(o["status"], o["reason"]) for o in outcomes] == [
        ("enqueued", None), ("skipped", "no_consent"), ("skipped", "consent_rejected"), ("skipped", "no_consent")]
    assert p.send_one(none, kind="transactional")["status"] == "enqueued"


def test_frequency_policy(p):
    p.configure(sending={"frequency_policy": {"max_campaigns": 2, "period_hours": 24}})
    customer = p.customer()
    statuses = [p.send_one(customer, campaign_id=f"c{i}")["status"] for i in range(3)]
    assert statuses == ["enqueued", "enqueued", "skipped"]
    assert p.send_one(customer, campaign_id="c3")["reason"] == "frequency_policy"
    assert p.send_one(customer, kind="transactional")["status"] == "enqueued"
    p.advance(24 * 3600)
    assert p.send_one(customer, campaign_id="c4")["status"] == "enqueued"


def test_campaign_events_through_delivery(p):
    customer = p.customer()
    outcome = p.send_one(customer, "Sale today", campaign_id="c1")
    [mt] = p.providers.sent
    p.advance(5)
    p.dlr(mt, "Delivered")
    events = p.campaign_events(customer["id"])
    assert [e["status"] for e in events] == ["enqueued", "delivered"]
    for event in events:
        assert event["action_type"] == "sms" and event["campaign_id"] == "c1"
        assert event["recipient"] == PHONE and event["sender"] == "Shop" and event["message"] == "Sale today"
        assert event["provider_message_id"] == outcome["provider_message_id"]
    assert events[1]["timestamp"] == "2026-01-05T10:00:05.000Z"


@pytest.mark.parametrize("provider", ["sinch", "cm", "instasent"])
@pytest.mark.parametrize("status,event", [("Failed", "failed"), ("Expired", "expired"), ("Rejected", "rejected")])
def test_failed_deliveries_are_tracked(p, provider, status, event):
    customer = p.customer()
    p.send_one(customer, provider=provider)
    p.dlr(p.providers.sent[0], status)
    assert p.campaign_events(customer["id"])[-1]["status"] == event


def test_language_versions_by_customer_language(p):
    fr, es, none = p.customer(language="fr"), p.customer(language="es"), p.customer()
    outcomes = p.send([fr, es, none], "Hello", language_versions={"fr": "Bonjour", "de": "Hallo"})
    assert [o["body"] for o in outcomes] == ["Bonjour", "Hello", "Hello"]


def test_link_shortener(p):
    p.configure(sending={"link_shortener": {"enabled": True, "domain": "exp.cx", "expiry_days": 90}})
    long_url = "https://shop.example.com/" + "x" * 200 + "?utm=sms"
    outcome = p.send_one(p.customer(), f"Sale {long_url} and www.example.com/keep example.org", max_parts=1)
    assert outcome["status"] == "enqueued" and outcome["segment_count"] == 1
    words = outcome["body"].split()
    assert words[0] == "Sale" and words[1].startswith("https://exp.cx/") and words[2:] == [
        "and", "www.example.com/keep", "example.org"]
    code = words[1].rsplit("/", 1)[1]
    redirect = p.client.get(f"/r/{code}", follow_redirects=False)
    assert redirect.status_code == 302 and redirect.headers["location"] == long_url
    p.advance(90 * 86400 - 1)
    assert p.client.get(f"/r/{code}", follow_redirects=False).status_code == 302
    p.advance(1)
    assert p.client.get(f"/r/{code}", follow_redirects=False).status_code == 404
    assert p.client.get("/r/nothere", follow_redirects=False).status_code == 404


def test_links_left_alone_when_the_shortener_is_off(p):
    outcome = p.send_one(p.customer(), "See https://example.com/a")
    assert outcome["body"] == "See https://example.com/a"


def test_provider_chosen_per_send_or_by_default(p):
    customer = p.customer()
    p.send_one(customer, "via default")
    p.send_one(customer, "via cm", provider="cm")
    p.send_one(customer, "via instasent", provider="instasent")
    p.configure(default_provider="instasent")
    p.send_one(customer, "new default")
    assert [(m["provider"], m["body"]) for m in p.providers.sent] == [
        ("sinch", "via default"), ("cm", "via cm"), ("instasent", "via instasent"), ("instasent", "new default")]


def test_provider_request_formats(p):
    customer = p.customer()
    for provider in ("sinch", "cm", "instasent"):
        p.send_one(customer, "Hi", provider=provider)
    sinch, cm, instasent = p.providers.requests  # as journaled by the fakes, which check each credential
    assert (sinch["path"], sinch["status"]) == ("/xms/v1/SP1/batches", 201)
    body = sinch["request_body"]
    assert body["to"] == [PHONE] and body["from"] == "Shop" and body["type"] == "mt_text"
    assert body["callback_url"] == p.webhooks["sinch"]["dlr"] and body["delivery_report"] == "per_recipient"
    msg = cm["request_body"]["messages"]
    assert msg["authentication"]["producttoken"] == "00000000-0000-0000-0000-000000000001"
    assert msg["msg"][0]["to"] == [{"number": "0034600000001"}] and msg["msg"][0]["body"]["content"] == "Hi"
    assert cm["status"] == 200 and instasent["status"] == 201
    assert instasent["request_body"]["to"] == PHONE


def test_unicode_flag_for_instasent(p):
    p.send_one(p.customer(), "Привет", provider="instasent")
    assert p.providers.requests[0]["request_body"]["allowUnicode"] is True


@pytest.mark.parametrize("provider,status", [("sinch", 400), ("sinch", 403), ("cm", 400), ("instasent", 402)])
def test_provider_4xx_fails_the_send_with_its_reason(p, provider, status):
    customer = p.customer()
    p.providers.fail_next(provider, httpx.Response(status))  # the fake answers its own error body, "Injected fault"
    outcome = p.send_one(customer, provider=provider)
    assert (outcome["status"], outcome["reason"]) == ("failed", "provider_error")
    assert "Injected fault" in outcome["message"] and str(status) in outcome["message"]
    assert len(p.providers.requests) == 1
    assert p.campaign_events(customer["id"])[-1]["status"] == "failed"


@pytest.mark.parametrize("status", [500, 503, 429])
def test_provider_5xx_and_429_are_retried(p, status):
    p.providers.fail_next("sinch", httpx.Response(status, headers={"Retry-After": "0"}),
                          httpx.Response(status, json={}))
    outcome = p.send_one(p.customer())
    assert outcome["status"] == "enqueued"  # after two refusals: retried
    assert len(p.providers.sent) == 1


def test_provider_down_for_good_fails_the_send(p):
    p.providers.fail_next("sinch", *[httpx.Response(503)] * 4)
    outcome = p.send_one(p.customer())
    assert (outcome["status"], outcome["reason"]) == ("failed", "provider_error") and "503" in outcome["message"]


def test_invalid_send_requests_list_every_problem(p):
    response = p.send_raw(kind="broadcast", body=None, customer_ids=["nobody"], max_parts=0, provider="twilio")
    assert response.status_code == 422
    assert {"kind", "body", "customer_ids[0]", "max_parts", "provider"} <= {e["path"] for e in response.json()["errors"]}


def test_personalization_failure_fails_that_recipient_only(p):
    bad = p.customer(attributes={"first_name": "Ana"})
    outcomes = p.send([bad], "Hi {{ first_name.missing.deeper }}")
    assert (outcomes[0]["status"], outcomes[0]["reason"]) == ("failed", "render_error")
    assert p.send_raw(customer_ids=[bad["id"]], body="Hi {{ first_name").status_code == 422
