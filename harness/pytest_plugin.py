"""pytest plugin `smsproof` (entry point pytest11): scenario collector, fixtures, requirement marker.

Loaded in every pytest run, it stays inert unless asked: YAML files are collected only under the
directories given by `--smsproof-scenarios` (or the ini option `smsproof_scenarios`), and servers
start only when a scenario or a fixture needs them. Under pytest-xdist every worker process starts
its own fakes (their clock is global) and, for an embedded platform, its own platform.

    pytest scenarios --smsproof-scenarios scenarios [--smsproof-platform reference|URL|name]

Fixtures: `smsproof_env` (platform + fakes, session), `smsproof_driver`, `smsproof_fakes`,
`smsproof_capabilities`, `smsproof_workspace` (a fresh workspace per test), `smsproof_clock`
(moves the workspace's clock and the fakes' clock together), `smsproof_examples` (--examples).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest

from harness import catalogue, realtime, servers
from harness.exchanges import Unreachable
from harness.scenario.loader import Scenario, ScenarioError, load_file
from harness.scenario.runner import (ERROR, FAILED, NOT_APPLICABLE, NOT_CHECKED, PASSED, PROVIDERS, Clocks,
                                    Environment, ScenarioResult, run_scenario)

_SESSION = pytest.StashKey["SmsproofSession"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("smsproof", "smsproof certification")
    group.addoption("--smsproof-scenarios", action="append", default=[], metavar="DIR",
                    help="collect scenario YAML files under DIR (repeatable)")
    group.addoption("--smsproof-platform", default=servers.DEFAULT_PLATFORM, metavar="SPEC",
                    help="platform under test: a registered name (default: reference) or a URL")
    group.addoption("--smsproof-platform-url", default=None, metavar="URL",
                    help="an already running instance of the platform (used instead of starting it)")
    group.addoption("--smsproof-mutant", default=None, metavar="NAME", help="embedded platform's mutant")
    group.addoption("--smsproof-fakes", default=None, metavar="URL",
                    help="running fake providers (default: start them in this process)")
    group.addoption("--smsproof-profile", action="append", default=[], metavar="PROFILE",
                    help="run only requirements of these profiles (others are not applicable)")
    group.addoption("--smsproof-results", default=None, metavar="DIR",
                    help="append one JSON line per scenario result to DIR/results-<worker>.jsonl")
    group.addoption("--smsproof-examples", type=int, default=None, metavar="N",
                    help="max examples for smsproof's property checks")
    group.addoption("--smsproof-provider", default=None, choices=PROVIDERS, metavar="PROVIDER",
                    help="the provider checks not about one provider's format go through (default: sinch when the "
                         "platform declares it, else the first of cm and instasent it declares)")
    _add_real_time_options(group)
    parser.addini("smsproof_scenarios", "directories whose YAML files are smsproof scenarios", type="paths", default=[])


def _add_real_time_options(group) -> None:
    group.addoption("--smsproof-real-time", choices=("auto", "on"), default="auto",
                    help="real-time mode (docs/harness.md): auto = when capabilities.clock is not 'drivable'")
    group.addoption("--smsproof-time-budget", type=realtime.parse_budget, default=realtime.DEFAULT_BUDGET,
                    metavar="DURATION", help="real-time mode: longest wait (e.g. 90m); later checks are NOT CHECKED")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Real-time mode starts every scenario at once; it needs the final list of items."""
    session.config.stash[_SESSION].items = [i for i in session.items if isinstance(i, ScenarioItem)]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(id): the catalogue requirement a test checks")
    config.stash[_SESSION] = SmsproofSession(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION, None)
    if session is not None:
        session.close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix == ".yaml" and parent.config.stash[_SESSION].is_scenario_file(file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


def worker_id(config: pytest.Config) -> str:
    """This run's xdist worker id, else "main". From the config, not PYTEST_XDIST_WORKER: a pytest run
    started inside an xdist worker (a test of this plugin) inherits that variable but is not a worker."""
    return getattr(config, "workerinput", {}).get("workerid", "main")


class SmsproofSession:
    """Per-process state: the scenario roots, and (lazily) the running fakes and platform."""

    def __init__(self, config: pytest.Config):
        self.config = config
        opt = config.getoption
        roots = [Path(p) for p in opt("--smsproof-scenarios")] + list(config.getini("smsproof_scenarios"))
        self.roots = [p.resolve() for p in roots]
        self.profiles = set(opt("--smsproof-profile"))
        self.results_dir = Path(opt("--smsproof-results")) if opt("--smsproof-results") else None
        self.worker = worker_id(config)
        self._env: Environment | None = None
        self._stack: list = []
        self.items: list[ScenarioItem] = []
        self.scheduler: realtime.Scheduler | None = None

    def is_scenario_file(self, path: Path) -> bool:
        path = path.resolve()
        return any(path == root or root in path.parents for root in self.roots)

    @property
    def env(self) -> Environment:
        if self._env is None:
            opt = self.config.getoption
            try:
                target = servers.resolve_platform(opt("--smsproof-platform"), opt("--smsproof-mutant"))
                if opt("--smsproof-platform-url"):
                    target = servers.PlatformTarget(target.spec, url=opt("--smsproof-platform-url"), mutant=target.mutant)
                fakes_url = self._enter(servers.running_fakes(opt("--smsproof-fakes")))
                platform_url = self._enter(servers.running_platform(target))
                self._env = Environment.connect(platform_url, fakes_url)
                self._env.account_prefix = f"{self.worker}x{os.getpid()}"
                self._env.chosen_provider = opt("--smsproof-provider")
                self._enter_real_time(self._env)
            except (servers.PlatformSpecError, Unreachable) as exc:
                pytest.exit(f"smsproof: {exc}", returncode=3 if isinstance(exc, Unreachable) else 2)
        return self._env

    def _enter_real_time(self, env: Environment) -> None:
        """Real-time mode when the platform's clock is not drivable, or when forced (`on`); a forced
        run treats the platform's clock as real throughout (property checks included)."""
        forced = self.config.getoption("--smsproof-real-time") == "on"
        if not forced and env.capabilities.get("clock") == "drivable":
            return
        why, advice = realtime.why_real_time(env.capabilities, forced)
        if forced:
            env.capabilities = {**env.capabilities, "clock": "real"}
        capture = self.config.pluginmanager.getplugin("capturemanager")
        progress = realtime.Progress(uncaptured=capture.global_and_fixture_disabled if capture else contextlib.nullcontext)
        env.real_time = realtime.RealTime(self.config.getoption("--smsproof-time-budget"), progress)
        try:
            env.real_time.measure(env.driver, why, advice)
        except realtime.NotChecked as exc:
            pytest.exit(f"smsproof: {exc}", returncode=4)  # the platform lacks a capability the mode needs

    def run_scenario(self, item: "ScenarioItem") -> ScenarioResult:
        """The item's result; in real-time mode every scenario of the session runs at once, the first
        item asking starts them all (under pytest-xdist a worker cannot know its items: one at a time)."""
        env = self.env
        if env.real_time is None:
            return _run_guarded(item.scenario, env)
        if self.worker != "main":
            return _run_guarded(item.scenario, env.fork(), close=True)
        if self.scheduler is None:
            self.scheduler = realtime.Scheduler()
            self.scheduler.start({i.nodeid: (lambda s=i.scenario: _run_guarded(s, env.fork(), close=True))
                                  for i in self.items if not i.unselected(self)})
        return self.scheduler.result(item.nodeid)

    def _enter(self, context) -> str:
        value = context.__enter__()
        self._stack.append(context)
        return value

    def close(self) -> None:
        if self._env is not None and self._env.real_time is not None:
            self._env.real_time.close()  # wakes waiting runs (an interrupted session)
        if self.scheduler is not None:
            self.scheduler.close()
        if self._env is not None:
            self._env.close()
        while self._stack:
            self._stack.pop().__exit__(None, None, None)

    def record(self, result: ScenarioResult) -> None:
        if self.results_dir is None:
            return
        self.results_dir.mkdir(parents=True, exist_ok=True)
        with open(self.results_dir / f"results-{self.worker}.jsonl", "a", encoding="utf-8") as out:
            out.write(json.dumps(result.to_json(), default=str, ensure_ascii=False) + "\n")


class ScenarioFile(pytest.File):
    def collect(self):
        try:
            scenarios = load_file(self.path)
        except ScenarioError as exc:
            raise self.CollectError(str(exc)) from None
        for scenario in scenarios:
            item = ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario)
            for requirement in scenario.requirements:
                item.add_marker(pytest.mark.requirement(requirement))
            yield item


