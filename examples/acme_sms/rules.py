"""The business rules: opt-out keyword matching, phone identity, and who a send may reach."""

import re
import unicodedata

import phonenumbers
from unidecode import unidecode

MAX_KEYWORDS, MAX_KEYWORD_LENGTH, MAX_OPT_OUT_CATEGORIES = 100, 20, 5
BLACKLISTED_MESSAGE = "Phone number is blacklisted by an opt-out keyword."


def fold(text: str) -> str:
    """Compare keywords without case, accents or whitespace: "  Arrêt" -> "arret", "s t o p" -> "stop"."""
    return re.sub(r"\s+", "", unidecode(unicodedata.normalize("NFKC", text)).casefold())


def is_opt_out(message: str, keywords: list[str]) -> bool:
    """A message opts out when it starts with a keyword ("stopwatches" does, "Please stop" does not)."""
    body = fold(message)
    return any(fold(k) and body.startswith(fold(k)) for k in keywords)


def e164(raw, *, bare_digits_ok: bool = False) -> str | None:
    """"+49 151 ..." and "0049151..." (and, from Sinch, "49151...") -> "+49151..."; else None."""
    if not isinstance(raw, str):
        return None
    text = re.sub(r"[\s\-().]", "", raw)
    if text.startswith("00"):
        text = "+" + text[2:]
    elif not text.startswith("+"):
        if not (bare_digits_ok and text.isdigit()):
            return None  # a national number: we cannot know its country
        text = "+" + text
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def our_number(raw: str) -> str:
    """The number a reply was sent to: E.164 for a long code, as given for a short code."""
    digits = re.sub(r"\D", "", raw)
    return digits if len(digits) <= 6 else (e164(raw, bare_digits_ok=True) or raw)


def refusal(customer: dict, *, kind: str, category: str | None, legal_basis: str,
            blacklist_entry: dict | None) -> tuple[str, str | None, str | None] | None:
    """(status, reason, message) when the customer must not get this send, else None. Order matters:
    phone, phone status, the opt-out blacklist, then (campaigns only) subscription and consents."""
    if customer["phone"] is None:
        return "skipped", "no_phone", None
    if customer["mobile_phone_status"] in ("bounced", "paused"):
        return "skipped", f"phone_{customer['mobile_phone_status']}", None
    if blacklist_entry is not None and blacklist_entry["processed_at"] is None:
        return "enqueue_failed", "blacklisted", BLACKLISTED_MESSAGE
    if kind != "campaign":
        return None
    if customer["sms_subscription"] != "subscribed":
        return "skipped", "not_subscribed", None
    if category is None:
        return None
    consent = customer["consents"].get(category)
    if consent and consent["action"] == "reject":
        return "skipped", "consent_rejected", None
    if legal_basis == "consent":
        return None if consent and consent["action"] == "accept" else ("skipped", "no_consent", None)
    # Legitimate interest: a phone unsubscribed by a reply blocks every profile with it, new ones
    # included, until that profile explicitly accepts (through the API) after the opt-out.
    if blacklist_entry is not None:
        accepted_since = (consent is not None and consent["action"] == "accept" and consent["explicit"]
                          and consent["at"] >= blacklist_entry["blacklisted_at"])
        if not accepted_since:
            return "skipped", "legitimate_interest_block", None
    return None
