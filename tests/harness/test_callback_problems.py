"""A platform that takes a provider's callback but answers it as the provider does not accept (204 to a
CM.com reply) passes every check the seeds give, yet the provider retries it for ever: the report says so."""

import re
from pathlib import Path

import pytest

from harness import report, servers
from harness.driver.contract import unacknowledged_callbacks
from harness.scenario.loader import load_file
from harness.scenario.runner import PASSED, Environment, run_scenario
from reference_platform.adapter import platform as reference

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "providers" / "opt-out-through-each-provider.yaml"
CM_204 = "cm mo callback answered 204, which cm does not take as the acknowledgement: it retries"


def _answering_204_to_replies(app):
    """The reference, but its reply webhooks answer 204 instead of 200 (a common REST habit)."""
    async def wrapped(scope, receive, send):
        if scope["type"] != "http" or not re.search(r"/webhooks/[^/]+/[^/]+/mo$", scope["path"]):
            return await app(scope, receive, send)

        async def send_204(message):
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = [(k, v) for k, v in message["headers"] if k.lower() not in (b"content-length", b"content-type")]
                message = {**message, "status": 204, "headers": headers}
            elif message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)
        await app(scope, receive, send_204)
    return wrapped


@pytest.fixture(scope="module")
def fakes_url():
    with servers.running_fakes() as url:
        yield url


def _run(platform_factory, fakes_url: str, provider: str):
    (scenario,) = [s for s in load_file(SCENARIO) if s.name.endswith(f"[{provider}]")]
    with servers.serve(platform_factory, "platform") as url:
        env = Environment.connect(url, fakes_url)
        try:
            return run_scenario(scenario, env)
        finally:
            env.close()


def test_a_204_to_a_cm_reply_passes_the_checks_but_is_reported(fakes_url):
    result = _run(lambda base: _answering_204_to_replies(reference.create_app(base_url=base)), fakes_url, "cm")
    assert result.verdict == PASSED, result.reason  # the seeds' rules hold: the reply was processed once
    assert result.callback_problems == [CM_204]


@pytest.mark.parametrize("provider", ["sinch", "instasent"])
def test_a_204_is_an_acknowledgement_for_sinch_and_instasent(fakes_url, provider):
    result = _run(lambda base: _answering_204_to_replies(reference.create_app(base_url=base)), fakes_url, provider)
    assert result.verdict == PASSED and result.callback_problems == []


def test_the_reference_acknowledges_every_callback(fakes_url):
    assert _run(lambda base: reference.create_app(base_url=base), fakes_url, "cm").callback_problems == []


def test_only_the_scenarios_accounts_and_answered_callbacks_count():
    waiting = [{"provider": "cm", "account": "mine", "kind": "mo", "status": 204},
               {"provider": "cm", "account": "mine", "kind": "mo", "status": 204},  # one kind, listed once
               {"provider": "cm", "account": "other", "kind": "mo", "status": 201},  # another scenario's
               {"provider": "cm", "account": "mine", "kind": "dlr", "status": None},  # not answered (yet)
               {"provider": "cm", "account": "mine", "kind": "dlr", "status": 500}]  # a failure the checks see
    assert unacknowledged_callbacks(waiting, {"cm": "mine"}) == [CM_204]


def test_the_report_summary_lists_them_once():
    results = [{"callback_problems": [CM_204]}, {"callback_problems": [CM_204]}, {}]
    assert report.summary([], results, [], narrowed=False)["callback_problems"] == [CM_204]
