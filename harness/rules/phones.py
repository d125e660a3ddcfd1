"""Phone identity (PH-FORMS, SEND-INTL-PHONE, SUB-E164): E.164 through phonenumbers.

A customer's phone counts only in international form ("+" or "00", 003); providers report bare
international digits, which `identity(..., bare_ok=True)` accepts.
"""

from __future__ import annotations

import phonenumbers


def identity(raw: str | None, *, bare_ok: bool = False) -> str | None:
    """The E.164 form of an international phone, or None (national form, junk, short code)."""
    if not raw:
        return None
    text = "".join(raw.split())
    if text.startswith("00"):
        text = "+" + text[2:]
    elif not text.startswith("+"):
        if not (bare_ok and text.isdigit()):
            return None
        text = "+" + text
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def same_phone(a: str | None, b: str | None) -> bool:
    ia, ib = identity(a, bare_ok=True), identity(b, bare_ok=True)
    return ia is not None and ia == ib


def region(raw: str) -> str | None:
    """ISO 3166 region of a phone (the confirmation-policy country), or None."""
    e164 = identity(raw, bare_ok=True)
    if e164 is None:
        return None
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))


def forms(e164: str) -> list[str]:
    """The ways one number is written: "+CC...", "00CC..." and bare "CC..." (for PH-FORMS checks)."""
    digits = e164.removeprefix("+")
    return ["+" + digits, "00" + digits, digits]
