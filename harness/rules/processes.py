"""SMS processes and confirmation policy (000): PROC-*, CONF-*.

Reading (docs/architecture.md): the service keyword is the first word of the message (after the
provider keyword on a shared short code), compared case-insensitively with the process's default
and custom keywords; the confirmation policy is by the region of the phone that replied.
"""

from __future__ import annotations

from harness.rules import phones

POLICIES = ("mandatory", "optional", "prohibited")


def service_keyword(body: str, provider_keyword: str | None = None) -> str | None:
    """The service keyword of an inbound SMS, or None (no word, or missing provider keyword)."""
    words = body.split()
    if provider_keyword is not None:
        if not words or words[0].casefold() != provider_keyword.casefold():
            return None
        words = words[1:]
    return words[0].casefold() if words else None


def covers(state: str, keywords: list[str], body: str, provider_keyword: str | None = None) -> bool:
    """Whether a process in `state` with `keywords` acts on `body` (PROC-STATE, PROC-CUSTOM-KW)."""
    word = service_keyword(body, provider_keyword)
    return state == "started" and word is not None and word in {k.casefold() for k in keywords}


def custom_keyword_valid(keyword: str) -> bool:
    """PROC-CUSTOM-KW-CHARS: letters only; no digits, special characters or spaces."""
    return bool(keyword) and keyword.isalpha()


def confirmation_sent(policy: dict[str, str], phone: str, send_confirmation: bool, has_message: bool = True) -> bool:
    """Whether an unsubscribe confirmation goes to `phone` (CONF-MANDATORY/OPTIONAL/PROHIBITED)."""
    rule = policy.get(phones.region(phone) or "", "optional")
    if not has_message or rule == "prohibited":
        return False
    return rule == "mandatory" or send_confirmation
