"""Opt-out keywords (001_e387b1dd95e581ed.txt) through the driver API and Sinch MO callbacks."""

import pytest

from driven_platform import LONG_CODE

PHONE = "+34600000001"
BLACKLISTED = "Phone number is blacklisted by an opt-out keyword."

# 001: 'Messages that WILL trigger opt-out' and 'Messages that will NOT trigger opt-out'.
TRIGGER = ["STOP", "Stop", "stop", " stop", "šťóp", "stopwatches", "Arret", "ARRET", "arret", "arrêt"]
NO_TRIGGER = ["Please stop", "Unsubscribe me", "Garret", "barret"]


@pytest.mark.parametrize("body", TRIGGER)
def test_seed_messages_that_trigger_opt_out(p, body):
    p.customer(PHONE)
    p.mo(PHONE, body)
    assert [e["phone"] for e in p.opt_outs()["blacklist"]] == [PHONE]


@pytest.mark.parametrize("body", NO_TRIGGER)
def test_seed_messages_that_do_not_trigger_opt_out(p, body):
    customer = p.customer(PHONE)
    p.mo(PHONE, body)
    assert p.opt_outs()["blacklist"] == []
    p.advance(3600)
    assert p.events(customer["id"], "consent")[-1]["source"] == "driver"
    assert p.send_one(customer)["status"] == "enqueued"


def test_whitespace_inside_the_keyword_is_ignored(p):
    p.customer(PHONE)
    p.mo(PHONE, "s t o p")
    assert len(p.opt_outs()["blacklist"]) == 1


def test_keyword_limits_are_enforced_and_every_problem_listed(p):
    response = p.put_config({"two_way": {"keywords": ["k" * 21, "ok"] + [f"w{chr(97 + i % 26)}" for i in range(99)],
                                         "categories": ["a", "b", "c", "d", "e", "f"]}})
    assert response.status_code == 422
    paths = {e["path"] for e in response.json()["errors"]}
    assert {"two_way.keywords", "two_way.keywords[0]", "two_way.categories"} <= paths
    ok = p.put_config({"two_way": {"keywords": ["k" * 20] + [f"w{i:03d}" for i in range(99)],
                                   "categories": ["a", "b", "c", "d", "e"]}})
    assert ok.status_code == 200


def test_reply_blacklists_at_once_and_sends_fail_until_the_batch(p):
    customer = p.customer(PHONE)
    p.set_clock("2026-01-05T10:20:00.000Z")
    p.mo(PHONE, "STOP")
    [entry] = p.opt_outs()["blacklist"]
    assert entry == {"phone": PHONE, "received_at": "2026-01-05T10:20:00.000Z", "processed_at": None}
    outcome = p.send_one(customer, campaign_id="c1")
    assert (outcome["status"], outcome["reason"], outcome["message"]) == ("enqueue_failed", "blacklisted", BLACKLISTED)
    assert p.providers.sent == []
    [event] = p.campaign_events(customer["id"], "enqueue_failed")
    assert event["message"] == BLACKLISTED and event["action_type"] == "sms"
    assert [e for e in p.events(customer["id"], "consent") if e["source"] == "sms_reply"] == []
    assert p.campaign_events(customer["id"], "incoming_message") == []


def test_hourly_batch_writes_the_consent_and_incoming_events(p):
    customer = p.customer(PHONE)
    p.send_one(customer)
    p.set_clock("2026-01-05T10:20:00.000Z")
    p.mo(PHONE, "Stop please")
    moved = p.advance(39 * 60 + 59)
    assert moved["ran"] == [] and p.opt_outs()["blacklist"][0]["processed_at"] is None
    moved = p.advance(1)
    assert moved["ran"] == ["consent_batch@2026-01-05T11:00:00.000Z"]
    [reject] = [e for e in p.events(customer["id"], "consent") if e["source"] == "sms_reply"]
    assert reject == {"type": "consent", "customer_id": customer["id"], "action": "reject", "source": "sms_reply",
                      "category": "sms_marketing", "identification": PHONE, "identification_type": "phone",
                      "message": "Stop please", "timestamp": "2026-01-05T10:20:00.000Z",
                      "imported_timestamp": "2026-01-05T11:00:00.000Z"}
    [incoming] = p.campaign_events(customer["id"], "incoming_message")
    assert incoming["message"] == "Stop please" and incoming["sender"] == PHONE
    assert incoming["recipient"] == LONG_CODE and incoming["timestamp"] == "2026-01-05T10:20:00.000Z"
    assert p.get_customer(customer["id"])["consents"]["sms_marketing"]["action"] == "reject"
    outcome = p.send_one(customer)
    assert (outcome["status"], outcome["reason"]) == ("skipped", "consent_rejected")


