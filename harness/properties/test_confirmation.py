"""Unsubscribe confirmation by country (000) against the oracle harness/rules/processes.py.

A started unsubscribe process on a short code or a (German) long code, a confirmation_policy over
some countries, and a reply from a phone of one country, countries sharing a calling code included
(+1 US/CA, +44 GB/JE/GG, +7 RU/KZ): the confirmation reaches the phone at the fakes exactly when the
oracle says so (the replier's country decides, not the calling code's or the long code's), and the
sender lands on the unsubscribe list whatever the policy.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from harness.properties import strategies as s
from harness.properties.sandbox import LONG_CODE, SHORT_CODE, Sandbox
from harness.properties.settings import check_settings
from harness.rules import phones, processes
from harness.scenario.runner import CheckFailed

CONFIRMATION = "You are unsubscribed"

POLICY_CASES = [
    pytest.param(p, marks=pytest.mark.requirement(r), id=r)
    for p, r in [("mandatory", "CONF-MANDATORY"), ("optional", "CONF-OPTIONAL"), ("prohibited", "CONF-PROHIBITED")]
]


def unsubscribe_keyword(capabilities: dict) -> str:
    return ((capabilities.get("process_default_keywords") or {}).get("unsubscribe") or ["stop"])[0]


@pytest.mark.parametrize("policy", POLICY_CASES)
@check_settings(6)  # and five explicit boundary cases
@given(others=s.confirmation_policies(), region=st.sampled_from(s.POLICY_REGIONS), serial=st.integers(0, 499),
       send_confirmation=st.booleans(), listed=st.booleans(), number=st.sampled_from([SHORT_CODE, LONG_CODE]))
@example(others={}, region="FR", serial=1, send_confirmation=False, listed=True, number=SHORT_CODE)
@example(others={}, region="FR", serial=1, send_confirmation=True, listed=True, number=SHORT_CODE)
@example(others={"GB": "optional"}, region="JE", serial=2, send_confirmation=True, listed=True, number=SHORT_CODE)
@example(others={"US": "prohibited"}, region="CA", serial=3, send_confirmation=True, listed=False, number=SHORT_CODE)
@example(others={"DE": "optional"}, region="FR", serial=4, send_confirmation=False, listed=True, number=LONG_CODE)
def test_confirmation_by_country(target, policy, others, region, serial, send_confirmation, listed, number):
    """The confirmation SMS is sent, optional or never sent by the replying phone's country; the opt-out still happens."""
    confirmation_policy = dict(others)
    if policy == "optional" and not listed:
        confirmation_policy.pop(region, None)  # unlisted countries are optional
    else:
        confirmation_policy[region] = policy
    phone = s.mobile_number(region, serial)
    expected_sent = processes.confirmation_sent(confirmation_policy, phone, send_confirmation)
    inbound = {"number": number, "type": "short_code" if number == SHORT_CODE else "long_code"}
    with Sandbox(target, numbers=[inbound]) as sandbox:
        sandbox.configure({
            "inbound_numbers": [inbound],
            "two_way": {"opt_out_enabled": False},
            "confirmation_policy": confirmation_policy,
            "sms_processes": [{"id": "unsub", "type": "unsubscribe", "name": "Unsubscribe", "inbound_number": number,
                               "provider_keyword": None, "custom_keywords": [], "message": CONFIRMATION,
                               "send_confirmation": send_confirmation, "state": "started"}],
            "sending": {"sender": "Shop"},
        })
        sandbox.reply(phone, unsubscribe_keyword(target.env.capabilities), to=number)
        sent = sandbox.messages(direction="mt", to=phone, body=CONFIRMATION)
        listed_phones = [e.get("phone") for e in sandbox.ws.opt_outs()["unsubscribe_list"]]
        observed, expected = {"confirmations": len(sent)}, {"confirmations": int(expected_sent)}
        if policy == "prohibited":  # CONF-PROHIBITED: "the unsubscription still happens"
            observed["unsubscribed"] = any(phones.same_phone(p, phone) for p in listed_phones)
            expected["unsubscribed"] = True
        if observed != expected:
            raise CheckFailed(f"reply to {number} from {phone} ({region}: "
                              f"{confirmation_policy.get(region, 'optional, unlisted')}), "
                              f"send_confirmation={send_confirmation}", expected, observed)
