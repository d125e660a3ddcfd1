"""The runner against the embedded fakes and reference platform; matchers and durations."""

import copy

import pytest

from harness.scenario.loader import load_file
from harness.scenario.matching import matches, seconds
from harness.scenario.runner import ERROR, FAILED, NOT_APPLICABLE, PASSED, run_scenario

SCENARIO = """\
id: runner-check
title: An opt-out reply, then the batch
requirements: [OPT-BATCH-HOURLY]
given:
  numbers:
    - {number: "+4915112348765", type: long_code, provider: sinch}
  config:
    consent_categories: [{name: sms_marketing, legal_basis: consent}]
    two_way: {opt_out_enabled: true, keywords: [stop], categories: [sms_marketing]}
    sending: {sender: "+4915112348765"}
  customers:
    - {id: anna, phone: "+4915123456789", consents: {sms_marketing: accept}, sms_subscription: subscribed}
when:
  - send: {kind: campaign, customers: [anna], body: "Hello", category: sms_marketing, expect: {anna: {status: enqueued}}}
  - advance: 10s
  - messages: {customer: anna, body: "Hello", count: 1, match: {status: Delivered}}
  - reply: {customer: anna, to: "+4915112348765", body: "STOP"}
  - advance_to: "2026-01-05T11:00:00.000Z"
then:
  - events: {customer: anna, type: consent, match: {action: reject, imported_timestamp: "2026-01-05T11:00:00.000Z"}, count: ${count}}
"""


def _scenario(tmp_path, count=1, text=SCENARIO):
    path = tmp_path / "runner-check.yaml"
    path.write_text(text.replace("${count}", str(count)))
    return load_file(path)[0]


def test_a_passing_scenario_records_steps_exchanges_and_timeline(env, tmp_path):
    result = run_scenario(_scenario(tmp_path), env)
    assert result.verdict == PASSED, (result.reason, result.observed)
    assert [s.status for s in result.steps] == ["ok"] * 6
    assert result.steps[-1].clock == "2026-01-05T11:00:00.000Z"
    sides = {e["side"] for e in result.exchanges}
    assert sides == {"platform", "fakes"}
    assert any("MT" in t["what"] and "Hello" in t["what"] for t in result.timeline)
    assert any("consent event reject" in t["what"] for t in result.timeline)


def test_a_failing_check_names_the_step_and_shows_expected_and_observed(env, tmp_path):
    result = run_scenario(_scenario(tmp_path, count=2), env)
    assert result.verdict == FAILED
    assert result.failed_step == "then[0].events (line 20)"
    assert result.expected["count"] == 2
    assert [e["action"] for e in result.observed] == ["reject"]
    assert [s.status for s in result.steps][-1] == "failed"


def test_missing_profile_or_clock_is_not_applicable_never_passed(env, tmp_path):
    scenario = _scenario(tmp_path)
    for change, reason in [({"profiles": ["sms_processes"]}, "profile opt_out_keywords not offered"),
                           ({"clock": "real"}, "needs a drivable clock"),
                           ({"providers": ["cm"]}, "provider sinch not supported")]:
        limited = copy.copy(env)
        limited.capabilities = {**env.capabilities, **change}
        result = run_scenario(scenario, limited)
        assert (result.verdict, result.steps) == (NOT_APPLICABLE, [])
        assert reason in result.reason


def test_a_reply_to_a_number_nobody_owns_is_a_scenario_error(env, tmp_path):
    text = SCENARIO.replace('to: "+4915112348765", body: "STOP"', 'to: "+4915100000000", body: "STOP"')
    result = run_scenario(_scenario(tmp_path, text=text), env)
    assert result.verdict == ERROR and "given.numbers" in result.reason


def test_configuration_refusal_is_checked(env, tmp_path):
    text = SCENARIO.split("when:")[0] + """when:
  - refused: {configure: {two_way: {categories: [a, b, c, d, e, f]}}, paths: [two_way.categories]}
"""
    assert run_scenario(_scenario(tmp_path, text=text), env).verdict == PASSED
    accepted = text.replace("[a, b, c, d, e, f]", "[sms_marketing]")
    result = run_scenario(_scenario(tmp_path, text=accepted), env)
    assert (result.verdict, result.observed) == (FAILED, "accepted")


@pytest.mark.parametrize("observed,expected,ok", [
    ("+4915123456789", {"phone": "004915123456789"}, True),
    ("+4915123456789", {"phone": "+4915123456780"}, False),
    ("Phone number is blacklisted", {"contains": "blacklisted"}, True),
    ("stop", {"one_of": ["stop", "arret"]}, True),
    (None, {"present": False}, True),
    ("x", {"not": "y"}, True),
    ("2026-01-05T10:20:00Z", "2026-01-05T10:20:00.000Z", True),
    ({"action": "reject", "timestamp": "t"}, {"action": "reject"}, True),
    (1, True, False),
    ("UCS2", {"starts_with": "GSM"}, False),
])
def test_matchers(observed, expected, ok):
    assert matches(observed, expected) is ok


def test_durations():
    assert [seconds(d) for d in (90, "90s", "40m", "1h30m", "2d")] == [90, 90, 2400, 5400, 172800]


def test_contract_problems_name_the_operation_and_field():
    from harness.driver import contract

    assert contract.problems("GET", "http://p/driver/v1/workspaces/ws_1/clock", 200,
                             {"now": "2026-01-05T10:00:00.000Z", "drivable": True}) == []
    assert contract.problems("GET", "http://p/driver/v1/workspaces/ws_1/clock", 200, {"now": "10:00"}) == [
        "GET /workspaces/{ws}/clock 200: (body): 'drivable' is a required property",
        "GET /workspaces/{ws}/clock 200: now: '10:00' does not match '^\\\\d{4}-\\\\d{2}-\\\\d{2}T\\\\d{2}:\\\\d{2}:\\\\d{2}\\\\.\\\\d{3}Z$'",
    ]
    assert contract.problems("POST", "http://p/driver/v1/workspaces", 500, {}) == ["POST /workspaces: status 500 is not documented"]
    assert contract.problems("POST", "http://p/webhooks/ws_1/sinch/mo", 200, {}) == []


LINKS = """\
id: link-expiry
title: A short link redirects until it expires
requirements: [LINK-EXPIRY]
given:
  config:
    sending: {sender: "Shop", link_shortener: {enabled: true, domain: exp.cx, expiry_days: 90}}
  customers:
    - {id: anna, phone: "+4915123456789"}
when:
  - send: {kind: transactional, customers: [anna], body: "Order: https://shop.example.com/o/1"}
  - visit_link: {customer: anna, body: "Order", expect_status: 302, location: "https://shop.example.com/o/1"}
  - advance: 89d
  - visit_link: {customer: anna, expect_status: 302}
  - advance: ${days}
then:
  - visit_link: {customer: anna, expect_status: 404}
"""


@pytest.mark.parametrize("days,verdict", [("1d", PASSED), ("23h", FAILED)])
def test_visit_link_follows_the_short_link_of_the_message_at_the_platform(env, tmp_path, days, verdict):
    result = run_scenario(_scenario(tmp_path, text=LINKS.replace("${days}", days)), env)
    assert result.verdict == verdict, (result.reason, result.observed)
    assert result.steps[1].detail.endswith("-> 302 https://shop.example.com/o/1")
    if verdict == FAILED:
        assert result.observed == {"status": 302, "location": "https://shop.example.com/o/1"}
