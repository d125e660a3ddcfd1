"""Hypothesis settings of the property checks: small by default, deeper on request, a replayable database.

Every check's example count is `examples(default)`: the default keeps `smsproof certify` fast, and
`--smsproof-examples N` (pytest) or SMSPROOF_EXAMPLES=N (environment) runs N examples per check
(N runs of each state machine). Failing examples are saved in the directory database
SMSPROOF_HYPOTHESIS_DB (default `.hypothesis/smsproof`), so the next run replays them first.
SMSPROOF_SHRINK=0 skips shrinking: a failure is reported as found (for mutant sweeps, where only
detection matters and shrinking HTTP examples costs tens of seconds).
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

EXAMPLES_ENV = "SMSPROOF_EXAMPLES"
SHRINK_ENV = "SMSPROOF_SHRINK"
DATABASE_ENV = "SMSPROOF_HYPOTHESIS_DB"
DEFAULT_DATABASE = Path(".hypothesis") / "smsproof"
_overrides: dict[str, object] = {}


class SettingsError(ValueError):
    """An example count or database path that cannot be used."""


def configure(examples: int | None = None, database: str | os.PathLike | None = None,
              shrink: bool | None = None) -> None:
    """Set from the pytest options before the check modules are imported (harness/properties/conftest.py)."""
    if shrink is not None:
        _overrides["shrink"] = shrink
    if examples is not None:
        _overrides["examples"] = _positive(examples, "--smsproof-examples")
    if database is not None:
        _overrides["database"] = Path(database)


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


def database_path() -> Path:
    return Path(_overrides.get("database") or os.environ.get(DATABASE_ENV) or DEFAULT_DATABASE)


def check_settings(default_examples: int, **overrides) -> settings:
    """Settings of one check: no deadline (each example is HTTP), the failure blob printed for replay.

    No `explain` phase: it reruns a failing example many times to annotate lines, too slow over HTTP.
    """
    phases = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target) + ((Phase.shrink,) if shrink() else ())
    return settings(
        max_examples=examples(default_examples), deadline=None, print_blob=True, phases=phases,
        database=DirectoryBasedExampleDatabase(str(database_path())),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                               HealthCheck.function_scoped_fixture],
        **overrides,
    )
