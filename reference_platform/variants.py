"""Conforming variants: other readings of an ambiguous seed, each of which certification must pass.

Where a seed allows more than one reading, the harness's MUST checks accept every conforming one
(the catalogue's `decision`). A variant implements one such other reading at the one place its rule
lives, asked as `broken.reads("<name>")`; `smsproof selftest` asserts that it fails no MUST check,
so a check that is stricter than the seed cannot go unnoticed.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    name: str
    requirement: str
    description: str


VARIANTS = [
    Variant("batch_one_hour_after_reply", "OPT-BATCH-HOURLY",
            "The hourly batch runs one hour after the oldest waiting reply, not at the next full hour."),
]

BY_NAME = {variant.name: variant for variant in VARIANTS}
