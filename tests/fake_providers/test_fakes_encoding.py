import pytest
from hypothesis import given, settings, strategies as st

from fake_providers.encoding import GSM, UCS2, segment

VECTORS = [
    ("a" * 160, GSM, 1),
    ("a" * 161, GSM, 2),
    ("a" * 306, GSM, 2),
    ("a" * 307, GSM, 3),
    ("{" + "1" * 158, GSM, 1),
    ("{" + "1" * 159, GSM, 2),
    ("😀" + "1" * 68, UCS2, 1),
    ("😀" + "1" * 69, UCS2, 2),
    ("ç" * 70, UCS2, 1),  # lower-case c-cedilla is not in GSM 03.38
    ("é" * 160, GSM, 1),  # e-acute is
    ("€" * 80, GSM, 1),
    ("€" * 81, GSM, 2),
    ("", GSM, 1),
]


@pytest.mark.parametrize(("text", "encoding", "count"), VECTORS)
def test_vectors(text, encoding, count):
    result = segment(text)
    assert (result.encoding, result.segment_count) == (encoding, count)


def test_units_count_extension_characters_twice_and_surrogates_twice():
    assert segment("{}[]").units == 8
    assert segment("😀a").units == 3


def test_a_part_boundary_never_splits_an_escape_pair():
    text = "a" * 152 + "€" + "b" * 10  # the euro sign would straddle the 153-septet boundary
    parts = segment(text).segments
    assert parts[0] == "a" * 152 and parts[1].startswith("€")


def test_a_part_boundary_never_splits_a_surrogate_pair():
    text = "x" * 66 + "😀" + "y" * 10
    parts = segment(text).segments
    assert parts[0] == "x" * 66 and parts[1].startswith("😀")


gsm_text = st.text(alphabet=st.sampled_from(list("abcXYZ019 @£$¥èéùìò\n{}[]~^|€\\")), max_size=500)
any_text = st.text(max_size=300)


@settings(max_examples=60, deadline=None)
@given(st.one_of(gsm_text, any_text))
def test_segments_join_back_to_the_text(text):
    assert "".join(segment(text).segments) == text


@settings(max_examples=60, deadline=None)
@given(st.one_of(gsm_text, any_text))
def test_never_fewer_segments_than_the_simple_bound(text):
    result = segment(text)
    single, part = (160, 153) if result.encoding == GSM else (70, 67)
    bound = 1 if result.units <= single else -(-result.units // part)
    assert result.segment_count >= bound


@settings(max_examples=60, deadline=None)
@given(gsm_text)
def test_each_part_fits_its_limit(text):
    result = segment(text)
    if result.segment_count > 1:
        for part in result.segments:
            assert segment(part).units <= 153
