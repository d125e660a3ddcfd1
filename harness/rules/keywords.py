"""Opt-out keywords (001): KW-CASE, KW-ACCENT, KW-WHITESPACE, KW-PREFIX, KW-LIMITS, KW-CATEGORIES,
and what a reply does under the two-way settings (OPT-DISABLED, IN-TRACKED).

Reading (catalogue): both sides are normalized by NFKC, unidecode, case-folding and removing all
whitespace; a message opts out when its normalized form starts with a normalized keyword.
"""

from __future__ import annotations

import re
import unicodedata

from unidecode import unidecode

MAX_KEYWORDS = 100
MAX_KEYWORD_LENGTH = 20
MAX_CATEGORIES = 5
_WHITESPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    return _WHITESPACE.sub("", unidecode(unicodedata.normalize("NFKC", text)).casefold())


def matching_keyword(message: str, keywords: list[str]) -> str | None:
    """The first keyword `message` starts with (after normalization), or None."""
    body = normalize(message)
    for keyword in keywords:
        wanted = normalize(keyword)
        if wanted and body.startswith(wanted):
            return keyword
    return None


def triggers_opt_out(message: str, keywords: list[str]) -> bool:
    return matching_keyword(message, keywords) is not None


def reply_effect(message: str, keywords: list[str], *, opt_out_enabled: bool = True,
                 track_incoming: bool = True) -> str:
    """What a reply to the dedicated number does: "opt_out" (blacklisted at once, events by the batch),
    "tracked" (an incoming_message event, 001: "recognized and tracked as a campaign event") or "ignored".

    001: "enable Track incoming messages and the use of Opt-out keywords": each setting switches its part.
    """
    if opt_out_enabled and triggers_opt_out(message, keywords):
        return "opt_out"
    return "tracked" if track_incoming else "ignored"


def configuration_accepted(keywords: list[str], categories: list[str]) -> bool:
    """Whether a two-way configuration is within the seed's limits (KW-LIMITS, KW-CATEGORIES)."""
    return (
        len(keywords) <= MAX_KEYWORDS
        and all(0 < len(k) <= MAX_KEYWORD_LENGTH for k in keywords)
        and len(categories) <= MAX_CATEGORIES
    )
