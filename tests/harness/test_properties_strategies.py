"""The property checks' strategies draw what they claim: variants the oracle reads as intended, bodies at the boundaries."""

from datetime import timedelta

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


def test_example_database_defaults_under_dot_hypothesis(monkeypatch, tmp_path):
    monkeypatch.delenv(check_settings.DATABASE_ENV, raising=False)
    assert check_settings.database_path().as_posix() == ".hypothesis/smsproof"
    monkeypatch.setenv(check_settings.DATABASE_ENV, str(tmp_path))
    assert check_settings.database_path() == tmp_path
