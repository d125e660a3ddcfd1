"""Opt-out keyword matching (001: case-insensitive, accents and whitespace ignored, prefix match)."""

import re
import unicodedata

from unidecode import unidecode

_WHITESPACE = re.compile(r"\s+")
_KEYWORD_LIMIT = 100
_KEYWORD_LENGTH = 20


def normalize(text: str, broken, *, keyword: bool = False) -> str:
    text = unicodedata.normalize("NFKC", text)
    if not broken("kw_accent_sensitive"):
        text = unidecode(text)
    if not broken("kw_case_sensitive") and not (keyword and broken("kw_keyword_case_kept")):
        text = text.casefold()
    if broken("kw_whitespace_spaces_only"):
        text = text.replace(" ", "")
    elif not broken("kw_whitespace_significant"):
        text = _WHITESPACE.sub("", text)
    return text


def matching_keyword(message: str, keywords: list[str], broken) -> str | None:
    """The first keyword the message starts with, after normalizing both sides."""
    body = normalize(message, broken)
    for keyword in keywords:
        wanted = normalize(keyword, broken, keyword=True)
        if not wanted:
            continue
        if broken("kw_match_anywhere"):
            hit = wanted in body
        elif broken("kw_whole_message"):
            hit = body == wanted
        elif broken("kw_pattern_match"):
            try:
                hit = re.match(wanted, body) is not None
            except re.error:
                hit = False
        else:
            hit = body.startswith(wanted)
        if hit:
            return keyword
    return None


def keyword_problems(keywords, broken) -> list[tuple[str, str]]:
    """(path, message) for each keyword-list problem: at most 100 keywords of at most 20 chars."""
    if not isinstance(keywords, list):
        return [("two_way.keywords", "must be a list of strings")]
    problems = []
    limit, length = (_KEYWORD_LIMIT, _KEYWORD_LENGTH)
    if broken("kw_limits_unchecked"):
        limit, length = 10**6, 10**6
    if len(keywords) > limit:
        problems.append(("two_way.keywords", f"at most {limit} keywords, got {len(keywords)}"))
    for index, keyword in enumerate(keywords):
        path = f"two_way.keywords[{index}]"
        if not isinstance(keyword, str) or not keyword.strip():
            problems.append((path, "must be a non-empty string"))
        elif (size := len(keyword.encode()) if broken("kw_length_in_bytes") else len(keyword)) > length:
            problems.append((path, f"at most {length} characters, got {size}"))
    return problems
