"""Hypothesis strategies for the property checks: the inputs of the seeds' rules and their edges.

Each strategy draws what a real customer, configuration or campaign could contain and leaves the
verdict to the oracle (harness/rules/): a strategy never decides what the platform must do.
"""

from __future__ import annotations

import string
from datetime import datetime, timedelta

import phonenumbers
from hypothesis import assume
from hypothesis import strategies as st

from fake_providers.encoding import PART_LIMIT, SINGLE_LIMIT
from harness.rules import keywords as kw_rules
from harness.rules import phones
from harness.rules.duplicates import Profile

# -- opt-out keywords (001) ---------------------------------------------------------------------
SEED_KEYWORDS = ("stop", "arret")  # 001: 'Example with opt-out keywords: "stop" (English), "arret" (French)'
# Accented forms that unidecode folds back to the plain letter (KW-ACCENT).
ACCENTED = {
    "a": "àáâäãåā", "c": "çćč", "e": "èéêëēė", "i": "ìíîïī", "n": "ñń", "o": "òóôöõō", "r": "ŕř",
    "s": "śšş", "t": "ťţ", "u": "ùúûüū", "y": "ýÿ", "z": "źžż",
}
COMBINING_ACUTE = "\u0301"  # "e" + U+0301 is "é" after NFKC
WHITESPACE = (" ", "\t", "\n", "\r\n", "  ")
LETTERS = string.ascii_lowercase
# Words that follow a keyword in real replies ("stopwatches" is the seed's own example).
TAILS = st.text(alphabet=LETTERS + string.digits + " !?.,'", max_size=15)


def plain_keywords(min_size: int = 1, max_size: int = 20) -> st.SearchStrategy[str]:
    """A keyword as a marketer types it: the seed's, or lowercase ASCII letters."""
    return st.sampled_from(SEED_KEYWORDS) | st.text(alphabet=LETTERS, min_size=max(min_size, 3), max_size=max_size)


@st.composite
def case_variant(draw, word: str) -> str:
    """`word` with every letter's case drawn independently (KW-CASE)."""
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.upper() if flip else c.lower() for c, flip in zip(word, flips))


@st.composite
def accent_variant(draw, word: str) -> str:
    """`word` with at least one letter accented, precomposed or with a combining mark (KW-ACCENT)."""
    positions = [i for i, c in enumerate(word) if c.lower() in ACCENTED]
    if not positions:
        return word
    chosen = draw(st.sets(st.sampled_from(positions), min_size=1))
    out = []
    for i, c in enumerate(word):
        if i in chosen:
            c = draw(st.sampled_from(ACCENTED[c.lower()]) | st.just(c + COMBINING_ACUTE))
        out.append(c)
    return "".join(out)


@st.composite
def leading_whitespace(draw, text: str) -> str:
    """`text` after one or more whitespace characters, as a handset's autocorrect leaves it (KW-WHITESPACE)."""
    return "".join(draw(st.lists(st.sampled_from(WHITESPACE), min_size=1, max_size=3))) + text


@st.composite
def non_matching_prefix(draw, keywords: list[str]) -> str:
    """Words that keep a reply from starting with any keyword when put before one ("Please ", "Gar")."""
    prefix = draw(st.sampled_from(["Please ", "please ", "I said ", "Don't ", "Unsubscribe me ", "Gar", "b", "no "])
                  | st.text(alphabet=LETTERS + " ", min_size=1, max_size=10))
    assume(kw_rules.normalize(prefix) and not any(kw_rules.triggers_opt_out(prefix + k, keywords) for k in keywords))
    return prefix


# Characters special in patterns (regular expressions, globs, SQL LIKE) and punctuation (KW-PREFIX):
# a keyword holding them matches as the text it is.
PATTERN_CHARACTERS = ".?+*()[]{}|^$\\-'!%_"


@st.composite
def punctuated_keyword(draw) -> str:
    """A keyword of 3 to 12 characters with punctuation or pattern characters among its letters."""
    letters = draw(st.text(alphabet=LETTERS, min_size=2, max_size=10))
    specials = draw(st.lists(st.sampled_from(PATTERN_CHARACTERS), min_size=1, max_size=2))
    chars = list(letters)
    for special in specials:
        chars.insert(draw(st.integers(0, len(chars))), special)
    return "".join(chars)


@st.composite
def differing_only_in_punctuation(draw, keyword: str) -> str:
    """`keyword` with its punctuation replaced by a letter, dropped, or repeated: the oracle decides."""
    out = []
    for char in keyword:
        if char in PATTERN_CHARACTERS:
            char = draw(st.sampled_from(["", "o", char * 2, char, "x"]))
        out.append(char)
    return "".join(out)


