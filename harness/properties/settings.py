"""Hypothesis settings of the property checks: small by default, deeper on request, reproducible.

Every check's example count is `examples(default)`: the default keeps `smsproof certify` fast, and
`--smsproof-examples N` (pytest) or SMSPROOF_EXAMPLES=N (environment) runs N examples per check
(N runs of each state machine).

A verdict depends only on the platform and the seed, never on earlier runs in the same folder:
- without a seed the checks are derandomized (each check draws the same examples on every run);
  with `--hypothesis-seed S` (what `smsproof certify --seed S` passes) the seed drives every draw,
  so the same seed gives the same examples and the same verdict;
- the example database is off. SMSPROOF_HYPOTHESIS_DB=DIR turns it on (failing examples saved in
  DIR and replayed first by the next run): for debugging a platform, never for a certificate;
- the boundary cases of each rule are explicit `@example`s, run first in every run whatever the
  seed, so a fault at a boundary is found in every run, not in most;
- SMSPROOF_SHRINK=0 skips shrinking (a failure is reported as found), and shrinking a failure stops
  after SMSPROOF_SHRINK_SECONDS (default 20 s): the bound on the time a check spends on a faulty
  platform beyond its examples (docs/properties.md).
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.internal.conjecture import engine as _engine

EXAMPLES_ENV = "SMSPROOF_EXAMPLES"
SHRINK_ENV = "SMSPROOF_SHRINK"
SHRINK_SECONDS_ENV = "SMSPROOF_SHRINK_SECONDS"
DATABASE_ENV = "SMSPROOF_HYPOTHESIS_DB"
DEFAULT_SHRINK_SECONDS = 20
_overrides: dict[str, object] = {}
_UNSET = object()


class SettingsError(ValueError):
    """An example count, seed, shrink bound or database path that cannot be used."""


def configure(examples: int | None = None, database: str | os.PathLike | None = None,
              shrink: bool | None = None, seed=_UNSET) -> None:
    """Set from the pytest options before the check modules are imported (harness/properties/conftest.py).

    `seed` is the run's `--hypothesis-seed` (None: no seed), set on every run so that a seed of an
    earlier in-process run never carries over."""
    if shrink is not None:
        _overrides["shrink"] = shrink
    if examples is not None:
        _overrides["examples"] = _positive(examples, "--smsproof-examples")
    if database is not None:
        _overrides["database"] = Path(database)
    if seed is not _UNSET:
        _overrides["seed"] = seed


def _positive(value, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise SettingsError(f"{name} must be a positive integer, got {value!r}")
    return number


def examples(default: int) -> int:
    if "examples" in _overrides:
        return int(_overrides["examples"])
    if os.environ.get(EXAMPLES_ENV):
        return _positive(os.environ[EXAMPLES_ENV], EXAMPLES_ENV)
    return default


def shrink() -> bool:
    if "shrink" in _overrides:
        return bool(_overrides["shrink"])
    return os.environ.get(SHRINK_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def shrink_seconds() -> int:
    if os.environ.get(SHRINK_SECONDS_ENV):
        return _positive(os.environ[SHRINK_SECONDS_ENV], SHRINK_SECONDS_ENV)
    return DEFAULT_SHRINK_SECONDS


def seeded() -> bool:
    """Whether a seed was given (`--hypothesis-seed`): it then drives the draws instead of derandomize."""
    return _overrides.get("seed") is not None


def database_path() -> Path | None:
    """The opt-in example database directory, or None (the default: no replay between runs)."""
    chosen = _overrides.get("database") or os.environ.get(DATABASE_ENV)
    return Path(chosen) if chosen else None


def check_settings(default_examples: int, **overrides) -> settings:
    """Settings of one check: no deadline (each example is HTTP), the failure blob printed for replay.

    No `explain` phase: it reruns a failing example many times to annotate lines, too slow over HTTP.
    """
    # Hypothesis reads this bound when shrinking starts; it has no public setting for it.
    _engine.MAX_SHRINKING_SECONDS = shrink_seconds()
    database = database_path()
    phases = (Phase.explicit,) + ((Phase.reuse,) if database else ()) + (Phase.generate, Phase.target)
    phases += (Phase.shrink,) if shrink() else ()
    # derandomize always explicit: with CI set, Hypothesis loads its "ci" profile, derandomized, which
    # would otherwise make every seeded run (smsproof certify --seed in a CI job) draw the same examples.
    randomness = ({"database": DirectoryBasedExampleDatabase(str(database)), "derandomize": False} if database
                  else {"database": None, "derandomize": False} if seeded() else {"derandomize": True})
    return settings(
        max_examples=examples(default_examples), deadline=None, print_blob=True, phases=phases,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                               HealthCheck.function_scoped_fixture],
        **randomness, **overrides,
    )
