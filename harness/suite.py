"""What a certificate was checked with: the smsproof version and a hash of the suite's files.

The hash covers the contents (not the locations) of the catalogue, the scenario files and the
property-check modules of a run, so the same suite gives the same hash from a wheel or a clone.
"""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version as package_version
from pathlib import Path

from harness import SUITE_VERSION


def smsproof_version() -> str:
    try:
        return package_version("smsproof")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return SUITE_VERSION


def suite_hash(files: list[Path]) -> str:
    digests = sorted(hashlib.sha256(path.read_bytes()).hexdigest() for path in set(files))
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


def describe(files: list[Path]) -> dict:
    """The `suite` entry of a report."""
    return {"smsproof_version": smsproof_version(), "hash": suite_hash(files), "files": len(set(files))}