@st.composite
def keyword_lists_at_limits(draw) -> list[str]:
    """1, 99, 100 or 101 (or 95..105) distinct keywords, one of them 19, 20 or 21 characters long (KW-LIMITS)."""
    count = draw(st.sampled_from([1, 99, 100, 101]) | st.integers(95, 105))
    words = draw(st.lists(st.text(alphabet=LETTERS, min_size=3, max_size=12), min_size=count, max_size=count,
                          unique_by=kw_rules.normalize))
    longest = draw(st.sampled_from([19, 20, 21]))
    index = draw(st.integers(0, count - 1))
    long_word = (words[index] * 21)[:longest]
    if any(kw_rules.normalize(w) == kw_rules.normalize(long_word) for j, w in enumerate(words) if j != index):
        long_word = ("q" * 21)[:longest]  # stays distinct: the others are at most 12 long
    words[index] = long_word
    return words


# -- phones (PH-FORMS, CONF-*) ----------------------------------------------------------------------
REGIONS = ("DE", "FR", "ES", "GB", "IT", "US", "NL", "PL", "SE", "BR")
# Countries that share a calling code with a larger one (+1 US/CA, +44 GB/JE/GG, +7 RU/KZ): the
# confirmation policy is the replier's own country's, not the calling code's main country's.
SHARED_CALLING_CODES = ("CA", "JE", "GG", "KZ", "RU")
POLICY_REGIONS = REGIONS + SHARED_CALLING_CODES


def mobile_number(region: str, serial: int) -> str:
    """A valid mobile number of `region` in E.164, distinct per `serial` (0..999)."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    national = str(example.national_number)
    # Vary the last three digits, avoiding the fakes' magic endings 0001-0004 (failed, expired...).
    candidate = national[:-3] + f"{500 + serial % 500:03d}"
    number = phonenumbers.parse(f"+{example.country_code}{candidate}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def same_digits_elsewhere(e164: str) -> str | None:
    """Another country's possible number ending in the same ten digits as `e164` (a different phone), or None."""
    for code in ("43", "31", "48", "46", "39"):
        twin = phones.identity("+" + code + e164[-10:])
        if twin is not None and not e164.startswith("+" + code):
            return twin
    return None


def mobile_numbers(regions=REGIONS) -> st.SearchStrategy[str]:
    return st.builds(mobile_number, st.sampled_from(regions), st.integers(0, 499))


def written_as(e164: str, form: str) -> str:
    """The number in form "+" (E.164), "00" (003's double zeroes) or "bare" (how providers report it)."""
    digits = e164.removeprefix("+")
    return {"+": "+" + digits, "00": "00" + digits, "bare": digits}[form]


CUSTOMER_FORMS = st.sampled_from(["+", "00"])  # 003: a customer's phone in "00" or "+" form
SENDER_FORMS = st.sampled_from(["+", "00", "bare"])


# -- several profiles on one phone (DUP-*) -------------------------------------------------------
@st.composite
def send_histories(draw, max_profiles: int = 15) -> tuple[int, list[int]]:
    """(profile count 0..15, the profiles sent to, in order): one SMS per send, sends one minute apart."""
    count = draw(st.integers(0, max_profiles))
    if count == 0:
        return 0, []
    sends = draw(st.lists(st.integers(0, count - 1), max_size=min(count + 1, 6)))
    return count, sends


SEND_KINDS = ("campaign", "transactional")  # 001: the profile that "received the last sent SMS", of any kind


@st.composite
def send_kinds(draw, sends: int) -> list[str]:
    """The kind of each of `sends` sends."""
    return draw(st.lists(st.sampled_from(SEND_KINDS), min_size=sends, max_size=sends))


@st.composite
def profile_consents(draw, count: int) -> list[str | None]:
    """Each profile's consent at creation: accepted, or none at all (001: rejects go to "all customers")."""
    return draw(st.lists(st.sampled_from(["accept", None]), min_size=count, max_size=count))


def profiles_after(count: int, sends: list[int], ids: list[str], first_send: datetime,
                   received: list[bool] | None = None) -> list[Profile]:
    """The oracle's view of the profiles: creation order and when each last received an SMS.

    `received[n]` says whether send n reached its profile (a campaign skips a profile without consent).
    """
    received = received if received is not None else [True] * len(sends)
    last = {index: first_send + timedelta(minutes=n) for n, index in enumerate(sends) if received[n]}
    return [Profile(ids[i], i, last.get(i)) for i in range(count)]


# -- instants around the hourly batch (OPT-*, CONS-*) ---------------------------------------------
def offsets_in_hour() -> st.SearchStrategy[float]:
    """Seconds after a full hour for a reply: anywhere, with the edges (:00:00, :59:59.999) likely."""
    return st.sampled_from([0.0, 0.001, 1799.5, 3599.0, 3599.999]) | st.integers(0, 3599_999).map(lambda ms: ms / 1000)


# -- confirmation policy by country (CONF-*) -------------------------------------------------------
POLICIES = ("mandatory", "optional", "prohibited")


@st.composite
def confirmation_policies(draw) -> dict[str, str]:
    """A confirmation_policy map over some of REGIONS (other countries are "optional")."""
    regions = draw(st.lists(st.sampled_from(POLICY_REGIONS), unique=True, max_size=len(POLICY_REGIONS)))
    return {r: draw(st.sampled_from(POLICIES)) for r in regions}


