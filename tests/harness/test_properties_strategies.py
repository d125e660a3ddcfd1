"""The property checks' strategies draw what they claim: variants the oracle reads as intended, bodies at the boundaries."""

from datetime import timedelta

import hypothesis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_providers.encoding import PART_LIMIT, SINGLE_LIMIT, segment
from harness.properties import settings as check_settings
from harness.properties import strategies as s
from harness.properties.sandbox import START
from harness.rules import duplicates, keywords, phones

FEW = settings(max_examples=60, deadline=None)


@FEW
@given(st.data())
def test_case_variants_differ_only_in_case(data):
    word = data.draw(s.plain_keywords())
    variant = data.draw(s.case_variant(word))
    assert variant.lower() == word.lower() and keywords.triggers_opt_out(variant, [word])


@FEW
@given(st.data())
def test_accent_variants_fold_back_to_the_keyword(data):
    word = data.draw(s.plain_keywords(max_size=10).filter(lambda k: any(c in s.ACCENTED for c in k)))
    variant = data.draw(s.accent_variant(word))
    assert variant != word  # at least one letter accented
    assert keywords.normalize(variant) == keywords.normalize(word)


def test_every_accented_letter_folds_to_its_base():
    for base, accented in s.ACCENTED.items():
        assert all(keywords.normalize(char) == base for char in accented)
        assert keywords.normalize(base + s.COMBINING_ACUTE) == base


@FEW
@given(st.data())
def test_leading_whitespace_is_whitespace_only(data):
    word = data.draw(s.plain_keywords())
    variant = data.draw(s.leading_whitespace(word))
    assert variant != word and variant.lstrip() == word


@FEW
@given(st.data())
def test_non_matching_prefixes_never_opt_out(data):
    keywords_ = data.draw(st.lists(s.plain_keywords(max_size=8), min_size=1, max_size=3, unique=True))
    prefix = data.draw(s.non_matching_prefix(keywords_))
    assert not keywords.triggers_opt_out(prefix + keywords_[0], keywords_)


@settings(max_examples=25, deadline=None)
@given(s.keyword_lists_at_limits())
def test_keyword_lists_sit_at_the_limits(words):
    assert 1 <= len(words) <= 105
    assert max(map(len, words)) in (19, 20, 21)
    assert len({keywords.normalize(w) for w in words}) == len(words)


@FEW
@given(s.mobile_numbers(), st.sampled_from(["+", "00", "bare"]))
def test_mobile_numbers_are_one_identity_in_every_form(number, form):
    assert phones.identity(number) == number
    assert phones.same_phone(s.written_as(number, form), number)
    assert number[-4:] not in ("0001", "0002", "0003", "0004")  # the fakes' magic failure endings


def test_mobile_numbers_belong_to_their_region():
    for region in s.REGIONS:
        assert {phones.region(s.mobile_number(region, n)) for n in (0, 250, 499)} == {region}


@FEW
@given(s.send_histories())
def test_send_histories_name_existing_profiles(history):
    count, sends = history
    assert 0 <= count <= 15 and all(0 <= i < count for i in sends)
    ids = [f"p{i}" for i in range(count)]
    profiles = s.profiles_after(count, sends, ids, START)
    if sends:  # the oracle's incoming profile is the last one sent to
        assert duplicates.incoming_profile(profiles) == ids[sends[-1]]
        assert profiles[sends[-1]].last_sms_at == START + timedelta(minutes=len(sends) - 1)


@FEW
@given(s.offsets_in_hour())
def test_reply_offsets_stay_in_the_hour(offset):
    assert 0 <= offset < 3600


@pytest.mark.parametrize("kind, encoding", [("gsm", "GSM"), ("extended", "GSM"), ("ucs2", "UCS2"), ("surrogates", "UCS2")])
@FEW
@given(data=st.data())
def test_bodies_sit_on_a_segment_boundary(kind, encoding, data):
    parts = data.draw(st.integers(1, 9))
    body = data.draw(s.boundary_bodies(kind, st.just(parts)))
    counted = segment(body)
    boundary = SINGLE_LIMIT[encoding] if parts == 1 else PART_LIMIT[encoding] * parts
    assert counted.encoding == encoding
    assert counted.units - boundary in s.BOUNDARY_OFFSETS
    assert not any(opener in body for opener in s.JINJA_OPENERS)
    if kind == "extended" and counted.units > 1:
        assert any(c in s.GSM_EXTENSION for c in body)
    if kind == "surrogates" and counted.units > 2:
        assert any(len(c.encode("utf-16-le")) == 4 for c in body)


def test_fill_never_overflows_with_wide_characters():
    body = s.fill(["€"], 161, lambda c: 2 if c == "€" else 1, "a")
    assert segment(body).units == 161 and body.endswith("a")
    assert s.fill(["{", "{"], 8, lambda c: 2, "a").count("{{") == 0


def test_example_counts_follow_the_knob(monkeypatch):
    assert check_settings.examples(7) == 7
    monkeypatch.setenv(check_settings.EXAMPLES_ENV, "40")
    assert check_settings.examples(7) == 40
    monkeypatch.setenv(check_settings.EXAMPLES_ENV, "zero")
    with pytest.raises(check_settings.SettingsError, match="SMSPROOF_EXAMPLES must be a positive integer"):
        check_settings.examples(7)