class ScenarioFailed(Exception):
    def __init__(self, result: ScenarioResult):
        super().__init__(result.reason)
        self.result = result


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, **kwargs):
        super().__init__(**kwargs)
        self.scenario = scenario

    def unselected(self, session: SmsproofSession) -> list[str]:
        cat = catalogue.default()
        return [r for r in self.scenario.requirements if session.profiles and cat[r].profile not in session.profiles]

    def runtest(self) -> None:
        session: SmsproofSession = self.config.stash[_SESSION]
        cat = catalogue.default()
        unselected = self.unselected(session)
        if unselected:
            result = ScenarioResult(self.scenario.name, str(self.scenario.path), self.scenario.line, self.scenario.title,
                                    list(self.scenario.requirements), {}, NOT_APPLICABLE,
                                    reason=f"profile {cat[unselected[0]].profile} not selected")
        else:
            result = session.run_scenario(self)
        session.record(result)
        self.user_properties += [("requirements", " ".join(self.scenario.requirements)), ("verdict", result.verdict)]
        if result.verdict in (NOT_APPLICABLE, NOT_CHECKED):
            pytest.skip(f"{result.verdict}: {result.reason}")
        if result.verdict != PASSED:
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo, style=None):
        if not isinstance(excinfo.value, ScenarioFailed):
            return super().repr_failure(excinfo, style)
        r = excinfo.value.result
        lines = [f"{r.verdict}: {r.title}", f"  requirements: {', '.join(r.requirements)}",
                 f"  at {r.failed_step}: {r.reason}"]
        if r.verdict == FAILED:
            lines += [f"  expected: {_short(r.expected)}", f"  observed: {_short(r.observed)}"]
        return "\n".join(lines)

    def reportinfo(self):
        return self.path, self.scenario.line - 1, f"scenario {self.scenario.name}"