def test_consent_events_for_every_opt_out_category(p):
    p.configure(two_way={"categories": ["sms_marketing", "sms_news"]},
                consent_categories=[{"name": "sms_marketing", "legal_basis": "consent"},
                                    {"name": "sms_news", "legal_basis": "consent"}])
    customer = p.customer(PHONE, consents={"sms_marketing": "accept", "sms_news": "accept"})
    p.mo(PHONE, "STOP")
    p.advance(3600)
    rejects = [e["category"] for e in p.events(customer["id"], "consent") if e["action"] == "reject"]
    assert sorted(rejects) == ["sms_marketing", "sms_news"]


def test_at_most_ten_profiles_are_unsubscribed_those_that_got_sms_first(p):
    profiles = [p.customer(PHONE, attributes={"n": i}) for i in range(12)]
    recent = [profiles[11], profiles[5]]
    for customer in recent:  # profiles[5] got the last SMS
        p.send_one(customer)
    p.mo(PHONE, "stop")
    p.advance(3600)
    rejected = {e["customer_id"] for e in p.events(type="consent") if e["source"] == "sms_reply"}
    expected = {c["id"] for c in recent} | {c["id"] for c in profiles[:9] if c is not profiles[5]}
    assert rejected == expected and len(rejected) == 10
    incoming = p.campaign_events(status="incoming_message")
    assert [e["customer_id"] for e in incoming] == [profiles[5]["id"]]


def test_two_profiles_both_unsubscribed_incoming_tracked_once(p):
    first, second = p.customer(PHONE), p.customer(PHONE)
    p.send([first, second])
    p.mo(PHONE, "STOP")
    p.advance(3600)
    assert {e["customer_id"] for e in p.events(type="consent") if e["source"] == "sms_reply"} == {first["id"], second["id"]}
    assert [e["customer_id"] for e in p.campaign_events(status="incoming_message")] == [second["id"]]


def test_incoming_goes_to_the_oldest_profile_when_none_got_an_sms(p):
    first, _second = p.customer(PHONE), p.customer(PHONE)
    p.mo(PHONE, "hello there")
    assert [e["customer_id"] for e in p.campaign_events(status="incoming_message")] == [first["id"]]


def test_other_replies_are_tracked_at_once(p):
    customer = p.customer(PHONE)
    p.set_clock("2026-01-05T10:07:00.000Z")
    p.mo(PHONE, "Great service, 10/10")
    [event] = p.campaign_events(customer["id"], "incoming_message")
    assert event["timestamp"] == "2026-01-05T10:07:00.000Z" and event["message"] == "Great service, 10/10"


def test_incoming_not_tracked_when_tracking_is_off(p):
    customer = p.customer(PHONE)
    p.configure(two_way={"track_incoming": False})
    p.mo(PHONE, "hello")
    assert p.campaign_events(customer["id"], "incoming_message") == []


@pytest.mark.parametrize("stored,replied", [("+34600000001", "34600000001"), ("0034600000001", "+34600000001"),
                                            ("+34 600 000 001", "0034600000001")])
def test_phone_forms_match(p, stored, replied):
    customer = p.customer(stored)
    p.mo(replied, "STOP")
    p.advance(3600)
    assert [e["customer_id"] for e in p.events(type="consent") if e["source"] == "sms_reply"] == [customer["id"]]


def test_legitimate_interest_blocks_new_profiles_until_explicit_accept(p):
    p.configure(consent_categories=[{"name": "sms_marketing", "legal_basis": "legitimate_interest"}])
    old = p.customer(PHONE, consents={})
    assert p.send_one(old)["status"] == "enqueued"
    p.mo(PHONE, "STOP")
    p.advance(3600)
    newcomer = p.customer(PHONE, consents={})
    outcome = p.send_one(newcomer)
    assert (outcome["status"], outcome["reason"]) == ("skipped", "legitimate_interest_block")
    p.consent(newcomer["id"], "sms_marketing", "accept")
    assert p.send_one(newcomer)["status"] == "enqueued"


def test_with_consent_basis_a_new_profile_with_consent_is_sent_to(p):
    p.customer(PHONE)
    p.mo(PHONE, "STOP")
    p.advance(3600)
    assert p.send_one(p.customer(PHONE))["status"] == "enqueued"


def test_opt_out_disabled_tracks_the_reply_only(p):
    customer = p.customer(PHONE)
    p.configure(two_way={"opt_out_enabled": False})
    p.mo(PHONE, "STOP")
    assert p.opt_outs()["blacklist"] == []
    assert len(p.campaign_events(customer["id"], "incoming_message")) == 1


@pytest.mark.parametrize("provider", ["sinch", "cm", "instasent"])
def test_reply_injected_at_the_fake_blacklists_at_once(p, provider):
    p.configure(inbound_numbers=[{"number": LONG_CODE, "type": "long_code", "provider": provider}])
    customer = p.customer("+34612345678")
    reply = p.providers.inbound("+34612345678", "Stop it", provider=provider)
    assert reply["callback"]["state"] == "delivered"
    assert [entry["phone"] for entry in p.opt_outs()["blacklist"]] == ["+34612345678"]
    assert p.send_one(customer)["reason"] == "blacklisted"
