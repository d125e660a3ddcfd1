"""The oracle (harness.rules) against the seeds' own examples and the catalogue's readings."""

import functools
from datetime import datetime, timedelta, timezone

import pytest

from harness.rules import consent, duplicates, eligibility, keywords, phones, processes, segments

KEYWORDS = ["stop", "arret"]  # 001: Example with opt-out keywords: "stop" (English), "arret" (French)
TRIGGER = ["STOP", "Stop", "stop", " stop", "šťóp", "stopwatches", "Arret", "ARRET", "arret", "arrêt"]
NO_TRIGGER = ["Please stop", "Unsubscribe me", "Garret", "barret"]


@pytest.mark.parametrize("message", TRIGGER)
def test_every_001_example_that_triggers_opt_out(message):
    assert keywords.triggers_opt_out(message, KEYWORDS)


@pytest.mark.parametrize("message", NO_TRIGGER)
def test_every_001_example_that_does_not_trigger(message):
    assert not keywords.triggers_opt_out(message, KEYWORDS)


def test_whitespace_inside_is_ignored_and_keywords_are_normalized_too():
    assert keywords.matching_keyword("s t o p", KEYWORDS) == "stop"
    assert keywords.matching_keyword("\tARRÊT maintenant", KEYWORDS) == "arret"
    assert keywords.matching_keyword("arret", ["Arrêt"]) == "Arrêt"
    assert keywords.matching_keyword("", KEYWORDS) is None
    assert keywords.matching_keyword("anything", ["  "]) is None


def test_keyword_configuration_limits():
    assert keywords.configuration_accepted(["k"] * 100, ["c"] * 5)
    assert keywords.configuration_accepted(["x" * 20], [])
    assert not keywords.configuration_accepted(["k"] * 101, [])
    assert not keywords.configuration_accepted(["x" * 21], [])
    assert not keywords.configuration_accepted(["stop"], ["c"] * 6)


def test_phone_identity_across_forms():
    assert phones.identity("00421905123456") == "+421905123456"
    assert phones.identity("+421 905 123 456") == "+421905123456"
    assert phones.identity("421905123456") is None  # customers: bare digits are not international
    assert phones.identity("421905123456", bare_ok=True) == "+421905123456"
    assert phones.identity("0905123456") is None
    assert phones.identity("11221") is None
    assert phones.same_phone("00421905123456", "+421905123456")
    assert not phones.same_phone("+421905123456", "+421905123457")
    assert phones.region("+33612345678") == "FR" and phones.region("0014155550123") == "US"
    assert [phones.identity(f, bare_ok=True) for f in phones.forms("+4915112348765")] == ["+4915112348765"] * 3


T = datetime(2026, 1, 5, 10, 20, tzinfo=timezone.utc)


def test_full_hour_batch_is_the_next_full_hour_strictly_after_the_reply():
    assert consent.full_hour_batch(T) == T.replace(hour=11, minute=0)
    assert consent.full_hour_batch(T.replace(minute=0)) == T.replace(hour=11, minute=0)
    assert consent.full_hour_batch(T.replace(minute=59, second=59)) == T.replace(hour=11, minute=0)


def test_any_hourly_schedule_within_two_hours_conforms():
    assert consent.processed_in_time(T, T.replace(hour=11, minute=0))  # the next full hour
    assert consent.processed_in_time(T, T + timedelta(hours=1))  # one hour after the reply
    assert consent.processed_in_time(T, T + timedelta(hours=2))  # "Wait 1-2 hours"
    assert not consent.processed_in_time(T, T)  # at once: no enqueue_failed window
    assert not consent.processed_in_time(T, T + timedelta(hours=2, seconds=1))
    assert consent.events_may_be_visible(T, T) == {False}
    assert consent.events_may_be_visible(T, T + timedelta(minutes=40)) == {False, True}
    assert consent.events_may_be_visible(T, T + timedelta(hours=2)) == {True}


def test_send_is_enqueue_failed_until_the_platform_processed_the_reply_then_skipped():
    assert consent.send_after_opt_out(T, T - timedelta(seconds=1), processed=False).status == "enqueued"
    window = consent.send_after_opt_out(T, T + timedelta(minutes=39, seconds=59), processed=False)
    assert (window.status, window.reason, window.message) == (
        "enqueue_failed", "blacklisted", "Phone number is blacklisted by an opt-out keyword.")
    after = consent.send_after_opt_out(T, T + timedelta(minutes=40), processed=True)
    assert (after.status, after.reason) == ("skipped", "consent_rejected")


def test_expected_consent_events_one_per_customer_and_category():
    events = consent.expected_consent_events(
        customer_ids=["a", "b"], categories=["sms_marketing", "sms_news"], sender="+421905123456",
        body="STOP", received_at=T, imported_at=T + timedelta(hours=1))
    assert len(events) == 4
    assert {(e["customer_id"], e["category"]) for e in events} == {
        ("a", "sms_marketing"), ("a", "sms_news"), ("b", "sms_marketing"), ("b", "sms_news")}
    assert all(e["imported_timestamp"] == T + timedelta(hours=1) and e["timestamp"] == T for e in events)


def _profiles(n, received=()):
    return [duplicates.Profile(f"c{i}", i, T + timedelta(minutes=i) if i in received else None) for i in range(n)]


def test_duplicates_cap_at_10_preferring_recent_receivers_then_the_oldest():
    assert duplicates.unsubscribed(_profiles(2)) == ["c0", "c1"]
    chosen = duplicates.unsubscribed(_profiles(15, received={12, 14}))
    assert len(chosen) == 10
    assert chosen[:2] == ["c14", "c12"] and chosen[2:] == [f"c{i}" for i in range(8)]
    assert len(duplicates.unsubscribed(_profiles(10))) == 10


