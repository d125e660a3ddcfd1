"""How many SMS parts a text takes (003: 160 GSM-7 / 70 UCS-2 per single SMS).

Concatenated parts carry a 6-octet header: 153 septets or 67 UCS-2 units each, filled greedily;
a character never straddles two parts (an escaped extension character or a surrogate pair).
"""

from dataclasses import dataclass

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)


@dataclass(frozen=True)
class Segmentation:
    encoding: str  # "GSM" or "UCS2"
    units: int  # septets or UTF-16 code units
    segment_count: int


def _gsm_costs(text: str, broken) -> list[int] | None:
    try:
        costs = [len(char.encode("gsm03.38")) for char in text]
    except UnicodeEncodeError:
        return None
    if broken("seg_extended_counted_once"):
        costs = [1] * len(costs)
    return costs


def _parts(costs: list[int], single: int, multi: int) -> int:
    if sum(costs) <= single:
        return 1
    parts, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            parts, used = parts + 1, 0
        used += cost
    return parts


def segment(text: str, broken) -> Segmentation:
    costs = _gsm_costs(text, broken)
    if costs is not None or broken("seg_unicode_as_gsm"):
        costs = costs if costs is not None else [1] * len(text)
        multi = 160 if broken("seg_parts_of_160") else 153
        parts = _parts(costs, 160, multi)
        if broken("seg_escape_pair_split") and sum(costs) > 160:
            parts = -(-sum(costs) // multi)
        return Segmentation("GSM", sum(costs), parts)
    costs = [1 if broken("seg_surrogates_count_one") else len(char.encode("utf-16-le")) // 2 for char in text]
    return Segmentation("UCS2", sum(costs), _parts(costs, 70, 67))