# -- message bodies around segment boundaries (SEG-*) ---------------------------------------------
GSM_BASIC = string.ascii_letters + string.digits + " .,!?-:;'\"@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤%&()*+/<=>¡ÄÖÑÜ§¿äöñüà"
GSM_EXTENSION = "€[]{}~^|\\"
UCS2_BMP = "ąćęłńśźżčřšžőűğışțăâ" + "Привет" + "你好世界" + "αβ"  # outside GSM 03.38
SURROGATE_PAIRS = "😀🎉🚀👍🏽𝄞"  # outside the BMP: 2 UTF-16 code units each
BOUNDARY_OFFSETS = (-1, 0, 1)


def boundary_units(encoding: str, parts: int) -> int:
    """Units that fill exactly `parts` parts: 160 / 70 for one, 153 / 67 per part beyond."""
    return SINGLE_LIMIT[encoding] if parts == 1 else PART_LIMIT[encoding] * parts


JINJA_OPENERS = ("{{", "{%", "{#")  # bodies are templates (driver API): never open a tag by chance


def fill(pattern: list[str], units: int, width, filler: str) -> str:
    """`pattern` repeated to exactly `units` units (`width(char)` each); `filler` (1 unit) where a wide one overflows.

    Bodies are drawn as short patterns rather than character by character so that a failing
    1 000-character body shrinks in a few steps.
    """
    chars, used, index = [], 0, 0
    while used < units:
        char = pattern[index % len(pattern)]
        index += 1
        if used + width(char) > units:
            char = filler
        chars.append(char)
        used += width(char)
    body = "".join(chars)
    return no_template_tags(body)


def no_template_tags(body: str) -> str:
    """`body` with every "{{", "{%" and "{#" broken ("{" -> "}" keeps the count: both 2 septets)."""
    while any(opener in body for opener in JINJA_OPENERS):
        for opener in JINJA_OPENERS:
            body = body.replace(opener, "}" + opener[1])
    return body


@st.composite
def gsm_body(draw, units: int, extension: bool = False) -> str:
    """A GSM 03.38 body of exactly `units` septets; with `extension`, extension characters (2 septets) in it."""
    pattern = draw(st.lists(st.sampled_from(GSM_BASIC), min_size=1, max_size=6))
    if extension:
        extra = draw(st.lists(st.sampled_from(GSM_EXTENSION), min_size=1, max_size=3))
        pattern = draw(st.permutations(pattern + extra))
    return fill(pattern, units, lambda c: 2 if c in GSM_EXTENSION else 1, "a")


@st.composite
def ucs2_body(draw, units: int, surrogates: bool = False) -> str:
    """A body of exactly `units` UTF-16 code units, its first character outside GSM 03.38 (SEG-UNICODE)."""
    first = draw(st.sampled_from(UCS2_BMP))
    pattern = draw(st.lists(st.sampled_from(GSM_BASIC + UCS2_BMP), min_size=1, max_size=6))
    if surrogates:
        extra = draw(st.lists(st.sampled_from(SURROGATE_PAIRS), min_size=1, max_size=3))
        pattern = draw(st.permutations(pattern + extra))
    return first + fill(pattern, units - 1, lambda c: len(c.encode("utf-16-le")) // 2, "a") if units > 1 else first


@st.composite
def escape_pair_at_boundary(draw, max_parts: int = 8) -> str:
    """A GSM body with an extension character (an escape pair) at the end of a 153-septet part.

    A pair never straddles two parts: it moves whole to the next part (SEG-EXTENDED), which costs a
    part when the text after it fills that part (152 + pair + 152 septets are 3 parts, not 2).
    """
    parts = draw(st.integers(1, max_parts - 2))
    before = PART_LIMIT["GSM"] * parts - 1 + draw(st.sampled_from([0, 0, -1, 1]))
    after = PART_LIMIT["GSM"] - 1 + draw(st.sampled_from([0, 0, -1, 1]) | st.integers(-150, 0))
    pattern = draw(st.lists(st.sampled_from(GSM_BASIC), min_size=1, max_size=4))
    width = lambda c: 1  # noqa: E731 -- basic characters only, around the one pair
    return no_template_tags(fill(pattern, before, width, "a") + draw(st.sampled_from(GSM_EXTENSION))
                            + fill(pattern, after, width, "a"))


@st.composite
def boundary_bodies(draw, kind: str, parts=st.integers(1, 9)) -> str:
    """A body one unit short of, exactly at, or one past a segment boundary of 1..9 parts.

    `kind`: "gsm" (basic characters), "extended" (with extension characters), "ucs2", "surrogates".
    """
    encoding = "GSM" if kind in ("gsm", "extended") else "UCS2"
    units = max(1, boundary_units(encoding, draw(parts)) + draw(st.sampled_from(BOUNDARY_OFFSETS)))
    if kind == "gsm":
        return draw(gsm_body(units))
    if kind == "extended":
        return draw(gsm_body(units, extension=True))
    return draw(ucs2_body(units, surrogates=kind == "surrogates"))
