"""pytest glue of the property checks: example count, applicability, and results for the report.

Collected by path (`pytest <harness/properties> [--smsproof-platform ...]`), the checks use the
smsproof plugin's `smsproof_env` fixture (platform + fakes of the run). Here:
- `--smsproof-examples N` sets every check's example count, and `--hypothesis-seed S` makes the seed
  drive the draws (without it the checks are derandomized), before the check modules import;
- a check whose requirements' profile is not offered (or not selected with --smsproof-profile), or
  that needs a drivable clock or workspaces the platform lacks, is skipped as "NOT APPLICABLE: ...",
  never passed; the checks go through the platform's provider (`Environment.platform_provider`:
  Sinch when declared, else CM.com or Instasent), NOT APPLICABLE only when it shares none with the fakes;
- SMSPROOF_REQUIREMENTS=ID[,ID...] keeps only the checks of those requirements (for a mutant
  sweep: the checks of the requirement the mutant breaks);
- with `--smsproof-results DIR`, each check appends one result line to DIR/results-<worker>.jsonl in
  the scenarios' format (harness.scenario.runner.ScenarioResult), so the report turns it into
  per-requirement verdicts like any scenario.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness import catalogue
from harness.properties import settings as check_settings
from harness.properties.sandbox import Target
from harness.pytest_plugin import worker_id
from harness.scenario.runner import (ERROR, FAILED, NOT_APPLICABLE, NOT_CHECKED, PASSED, CheckFailed, Environment,
                                     ScenarioResult, StepRecord)

REQUIREMENTS_ENV = "SMSPROOF_REQUIREMENTS"
PROVIDER = pytest.StashKey[str | None]()  # the provider a check went through (the report says it)


def pytest_configure(config: pytest.Config) -> None:
    try:
        check_settings.configure(examples=config.getoption("--smsproof-examples", default=None),
                                 seed=config.getoption("--hypothesis-seed", default=None))
    except check_settings.SettingsError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = {r.strip() for r in os.environ.get(REQUIREMENTS_ENV, "").split(",") if r.strip()}
    here = Path(__file__).parent
    if not wanted:
        return
    dropped = [i for i in items if here in Path(str(i.path)).parents and not wanted & set(requirements_of(i))]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]


def requirements_of(item: pytest.Item) -> list[str]:
    return [m.args[0] for m in item.iter_markers("requirement")]


def level_of(item: pytest.Item, cat: catalogue.Catalogue) -> dict[str, str]:
    """`requirement(id, level="SHOULD")` marks a check of a reading the catalogue holds at SHOULD."""
    return {m.args[0]: m.kwargs.get("level", cat[m.args[0]].level) for m in item.iter_markers("requirement")}


def not_applicable_reason(requirements: list[str], env: Environment, selected: set[str]) -> str | None:
    cat, capabilities = catalogue.default(), env.capabilities
    for requirement in requirements:
        profile = cat[requirement].profile
        if selected and profile not in selected:
            return f"profile {profile} not selected"
        if profile not in (capabilities.get("profiles") or []):
            return f"profile {profile} not offered by the platform"
    if capabilities.get("clock") != "drivable" and env.real_time is None:
        return "needs a drivable clock (capabilities.clock is not 'drivable')"
    if not capabilities.get("workspaces", False):
        return "needs workspaces (capabilities.workspaces is false)"
    if env.platform_provider is None:
        return (f"needs a provider both the platform and the fakes speak (the platform declares "
                f"{', '.join(capabilities.get('providers') or []) or 'none'}; the fakes serve {', '.join(env.fake_providers)})")
    return None


@pytest.fixture(scope="session")
def target(smsproof_env: Environment) -> Target:
    """The platform under test and the fakes, as the checks take them."""
    return Target(smsproof_env)


@pytest.fixture(autouse=True)
def _smsproof_applicable(request: pytest.FixtureRequest, smsproof_env: Environment) -> None:
    selected = set(request.config.getoption("--smsproof-profile", default=[]) or [])
    reason = not_applicable_reason(requirements_of(request.node), smsproof_env, selected)
    request.node.stash[PROVIDER] = None if reason else smsproof_env.platform_provider
    if reason:
        pytest.skip(f"NOT APPLICABLE: {reason}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or (report.when == "setup" and not report.passed):
        result = _result(item, call, report)
        item.user_properties += [("requirements", " ".join(result.requirements)), ("verdict", result.verdict)]
        _record(item.config, result)


def _result(item: pytest.Item, call: pytest.CallInfo, report: pytest.TestReport) -> ScenarioResult:
    cat = catalogue.default()
    path, line, _ = item.reportinfo()
    function = getattr(item, "function", None)
    title = ((function.__doc__ if function else None) or item.name).strip().splitlines()[0]
    result = ScenarioResult(f"property:{item.name}", str(path), (line or 0) + 1, title,
                            requirements_of(item), level_of(item, cat), PASSED,
                            duration_s=round(call.duration, 3), follows_platform=True)
    provider = item.stash.get(PROVIDER, None)
    result.providers = [provider] if provider else []
    if report.skipped:
        result.reason = str(report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr)
        result.reason = result.reason.removeprefix("Skipped: ")
        result.verdict = NOT_CHECKED if result.reason.startswith("NOT CHECKED: ") else NOT_APPLICABLE  # real time
        result.reason = result.reason.removeprefix("NOT APPLICABLE: ").removeprefix("NOT CHECKED: ")
    elif report.failed:
        exc = call.excinfo.value if call.excinfo else None
        result.verdict = FAILED if _platform_at_fault(exc) else ERROR
        result.reason = str(exc).splitlines()[0] if exc is not None else "failed"
        steps = getattr(exc, "steps", None) or []  # the sandbox's actions in the failing (shrunk) example
        result.failed_step = f"the minimal falsifying example ({len(steps)} steps)" if steps else "falsifying example"
        result.steps = [StepRecord("example", i, step["kind"], step["spec"], i + 1, clock=step["clock"], status="ok")
                        for i, step in enumerate(steps)]
        result.expected = getattr(exc, "expected", None)
        result.observed = getattr(exc, "observed", None) if isinstance(exc, CheckFailed) else result.reason
        result.exchanges = getattr(exc, "exchanges", [])[-200:]
        result.timeline = getattr(exc, "timeline", [])
    return result


def _platform_at_fault(exc: BaseException | None) -> bool:
    """A mismatch with the oracle, or the platform answering what the driver API does not allow."""
    if isinstance(exc, BaseExceptionGroup):
        return any(_platform_at_fault(e) for e in exc.exceptions)
    if isinstance(exc, AssertionError):  # CheckFailed: the platform differs from the oracle
        return True
    exchange = getattr(exc, "exchange", None)  # Refused, UnexpectedResponse
    return exchange is not None and exchange.side == "platform"


def _record(config: pytest.Config, result: ScenarioResult) -> None:
    directory = config.getoption("--smsproof-results", default=None)
    if not directory:
        return
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    worker = worker_id(config)
    with open(directory / f"results-{worker}.jsonl", "a", encoding="utf-8") as out:
        out.write(json.dumps(result.to_json(), default=str, ensure_ascii=False) + "\n")

