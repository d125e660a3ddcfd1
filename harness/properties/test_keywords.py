"""Opt-out keyword variants (001 "A guide to keywords") against the oracle harness/rules/keywords.py.

Each example configures a keyword list, sends every drawn reply from its own phone, lets the
hourly batch run, and compares the phones on the platform's blacklist with the oracle's verdict
on each reply. One check per trait, so that a failure names the trait that broke.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from harness.driver.client import Refused
from harness.properties import strategies as s
from harness.properties.sandbox import Sandbox, two_way_config
from harness.properties.settings import check_settings
from harness.rules import keywords as oracle
from harness.scenario.runner import CheckFailed


def reply_phone(index: int) -> str:
    return s.mobile_number("DE", index)


def check_opt_outs(target, keywords: list[str], replies: list[str]) -> None:
    """Each reply from its own phone; after the batch, blacklisted exactly when the oracle says so."""
    with Sandbox(target) as sandbox:
        sandbox.configure(two_way_config(keywords))
        for index, body in enumerate(replies):
            sandbox.reply(reply_phone(index), body)
        sandbox.past_batch()
        listed = sandbox.blacklisted()
        observed = [{"reply": body, "opted_out": reply_phone(i) in listed} for i, body in enumerate(replies)]
        expected = [{"reply": body, "opted_out": oracle.triggers_opt_out(body, keywords)} for body in replies]
        if observed != expected:
            wrong = [o["reply"] for o, e in zip(observed, expected) if o != e]
            raise CheckFailed(f"keywords {keywords}: wrong opt-out verdict for {wrong!r}", expected, observed)


def unique(words) -> list[str]:
    return list(dict.fromkeys(words))


@pytest.mark.requirement("KW-CASE")
@check_settings(12)
@given(cases=st.lists(s.plain_keywords().flatmap(lambda k: st.tuples(s.case_variant(k), s.case_variant(k))),
                      min_size=1, max_size=4))
@example(cases=[("stop", "STOP"), ("stop", "Stop"), ("arret", "ARRET"), ("STOP", "stop")])
def test_keyword_case(target, cases):
    """Opt-out keywords match whatever the case, of the reply or of the configured keyword."""
    check_opt_outs(target, unique(k for k, _ in cases), [reply for _, reply in cases])


ACCENTABLE = s.plain_keywords(max_size=10).filter(lambda k: any(c in s.ACCENTED for c in k))


@pytest.mark.requirement("KW-ACCENT")
@check_settings(12)
@given(cases=st.lists(ACCENTABLE.flatmap(lambda k: st.tuples(st.just(k) | s.accent_variant(k), s.accent_variant(k))),
                      min_size=1, max_size=4))
@example(cases=[("stop", "šťóp"), ("arret", "arrêt"), ("arrêt", "arret")])
def test_keyword_accents(target, cases):
    """Accents are ignored on both sides: "šťóp" and "arrêt" opt out, an accented keyword matches plain text."""
    check_opt_outs(target, unique(k for k, _ in cases), [reply for _, reply in cases])


@pytest.mark.requirement("KW-WHITESPACE")
@check_settings(12)
@given(cases=st.lists(s.plain_keywords().flatmap(lambda k: st.tuples(st.just(k), s.leading_whitespace(k))),
                      min_size=1, max_size=4))
@example(cases=[("stop", " stop"), ("arret", "\tarret")])
def test_keyword_leading_whitespace(target, cases):
    """Whitespace before the keyword is ignored (" stop" opts out)."""
    check_opt_outs(target, unique(k for k, _ in cases), [reply for _, reply in cases])


@st.composite
def prefix_replies(draw, keywords: list[str]) -> str:
    """A keyword followed by letters, a keyword after other words, or any text: the oracle decides."""
    keyword = draw(st.sampled_from(keywords))
    kind = draw(st.sampled_from(["starts", "after", "text"]))
    if kind == "starts":
        return keyword + draw(st.text(alphabet=s.LETTERS, min_size=1, max_size=8)) + draw(s.TAILS)
    if kind == "after":
        return draw(s.non_matching_prefix(keywords)) + keyword + draw(s.TAILS)
    return draw(st.text(alphabet=s.LETTERS + " ", max_size=12))


@st.composite
def punctuated_replies(draw, keywords: list[str]) -> str:
    """A punctuated keyword as written, in other case, or differing from it only in its punctuation."""
    keyword = draw(st.sampled_from(keywords))
    return draw(st.sampled_from([keyword, keyword.upper()]) | s.differing_only_in_punctuation(keyword)) + draw(s.TAILS)


KEYWORDS_AND_REPLIES = st.lists(s.plain_keywords(max_size=8), min_size=1, max_size=3, unique=True).flatmap(
    lambda keywords: st.tuples(st.just(keywords), st.lists(prefix_replies(keywords), min_size=1, max_size=5)))
PUNCTUATED_KEYWORDS_AND_REPLIES = st.lists(s.punctuated_keyword(), min_size=1, max_size=3, unique=True).flatmap(
    lambda keywords: st.tuples(st.just(keywords), st.lists(punctuated_replies(keywords), min_size=1, max_size=5)))


@pytest.mark.requirement("KW-PREFIX")
@check_settings(12)
@given(case=KEYWORDS_AND_REPLIES | PUNCTUATED_KEYWORDS_AND_REPLIES)
@example(case=(["stop", "arret"], ["stopwatches", "Please stop", "Unsubscribe me", "Garret", "barret"]))
@example(case=(["s.op", "stop?", "(quit)", "c++"], ["stop", "sto", "quit", "S.OP now", "(quit)", "C++"]))
def test_keyword_prefix(target, case):
    """Only a reply that starts with a keyword opts out ("stopwatches" does; "Please stop", "Garret" do not);
    punctuation and pattern characters in a keyword match as written."""
    keywords, replies = case
    check_opt_outs(target, keywords, replies)


LETTER_PAIRS = [a + b for a in s.LETTERS for b in s.LETTERS]


@pytest.mark.requirement("KW-LIMITS")
@check_settings(12)
@given(keywords=s.keyword_lists_at_limits())
@example(keywords=[f"kw{pair}" for pair in LETTER_PAIRS[:101]])
@example(keywords=["stop", "q" * 21])
@example(keywords=["stop", "arrêtdésinscriptions"])  # 20 characters, 22 bytes: characters count
@example(keywords=[f"kw{pair}" for pair in LETTER_PAIRS[:99]] + ["q" * 20])
def test_keyword_limits(target, keywords):
    """Up to 100 keywords of up to 20 characters are accepted, and the last and longest of them work; more is refused."""
    accepted = oracle.configuration_accepted(keywords, ["sms_marketing"])
    with Sandbox(target) as sandbox:
        try:
            sandbox.configure(two_way_config(keywords))
        except Refused as refused:
            if accepted:
                raise CheckFailed(f"{len(keywords)} keywords of at most {max(map(len, keywords))} characters refused",
                                  "accepted", refused.errors) from None
            if not any(str(e.get("path", "")).startswith("two_way.keywords") for e in refused.errors):
                raise CheckFailed("refused, but no error at two_way.keywords", "two_way.keywords...", refused.errors) from None
            return
        if not accepted:
            raise CheckFailed(f"{len(keywords)} keywords, the longest of {max(map(len, keywords))} characters, accepted",
                              "422 at two_way.keywords", "accepted")
    longest = max(keywords, key=len)
    check_opt_outs(target, keywords, [keywords[-1], longest])


@pytest.mark.requirement("KW-CATEGORIES")
@check_settings(8)
@given(count=st.integers(0, 7))
@example(count=6)
@example(count=5)
def test_opt_out_category_limit(target, count):
    """At most 5 consent categories can be selected for opt-outs; a sixth is refused."""
    categories = [f"sms_category_{i}" for i in range(count)]
    config = two_way_config(["stop"])
    config["consent_categories"] = [{"name": c, "legal_basis": "consent"} for c in categories]
    config["two_way"]["categories"] = categories
    accepted = oracle.configuration_accepted(["stop"], categories)
    with Sandbox(target) as sandbox:
        try:
            sandbox.configure(config)
            observed = "accepted"
        except Refused as refused:
            observed = refused.errors
        if (observed == "accepted") != accepted:
            raise CheckFailed(f"{count} opt-out categories", "accepted" if accepted else "422 refused", observed)