def test_shrinking_can_be_switched_off(monkeypatch):
    from hypothesis import Phase

    assert Phase.shrink in check_settings.check_settings(3).phases
    monkeypatch.setenv(check_settings.SHRINK_ENV, "0")
    assert Phase.shrink not in check_settings.check_settings(3).phases
    assert check_settings.check_settings(3).max_examples == 3


def test_example_database_is_opt_in(monkeypatch, tmp_path):
    """A certification never replays examples saved by earlier runs: no database unless asked for."""
    from hypothesis import Phase
    from hypothesis.database import DirectoryBasedExampleDatabase

    monkeypatch.delenv(check_settings.DATABASE_ENV, raising=False)
    assert check_settings.database_path() is None
    default = check_settings.check_settings(3)
    assert default.database is None and Phase.reuse not in default.phases and default.derandomize
    monkeypatch.setenv(check_settings.DATABASE_ENV, str(tmp_path))
    assert check_settings.database_path() == tmp_path
    opted_in = check_settings.check_settings(3)
    assert isinstance(opted_in.database, DirectoryBasedExampleDatabase) and Phase.reuse in opted_in.phases


def _draws(seed=None) -> list:
    """The examples a check with these settings draws (of a real strategy), with `seed` as --hypothesis-seed."""
    seen = []

    @check_settings.check_settings(10)
    @given(s.send_histories())
    def probe(history):
        seen.append(history)

    if seed is not None:
        hypothesis.seed(seed)(probe)
    probe()
    return seen


def test_same_seed_same_examples(monkeypatch):
    monkeypatch.delenv(check_settings.DATABASE_ENV, raising=False)
    monkeypatch.setattr(check_settings, "_overrides", {})
    assert _draws() == _draws()  # no seed: derandomized, the same examples on every run
    check_settings.configure(seed=7)  # what --hypothesis-seed does (harness/properties/conftest.py)
    assert not check_settings.check_settings(3).derandomize
    assert _draws(7) == _draws(7) and _draws(8) == _draws(8)
    assert _draws(7) != _draws(8)


def test_shrinking_time_is_bounded(monkeypatch):
    from hypothesis.internal.conjecture import engine

    monkeypatch.setattr(engine, "MAX_SHRINKING_SECONDS", engine.MAX_SHRINKING_SECONDS)
    monkeypatch.delenv(check_settings.SHRINK_SECONDS_ENV, raising=False)
    check_settings.check_settings(3)
    assert engine.MAX_SHRINKING_SECONDS == check_settings.DEFAULT_SHRINK_SECONDS
    monkeypatch.setenv(check_settings.SHRINK_SECONDS_ENV, "5")
    check_settings.check_settings(3)
    assert engine.MAX_SHRINKING_SECONDS == 5
    monkeypatch.setenv(check_settings.SHRINK_SECONDS_ENV, "-1")
    with pytest.raises(check_settings.SettingsError, match="SMSPROOF_SHRINK_SECONDS"):
        check_settings.check_settings(3)


@FEW
@given(st.data())
def test_punctuated_keywords_hold_pattern_characters_and_match_literally(data):
    keyword = data.draw(s.punctuated_keyword())
    assert any(c in s.PATTERN_CHARACTERS for c in keyword) and keywords.triggers_opt_out(keyword, [keyword])
    variant = data.draw(s.differing_only_in_punctuation(keyword))
    letters = [c for c in keyword if c not in s.PATTERN_CHARACTERS]
    assert [c for c in variant if c not in s.PATTERN_CHARACTERS + "ox"] == [c for c in letters if c not in "ox"]


def test_shared_calling_code_numbers_belong_to_their_own_country():
    for region in s.SHARED_CALLING_CODES:
        number = s.mobile_number(region, 42)
        assert phones.region(number) == region
    assert {phones.region(s.mobile_number(r, 1))[:2] for r in ("CA", "US")} == {"CA", "US"}


@FEW
@given(s.escape_pair_at_boundary())
def test_escape_pair_bodies_put_a_pair_at_a_part_boundary(body):
    parts = segment(body)
    assert parts.encoding == "GSM" and parts.segment_count <= 8
    assert not any(opener in body for opener in s.JINJA_OPENERS)  # a send body is a template
    pair = next(i for i, c in enumerate(body) if c in s.GSM_EXTENSION)
    assert pair % PART_LIMIT["GSM"] in (PART_LIMIT["GSM"] - 2, PART_LIMIT["GSM"] - 1, 0)


def test_an_escape_pair_at_the_boundary_costs_a_part():
    body = "a" * 152 + "€" + "a" * 152
    assert segment(body).segment_count == 3 and -(-segment(body).units // PART_LIMIT["GSM"]) == 2


def test_same_digits_elsewhere_is_another_phone_with_the_same_ending():
    for region in s.REGIONS:
        number = s.mobile_number(region, 7)
        twin = s.same_digits_elsewhere(number)
        assert twin is not None and twin[-9:] == number[-9:] and not phones.same_phone(twin, number)
