"""Message bodies around every segment boundary (003) against the fakes' GSM 03.38 / UCS-2 count.

Each example sends one campaign and compares the platform's outcome (status, reason, encoding,
segment_count) and what reached the Sinch fake with harness/rules/segments.py. The bodies of each
check vary one thing (basic GSM, extension characters, UCS-2 and surrogate pairs, max_parts,
personalization) so that a failure names the rule that broke.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from harness.properties import strategies as s
from harness.properties.sandbox import Sandbox, two_way_config
from harness.properties.settings import check_settings
from harness.rules import segments
from harness.scenario.runner import CheckFailed

PHONE = s.mobile_number("ES", 11)


def check_send(target, body: str, max_parts: int = 8, *, template: str | None = None,
               attributes: dict | None = None, fields=("status", "reason", "encoding", "segment_count")) -> None:
    """Send `template` (default: `body`) to one customer; compare with the oracle on the rendered `body`."""
    expected_parts = segments.segment(body)
    fits = expected_parts.segment_count <= max_parts
    expected = {"status": "enqueued" if fits else "enqueue_failed", "reason": None if fits else "too_many_parts",
                "encoding": expected_parts.encoding, "segment_count": expected_parts.segment_count,
                "messages_at_provider": int(fits)}
    with Sandbox(target) as sandbox:
        config = two_way_config()
        config["sending"]["max_parts"] = max_parts
        sandbox.configure(config)
        customer = sandbox.customer(PHONE, attributes=attributes or {})
        outcome, = sandbox.send([customer], template if template is not None else body)
        observed = {k: outcome.get(k) for k in expected if k in outcome}
        observed["messages_at_provider"] = len(sandbox.messages(direction="mt", to=PHONE))
        keys = [k for k in (*fields, "messages_at_provider") if fits or k in ("status", "reason", "messages_at_provider")]
        if any(observed.get(k) != expected[k] for k in keys):
            raise CheckFailed(f"{expected_parts.encoding} body of {expected_parts.units} units "
                              f"({expected_parts.segment_count} parts, max_parts {max_parts})",
                              {k: expected[k] for k in keys}, {k: observed.get(k) for k in keys})


def within_eight_parts(kind: str):
    """Bodies at every boundary of 1..8 parts (one unit short, exact, one past), never past 8 parts."""
    return st.integers(1, 8).flatmap(lambda parts: s.boundary_bodies(kind, st.just(parts))).filter(
        lambda body: segments.segment(body).segment_count <= 8)


@pytest.mark.requirement("SEG-COUNT")
@check_settings(12)
@given(body=within_eight_parts("gsm"))
@example(body="a" * 160)
@example(body="a" * 161)
@example(body="a" * 307)
def test_gsm_segment_count(target, body):
    """Up to 160 GSM characters are one SMS; longer bodies take parts of 153."""
    check_send(target, body)


@pytest.mark.requirement("SEG-EXTENDED")
@check_settings(10)
@given(body=st.sampled_from([159, 160, 161]).flatmap(lambda units: s.gsm_body(units, extension=True))
       | s.escape_pair_at_boundary())
@example(body="€" + "a" * 159)
@example(body="a" * 152 + "€" + "a" * 152)  # the pair moves whole to part 2: three parts, not two
def test_extension_characters_count_two(target, body):
    """GSM extension characters (€ [ ] { } ~ ^ | \\) take two of the 160 characters, and an escape pair is never
    split between two parts."""
    check_send(target, body)


@pytest.mark.requirement("SEG-UNICODE")
@check_settings(12)
@given(body=within_eight_parts("ucs2") | within_eight_parts("surrogates"))
@example(body="ą" * 71)
@example(body="😀" * 35)
@example(body="😀" * 36)  # 72 UTF-16 units: two parts
def test_unicode_segment_count(target, body):
    """One character outside GSM 03.38 makes the body UCS-2: 70 code units, 67 per part, surrogate pairs kept whole."""
    check_send(target, body)


@st.composite
def max_parts_cases(draw):
    """max_parts 2..8 and a GSM body in the middle of its last part, of max_parts or max_parts + 1 parts."""
    max_parts = draw(st.integers(2, 8))
    parts = max_parts + draw(st.integers(0, 1))
    units = s.PART_LIMIT["GSM"] * (parts - 1) + s.PART_LIMIT["GSM"] // 2  # far from both boundaries
    return max_parts, draw(s.gsm_body(units))


@pytest.mark.requirement("SEG-MAX-PARTS")
@check_settings(10)
@given(case=max_parts_cases(), in_request=st.booleans())
@example(case=(8, "a" * (153 * 8 + 76)), in_request=False)
def test_max_parts(target, case, in_request):
    """A body of more parts than max_parts (2 to 8) is not sent: enqueue_failed, too_many_parts."""
    max_parts, body = case
    if in_request:
        check_send_with_request_limit(target, body, max_parts)
    else:
        check_send(target, body, max_parts, fields=("status", "reason"))


def check_send_with_request_limit(target, body: str, max_parts: int) -> None:
    """As check_send, with the limit given on the send instead of the configuration."""
    fits = segments.fits(body, max_parts)
    with Sandbox(target) as sandbox:
        sandbox.configure(two_way_config())
        customer = sandbox.customer(PHONE)
        outcome, = sandbox.send([customer], body, max_parts=max_parts)
        observed = {"status": outcome.get("status"), "reason": outcome.get("reason"),
                    "messages_at_provider": len(sandbox.messages(direction="mt", to=PHONE))}
        expected = {"status": "enqueued" if fits else "enqueue_failed", "reason": None if fits else "too_many_parts",
                    "messages_at_provider": int(fits)}
        if observed != expected:
            raise CheckFailed(f"body of {segments.segment(body).segment_count} parts, send max_parts {max_parts}",
                              expected, observed)


@st.composite
def personalized(draw):
    """A template whose rendering crosses the 160 boundary that the template itself does not (or the reverse)."""
    name = draw(st.text(alphabet=s.LETTERS, min_size=1, max_size=30) | st.sampled_from(["Zoë", "Łukasz", "Ana😀"]))
    units = max(0, s.boundary_units("GSM", 1) + draw(st.sampled_from(s.BOUNDARY_OFFSETS)) - len(name))
    filler = draw(s.gsm_body(units))
    return name, filler


@pytest.mark.requirement("SEG-PERSONALIZED")
@check_settings(10)
@given(case=personalized())
@example(case=("Zoë", "a" * 60))
def test_personalized_body_is_counted(target, case):
    """Parts are counted on the body rendered for the customer (a name can add parts or force UCS-2)."""
    name, filler = case
    check_send(target, name + filler, template="{{ first_name }}" + filler, attributes={"first_name": name})