def _run_guarded(scenario: Scenario, env: Environment, close: bool = False) -> ScenarioResult:
    """Run one scenario; an exception is an ERROR result (an item that did not finish is never a pass).
    `close`: the environment is the run's own (a fork), closed after."""
    try:
        return run_scenario(scenario, env)
    except Exception as exc:
        return ScenarioResult(scenario.name, str(scenario.path), scenario.line, scenario.title,
                              list(scenario.requirements), {}, ERROR,
                              reason=f"{type(exc).__name__}: {exc}", failed_step="(harness)")
    finally:
        if close:
            env.close()


def _short(value, limit: int = 600) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- fixtures for users' own suites -----------------------------------------------------------------
@pytest.fixture(scope="session")
def smsproof_env(pytestconfig: pytest.Config) -> Environment:
    return pytestconfig.stash[_SESSION].env


@pytest.fixture(scope="session")
def smsproof_driver(smsproof_env: Environment):
    return smsproof_env.driver


@pytest.fixture(scope="session")
def smsproof_fakes(smsproof_env: Environment):
    return smsproof_env.fakes


@pytest.fixture(scope="session")
def smsproof_capabilities(smsproof_env: Environment) -> dict:
    return smsproof_env.capabilities


@pytest.fixture
def smsproof_workspace(smsproof_env: Environment):
    workspace = smsproof_env.driver.create_workspace()
    yield workspace
    workspace.delete()


@pytest.fixture
def smsproof_clock(smsproof_workspace, smsproof_fakes) -> Clocks:
    return Clocks(smsproof_workspace, smsproof_fakes)


@pytest.fixture(scope="session")
def smsproof_examples(pytestconfig: pytest.Config) -> int | None:
    return pytestconfig.getoption("--smsproof-examples")
