"""Phone numbers as providers see them: E.164 parsing through phonenumbers, and matching across
the `+`, `00` and bare international forms that providers accept interchangeably."""
from __future__ import annotations

from functools import lru_cache

import phonenumbers
from phonenumbers import phonemetadata, phonenumberutil


def digits_of(number: str) -> str:
    """The international digits of a number written `+CC...`, `00CC...` or `CC...`."""
    text = number.replace(" ", "").strip()
    if text.startswith("+"):
        return text[1:]
    if text.startswith("00"):
        return text[2:]
    return text


@lru_cache(maxsize=65536)
def to_e164(number: str) -> str | None:
    """`+CC...` for a possible international number in any of the three forms, else None."""
    digits = digits_of(number)
    if digits.isascii():
        return _ascii_e164(digits) if digits.isdigit() else None
    return parsed_e164(digits) if digits.isdigit() else None


def parsed_e164(digits: str) -> str | None:
    """What `to_e164` answers, through phonenumbers' full parse (any Unicode digits)."""
    try:
        parsed = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# `parsed_e164` for ASCII digits, a seventh of the time: the steps of phonenumbers' parse,
# is_possible_number and format_number that can change such a number (country code, national
# prefix, lengths), taken from phonenumbers itself, without the general input handling
# (punctuation, extensions, Unicode digits, RFC 3966). Checked against it by a Hypothesis test;
# a phonenumbers without these internals gets the full parse.
_CODES = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
_metadata: dict[int, object] = {}
try:
    _strip_national_prefix = phonenumberutil._maybe_strip_national_prefix_carrier_code
    _test_length = phonenumberutil._test_number_length
    _MAX_INPUT = phonenumberutil._MAX_INPUT_STRING_LENGTH
    _MIN_NSN, _MAX_NSN = phonenumberutil._MIN_LENGTH_FOR_NSN, phonenumberutil._MAX_LENGTH_FOR_NSN
    _POSSIBLE = (phonenumberutil.ValidationResult.IS_POSSIBLE,
                 phonenumberutil.ValidationResult.IS_POSSIBLE_LOCAL_ONLY)
    _KEPT_WHOLE = (phonenumberutil.ValidationResult.TOO_SHORT,
                   phonenumberutil.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
                   phonenumberutil.ValidationResult.INVALID_LENGTH)
    _metadata_for = phonemetadata.PhoneMetadata.metadata_for_region_or_calling_code
except AttributeError:  # pragma: no cover (another phonenumbers)
    _strip_national_prefix = None


def _ascii_e164(digits: str) -> str | None:
    if _strip_national_prefix is None:  # pragma: no cover
        return parsed_e164(digits)
    # parse: viable (at least 3 digits after the +), not too long, a country code of 1 to 3 digits
    if not 3 <= len(digits) < _MAX_INPUT or digits[0] == "0":
        return None
    for size in (1, 2, 3):
        code = int(digits[:size])
        if code in _CODES:
            national = digits[size:]
            break
    else:
        return None
    if len(national) < _MIN_NSN:
        return None
    metadata = _metadata.get(code)
    if metadata is None:
        metadata = _metadata[code] = _metadata_for(code, phonenumbers.region_code_for_country_code(code))
    # a national prefix written after the country code is dropped when what remains is possible
    stripped = _strip_national_prefix(national, metadata)[1]
    if _test_length(stripped, metadata) not in _KEPT_WHOLE:
        national = stripped
    if not _MIN_NSN <= len(national) <= _MAX_NSN:
        return None
    # is_possible_number on the national significant number (leading zeros kept), then E.164
    if _test_length(national, metadata) not in _POSSIBLE:
        return None
    return f"+{code}{national}"


def same_number(a: str, b: str) -> bool:
    """True when both name the same number (phones in any form) or the same sender name."""
    da, db = digits_of(a), digits_of(b)
    if da.isdigit() and db.isdigit():
        return da == db
    return a.strip().casefold() == b.strip().casefold()


def number_key(number: str) -> str:
    """A key under which `same_number` equals compare equal (for dictionaries of numbers)."""
    digits = digits_of(number)
    return digits if digits.isdigit() else number.strip().casefold()
