"""Segment limits (SEG-*): the fakes' GSM 03.38 / UCS-2 count, and the max-parts rule of 003."""

from __future__ import annotations

from fake_providers.encoding import SegmentedText, segment

MIN_MAX_PARTS, MAX_MAX_PARTS = 2, 8

__all__ = ["SegmentedText", "segment", "fits"]


def fits(body: str, max_parts: int) -> bool:
    """Whether the rendered `body` may be sent; otherwise enqueue_failed / too_many_parts (SEG-MAX-PARTS)."""
    return segment(body).segment_count <= max_parts
