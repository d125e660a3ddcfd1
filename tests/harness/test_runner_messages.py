"""What a failed check shows: when an expected event or opt-out is not there at all, what there is instead."""

from harness.scenario.loader import load_file
from harness.scenario.runner import FAILED, run_scenario
from harness.scenario.steps import REACH, _latest

REPLY_BEFORE_THE_BATCH = """\
id: reply-not-yet-batched
title: A reply before the batch, checked as if the batch had run
requirements: [OPT-BATCH-HOURLY]
given:
  numbers:
    - {number: "+4915112348765", type: long_code, provider: sinch}
  config:
    consent_categories: [{name: sms_marketing, legal_basis: consent}]
    two_way: {opt_out_enabled: true, keywords: [stop], categories: [sms_marketing]}
  customers:
    - {id: anna, phone: "+4915123456789", sms_subscription: subscribed}
when:
  - reply: {customer: anna, to: "+4915112348765", body: "STOP"}
  - advance: 1m
then:
  - CHECK
"""


def run(env, tmp_path, check):
    path = tmp_path / "reply-not-yet-batched.yaml"
    path.write_text(REPLY_BEFORE_THE_BATCH.replace("CHECK", check))
    result = run_scenario(load_file(path)[0], env)
    assert result.verdict == FAILED, result.reason
    return result


def test_an_expected_event_found_nowhere_shows_the_opt_out_lists_the_workspace_events_and_the_clock(env, tmp_path):
    """"expected 1 events (customer='anna', type='consent', action='reject'), found 0" came with an empty
    observed list; the cause (a reply stamped with the machine's clock, never batched) was invisible."""
    result = run(env, tmp_path, "events: {customer: anna, type: consent, match: {action: reject}, count: 1}")
    assert result.reason == ("expected 1 events (customer='anna', type='consent', action='reject'), found 0; observed "
                             "shows instead: events of the workspace (0), anna's phone on the opt-out lists, the clock")
    assert result.observed == {
        "matching": [], "events of the workspace": [],
        "anna's phone on the opt-out lists": {
            "blacklist": [{"phone": "+4915123456789", "received_at": "2026-01-05T10:00:00.000Z", "processed_at": None}],
            "unsubscribe_list": []},
        "clock at this step": "2026-01-05T10:01:00.000Z"}


def test_an_expected_event_of_one_type_shows_the_customers_events_of_other_types(env, tmp_path):
    consenting = REPLY_BEFORE_THE_BATCH.replace("sms_subscription: subscribed",
                                                "sms_subscription: subscribed, consents: {sms_marketing: accept}")
    path = tmp_path / "with-consent.yaml"
    path.write_text(consenting.replace("CHECK", "events: {customer: anna, type: campaign, count: 1}"))
    result = run_scenario(load_file(path)[0], env)
    others = result.observed["other events of anna"]
    assert [(e["type"], e["action"], e["customer_id"]) for e in others] == [("consent", "accept", "anna")]
    assert "events of the workspace" not in result.observed
    assert "observed shows instead: other events of anna (1), anna's phone on the opt-out lists" in result.reason


def test_an_opt_out_missing_shows_what_the_lists_hold(env, tmp_path):
    result = run(env, tmp_path, 'opt_outs: {list: unsubscribe_list, phone: "+4915123456789"}')
    assert result.reason.startswith("+4915123456789 missing from the unsubscribe_list; observed shows instead: "
                                    "blacklist (1), unsubscribe_list (0)")
    assert result.observed["blacklist"][0]["received_at"] == "2026-01-05T10:00:00.000Z"


def test_events_found_where_none_were_expected_are_shown_as_found(env, tmp_path):
    path = tmp_path / "with-consent.yaml"
    path.write_text(REPLY_BEFORE_THE_BATCH.replace("CHECK", "events: {customer: anna, type: consent, count: 0}").replace(
        "sms_subscription: subscribed", "sms_subscription: subscribed, consents: {sms_marketing: accept}"))
    result = run_scenario(load_file(path)[0], env)
    assert result.reason == "expected 0 events (customer='anna', type='consent'), found 1"
    assert [e["action"] for e in result.observed] == ["accept"]  # what was found, nothing widened


def test_what_there_is_instead_is_the_latest_few_in_time_order():
    entries = [{"timestamp": f"2026-01-05T10:{minute:02d}:00Z"} for minute in range(REACH + 5, 0, -1)]
    latest = _latest(entries)
    assert len(latest) == REACH and latest[-1]["timestamp"] == f"2026-01-05T10:{REACH + 5:02d}:00Z"
    assert latest == sorted(latest, key=lambda e: e["timestamp"])
