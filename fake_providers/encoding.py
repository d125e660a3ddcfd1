"""GSM 03.38 vs UCS-2 encoding and segmentation of SMS text, as handsets and providers count it.

GSM 7-bit: septets from the gsm0338 codec (extension characters such as `{` or `€` take 2, the
escape and the character). UCS-2: UTF-16 code units (characters outside the BMP take 2). A single
message holds 160 septets / 70 units; concatenated parts 153 / 67 (the rest is the UDH). Parts are
filled greedily and never split an escape pair or a surrogate pair.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

GSM = "GSM"
UCS2 = "UCS2"
SINGLE_LIMIT = {GSM: 160, UCS2: 70}
PART_LIMIT = {GSM: 153, UCS2: 67}


@dataclass(frozen=True, slots=True)
class SegmentedText:
    encoding: str  # GSM | UCS2
    units: int  # septets (GSM) or UTF-16 code units (UCS2)
    segments: tuple[str, ...]

    @property
    def segment_count(self) -> int:
        return len(self.segments)


@lru_cache(maxsize=4096)
def gsm_septets(char: str) -> int | None:
    """Septets of one character in GSM 03.38, None when it has no GSM encoding."""
    try:
        return len(char.encode("gsm03.38"))
    except UnicodeEncodeError:
        return None


def ucs2_units(char: str) -> int:
    return len(char.encode("utf-16-le")) // 2


def segment(text: str) -> SegmentedText:
    """Encoding, unit count and parts of `text` (an empty text is one empty part)."""
    widths = [gsm_septets(ch) for ch in text]
    encoding = GSM
    if None in widths:
        encoding, widths = UCS2, [ucs2_units(ch) for ch in text]
    units = sum(widths)
    if units <= SINGLE_LIMIT[encoding]:
        return SegmentedText(encoding, units, (text,))
    limit, segments, start, used = PART_LIMIT[encoding], [], 0, 0
    for index, width in enumerate(widths):
        if used + width > limit:
            segments.append(text[start:index])
            start, used = index, 0
        used += width
    segments.append(text[start:])
    return SegmentedText(encoding, units, tuple(segments))
