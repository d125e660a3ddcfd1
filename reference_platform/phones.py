"""Phone numbers: international forms (`+`, `00`, bare digits from providers) to E.164."""

import re

import phonenumbers

_SEPARATORS = re.compile(r"[\s\-().]")


def to_e164(raw: str | None, *, bare_ok: bool = False, region: str | None = None) -> str | None:
    """E.164 for a phone in international form, else None.

    Customers must give `+` or `00` (003: "starting with "00" or with "+""); providers send bare
    international digits (Sinch: "12015555555"), accepted with `bare_ok`. `region` parses
    national numbers too (only a mutant uses it).
    """
    if not isinstance(raw, str):
        return None
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    elif not text.startswith("+"):
        if bare_ok and text.isdigit():
            text = "+" + text
        elif region is None:
            return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def inbound_address(raw: str) -> str:
    """A provider-reported number: E.164 when it is a phone, else the short code as given."""
    text = _SEPARATORS.sub("", str(raw).strip())
    if text.isdigit() and len(text) <= 6:
        return text
    return to_e164(text, bare_ok=True) or text


def region_of(e164: str) -> str | None:
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return None


def calling_code_region(e164: str) -> str | None:
    """The main country of the phone's calling code (+1 US, +44 GB, +7 RU); only a mutant uses it."""
    try:
        return phonenumbers.region_code_for_country_code(phonenumbers.parse(e164).country_code)
    except phonenumbers.NumberParseException:
        return None