def test_incoming_message_goes_to_the_last_receiver_else_the_oldest():
    assert duplicates.incoming_profile(_profiles(3, received={0, 1})) == "c1"
    assert duplicates.incoming_profile(_profiles(3)) == "c0"
    assert duplicates.incoming_profile([]) is None


def test_service_keyword_and_process_coverage():
    assert processes.service_keyword("Stop now") == "stop"
    assert processes.service_keyword("baby STOP", provider_keyword="baby") == "stop"
    assert processes.service_keyword("stop", provider_keyword="baby") is None
    assert processes.covers("started", ["stop", "quit"], "QUIT please")
    assert not processes.covers("paused", ["stop"], "stop")
    assert not processes.covers("new", ["stop"], "stop")
    assert not processes.covers("started", ["stop"], "please stop")


@pytest.mark.parametrize("keyword,valid", [("quit", True), ("arrêt", True), ("quit2", False), ("no-more", False), ("no more", False), ("", False)])
def test_custom_keyword_characters(keyword, valid):
    assert processes.custom_keyword_valid(keyword) is valid


@pytest.mark.parametrize("country_policy,send_confirmation,sent", [
    ("mandatory", False, True), ("mandatory", True, True),
    ("optional", False, False), ("optional", True, True),
    ("prohibited", True, False), ("prohibited", False, False),
])
def test_confirmation_policy_by_country_of_the_replying_phone(country_policy, send_confirmation, sent):
    policy = {"FR": country_policy}
    assert processes.confirmation_sent(policy, "+33612345678", send_confirmation) is sent
    # Another country falls back to optional.
    assert processes.confirmation_sent(policy, "+4915112348765", send_confirmation) is send_confirmation


def test_segment_limits_reuse_the_fakes_encoding():
    assert segments.segment("a" * 160).segment_count == 1
    assert segments.segment("a" * 161).segment_count == 2
    assert segments.segment("€" * 80).segment_count == 1 and segments.segment("€" * 81).segment_count == 2
    assert segments.segment("ж" * 70).encoding == "UCS2" and segments.segment("ж" * 71).segment_count == 2
    assert segments.fits("a" * 153 * 8, 8) and not segments.fits("a" * (153 * 8 + 1), 8)


def test_send_eligibility_reasons_in_order():
    R = functools.partial(eligibility.Recipient, sms_subscription="subscribed")
    decide = eligibility.decide
    ok = dict(kind="campaign", body="Hi", category="sms_marketing")
    assert decide(R("+4915112348765", consents={"sms_marketing": "accept"}), **ok).status == "enqueued"
    unstated = eligibility.Recipient("+4915112348765", consents={"sms_marketing": "accept"})
    assert decide(unstated, **ok).reason == "not_subscribed"  # 002: None "is the default value"
    assert decide(R("015112348765"), **ok).reason == "no_phone"
    assert decide(R("+4915112348765", mobile_phone_status="bounced"), **ok).reason == "phone_bounced"
    assert decide(R("+4915112348765", mobile_phone_status="paused"), **ok).reason == "phone_paused"
    assert decide(R("+4915112348765", sms_subscription="none"), **ok).reason == "not_subscribed"
    assert decide(R("+4915112348765", sms_subscription="none"), kind="transactional", body="x").status == "enqueued"
    assert decide(R("+4915112348765"), **ok).reason == "no_consent"
    assert decide(R("+4915112348765", consents={"sms_marketing": "reject"}), **ok).reason == "consent_rejected"
    li = dict(ok, legal_basis="legitimate_interest")
    assert decide(R("+4915112348765"), **li).status == "enqueued"
    assert decide(R("+4915112348765", legitimate_interest_blocked=True), **li).reason == "legitimate_interest_block"
    # A consent given at creation is no explicit accept: the block holds until one is tracked.
    created_accepting = R("+4915112348765", legitimate_interest_blocked=True, consents={"sms_marketing": "accept"})
    assert decide(created_accepting, **li).reason == "legitimate_interest_block"
    assert decide(R("+4915112348765", consents={"sms_marketing": "accept"}), **li).status == "enqueued"
    pending_transactional = decide(R("+4915112348765", blacklisted_pending=True), kind="transactional", body="x")
    assert pending_transactional.reason == "blacklisted"  # 001: "will not accept any more SMS messages"
    pending = decide(R("+4915112348765", blacklisted_pending=True, consents={"sms_marketing": "accept"}), **ok)
    assert (pending.status, pending.message) == ("enqueue_failed", "Phone number is blacklisted by an opt-out keyword.")
    assert decide(R("+4915112348765", on_unsubscribe_list=True, consents={"sms_marketing": "accept"}), **ok).reason == "unsubscribe_list"
    capped = decide(R("+4915112348765", campaigns_in_period=3, consents={"sms_marketing": "accept"}), max_campaigns=3, **ok)
    assert capped.reason == "frequency_policy"
    long = decide(R("+4915112348765"), kind="transactional", body="a" * 161, max_parts=1)
    assert (long.status, long.reason) == ("enqueue_failed", "too_many_parts")


def test_reply_effect_follows_the_two_way_settings():
    effect = keywords.reply_effect
    assert effect("STOP", ["stop"]) == "opt_out"
    assert effect("STOP", ["stop"], opt_out_enabled=False) == "tracked"
    assert effect("STOP", ["stop"], opt_out_enabled=False, track_incoming=False) == "ignored"
    assert effect("Thanks", ["stop"]) == "tracked" and effect("Thanks", ["stop"], track_incoming=False) == "ignored"
    assert effect("stop", ["s.op"]) == "tracked" and effect("S.OP!", ["s.op"]) == "opt_out"  # keywords are literal
