"""Phone numbers as providers see them: E.164 parsing through phonenumbers, and matching across
the `+`, `00` and bare international forms that providers accept interchangeably."""
from __future__ import annotations

from functools import lru_cache

import phonenumbers


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
    if not digits.isdigit():
        return None
    try:
        parsed = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


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
