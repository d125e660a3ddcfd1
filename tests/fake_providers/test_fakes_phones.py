"""phones.to_e164's short path for ASCII digits accepts, refuses and formats exactly as
phonenumbers' full parse, is_possible_number and E.164 formatting do."""
import phonenumbers
from hypothesis import example, given, settings, strategies as st

from fake_providers.phones import _ascii_e164, parsed_e164, to_e164

DIGITS = st.text(alphabet="0123456789", max_size=22)
COUNTRY_CODES = st.sampled_from(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE)).map(str)
# A country code and what may follow it: national prefixes, leading zeros, every length.
NUMBERS = st.one_of(DIGITS, st.tuples(COUNTRY_CODES, DIGITS.map(lambda d: d[:18])).map("".join))


@settings(max_examples=3000)
@given(NUMBERS)
@example("390612345678")  # Italy: the leading zero is part of the number
@example("44020712345678")  # UK: a national prefix written after the country code
@example("78123456789")  # Russia's national prefix 8
@example("1" * 249)
@example("1" * 250)
@example("001")
def test_ascii_digits_read_as_phonenumbers_reads_them(digits):
    assert _ascii_e164(digits) == parsed_e164(digits)


@settings(max_examples=500)
@given(st.one_of(st.text(max_size=20), NUMBERS.map(lambda d: "+" + d), NUMBERS.map(lambda d: "00" + d),
                 st.text(alphabet="0123456789٠١٢٣٤٥٦٧٨٩²+ ", max_size=16)))
def test_any_text_reads_as_a_full_parse(number):
    text = number.replace(" ", "").strip()
    digits = text[1:] if text.startswith("+") else text[2:] if text.startswith("00") else text
    assert to_e164(number) == (parsed_e164(digits) if digits.isdigit() else None)
