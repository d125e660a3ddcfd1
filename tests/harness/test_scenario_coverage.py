"""The scenario suite (scenarios/) as data: every file validates, and together they name every
requirement of the catalogue and every requirement a mutant breaks.

Whether each scenario passes on the reference and fails on its mutants is `smsproof selftest`'s job;
this only keeps the suite complete and well-formed, without starting a server.
"""

import functools
import re
from collections import defaultdict
from pathlib import Path

import pytest

from harness import catalogue
from harness.scenario.loader import ScenarioError, load_file
from harness.scenario.runner import levels
from reference_platform.adapter import platform

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
FILES = sorted(SCENARIOS.rglob("*.yaml"))
MINIMUM_ITEMS = 80  # issue 4: "At least 80 scenarios covering every requirement"

# Requirements no scenario can check yet, each with the reason. Kept strict: once a scenario names
# one of them, the test below fails until it is removed from here.
KNOWN_GAPS: dict[str, str] = {}
_SEED_OR_READING = re.compile(r"\b00[0-4]\b|\bReading\b")


@functools.cache
def _load(path: Path):
    return load_file(path)


@pytest.fixture(scope="module")
def suite():
    scenarios = []
    for path in FILES:
        try:
            scenarios += _load(path)
        except ScenarioError:
            pass  # reported by test_scenario_file_validates_and_cites_its_seed
    return scenarios


@pytest.fixture(scope="module")
def named(suite) -> dict[str, list[str]]:
    by_requirement = defaultdict(list)
    for scenario in suite:
        for requirement in scenario.requirements:
            by_requirement[requirement].append(scenario.name)
    return by_requirement


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(SCENARIOS)) for p in FILES])
def test_scenario_file_validates_and_cites_its_seed(path):
    scenarios = _load(path)  # ScenarioError (file:line: field: message) fails the test
    assert scenarios
    leading = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        leading.append(line)
    assert _SEED_OR_READING.search("\n".join(leading)), (
        f"{path}: start with a comment quoting the seed file (000..004) and phrase it checks, "
        "or the catalogue reading it checks")


def test_suite_has_enough_scenarios_with_unique_names(suite):
    files = defaultdict(set)
    for scenario in suite:
        files[scenario.name].add(str(scenario.path.relative_to(SCENARIOS)))
    assert not {name: paths for name, paths in files.items() if len(paths) > 1}, "scenario ids used in several files"
    assert len(suite) >= MINIMUM_ITEMS, f"{len(suite)} scenario items, at least {MINIMUM_ITEMS} wanted"


def test_every_catalogue_requirement_is_named_by_a_scenario(named):
    uncovered = {r for r in catalogue.default().requirements if r not in named}
    assert uncovered == set(KNOWN_GAPS), (
        f"requirements without a scenario: {sorted(uncovered - set(KNOWN_GAPS))}; "
        f"known gaps now covered (remove them from KNOWN_GAPS): {sorted(set(KNOWN_GAPS) - uncovered)}")


def test_every_must_requirement_has_a_must_level_scenario(suite):
    cat = catalogue.default()
    at_must = {r for s in suite for r, level in levels(s, cat).items() if level == "MUST"}
    missing = {r.id for r in cat.requirements.values() if r.level == "MUST"} - at_must - set(KNOWN_GAPS)
    assert not missing, f"MUST requirements checked only at SHOULD level: {sorted(missing)}"


def test_every_mutant_requirement_is_named_by_a_scenario(named):
    mutants = platform.mutants()
    assert mutants
    unchecked = {m.name: m.requirement for m in mutants if m.requirement not in named}
    assert set(unchecked.values()) <= set(KNOWN_GAPS), f"mutants whose requirement no scenario names: {unchecked}"

