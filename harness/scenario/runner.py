"""Run one scenario against a platform (driver API) and the fakes (control API).

Each run gets its own workspace on the platform and its own fake-provider accounts, whose
callbacks point at the workspace's webhooks. Steps run in order; an action that the platform
refuses or a check whose observation differs stops the run with evidence (expected, observed, the
HTTP exchanges and a timeline). In real-time mode (`Environment.real_time`, harness/realtime.py)
the clocks are not moved: advances wait for the platform's real clock, shifted. This module is the
run machinery; the steps themselves are in harness/scenario/steps.py.
"""

from __future__ import annotations

import copy
import itertools
import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from harness import catalogue, realtime
from harness.driver import contract
from harness.driver.client import Driver, Refused, Workspace
from harness.exchanges import HarnessHTTPError, UnexpectedResponse
from harness.fakes_client import Fakes
from harness.scenario.loader import PLATFORM_PROVIDER_DEFAULT, Scenario, field_name
from harness.scenario.matching import TIME_TOLERANCE, parse_time
from harness.scenario.steps import (CHECK_STEPS, TIME_STEPS, CheckFailed, ScenarioAuthoringError,  # noqa: F401 (re-exported)
                                    Steps)

PASSED, FAILED, NOT_APPLICABLE, NOT_CHECKED, ERROR = "PASSED", "FAILED", "NOT APPLICABLE", "NOT CHECKED", "ERROR"
DEFAULT_CLOCK = "2026-01-05T10:00:00.000Z"  # a Monday, 10:00 UTC
PROVIDERS = ("sinch", "cm", "instasent")
_counter = itertools.count(1)


@dataclass
class Environment:
    """What scenarios run against: a platform (driver) and the fakes, both reachable over HTTP."""

    driver: Driver
    fakes: Fakes
    capabilities: dict
    fake_providers: list[str] = field(default_factory=lambda: list(PROVIDERS))
    account_prefix: str = field(default_factory=lambda: f"w{os.getpid()}")
    real_time: realtime.RealTime | None = None  # real-time mode: advances wait for the platform's clock
    chosen_provider: str | None = None  # `certify --provider`: the platform's provider, instead of the first

    @classmethod
    def connect(cls, platform_url: str, fakes_url: str) -> "Environment":
        driver, fakes = Driver(platform_url), Fakes(fakes_url)
        return cls(driver, fakes, driver.capabilities(), fakes.health().get("providers") or [])

    @property
    def providers(self) -> list[str]:
        """Providers both the platform and the fakes speak."""
        return [p for p in PROVIDERS if p in (self.capabilities.get("providers") or []) and p in self.fake_providers]

    @property
    def platform_provider(self) -> str | None:
        """The provider that checks not about one provider's format go through (a scenario's unbound
        `${provider}`, every property check): Sinch when the platform declares it (the suite was
        written for it, so a Sinch platform runs as it always did), else the first it declares of CM.com
        and Instasent (PROVIDERS order), unless `chosen_provider` names one. None: the platform and the
        fakes share no provider (or not the chosen one)."""
        if self.chosen_provider is not None:
            return self.chosen_provider if self.chosen_provider in self.providers else None
        return (self.providers or [None])[0]

    def fork(self) -> "Environment":
        """The same platform and fakes through clients of its own (one per concurrent scenario run)."""
        return Environment(Driver(self.driver.base_url), Fakes(self.fakes.base_url), self.capabilities,
                           list(self.fake_providers), self.account_prefix, self.real_time, self.chosen_provider)

    def close(self) -> None:
        self.driver.close()
        self.fakes.close()


class Clocks:
    """A workspace's clock and the fakes' clock, moved together: the platform first (its scheduled
    work, such as the hourly batch, runs), then the fakes (due delivery reports and callbacks)."""

    def __init__(self, workspace: Workspace, fakes: Fakes):
        self.workspace, self.fakes = workspace, fakes

    def set(self, now: str) -> str:
        moved = self.workspace.set_clock(now)["now"]
        self.fakes.set_clock(moved)
        return moved

    def advance(self, seconds: float) -> dict:
        moved = self.workspace.advance_clock(seconds)
        self.fakes.advance_clock(seconds)
        return moved

    def now(self) -> str:
        return self.workspace.clock()["now"]


@dataclass
class StepRecord:
    section: str
    index: int
    kind: str
    spec: Any
    line: int
    status: str = "not run"  # ok | failed | error | not run
    detail: str = ""
    clock: str | None = None  # platform clock when the step ran


@dataclass
class ScenarioResult:
    name: str
    file: str
    line: int
    title: str
    requirements: list[str]
    levels: dict[str, str]  # requirement -> level at which this scenario checks it
    verdict: str
    reason: str = ""
    expected: Any = None
    observed: Any = None
    failed_step: str | None = None
    steps: list[StepRecord] = field(default_factory=list)
    exchanges: list[dict] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)
    contract_problems: list[str] = field(default_factory=list)  # driver-API answers not as in openapi.yaml
    callback_problems: list[str] = field(default_factory=list)  # provider callbacks answered, not acknowledged
    duration_s: float = 0.0
    providers: list[str] = field(default_factory=list)  # the providers the check went through
    follows_platform: bool = False  # it went through the platform's provider (else the ones its file names)

    def to_json(self) -> dict:
        return asdict(self)


def levels(scenario: Scenario, cat: catalogue.Catalogue) -> dict[str, str]:
    """The level of each requirement as this scenario checks it (SHOULD if either says SHOULD)."""
    return {r: "SHOULD" if "SHOULD" in (scenario.level, cat[r].level) else "MUST" for r in scenario.requirements}


def bound(scenario: Scenario, env: Environment) -> Scenario:
    """The scenario as it runs on `env`: `${provider}` bound to the platform's provider. When there is none
    (no provider shared with the fakes, or the chosen one not declared), to the chosen one or Sinch: the
    scenario is then NOT APPLICABLE, naming it."""
    return scenario.through(env.platform_provider or env.chosen_provider or PLATFORM_PROVIDER_DEFAULT)


def providers_used(scenario: Scenario) -> set[str]:
    used = {n["provider"] for n in scenario.given.get("numbers", [])}
    config = scenario.given.get("config", {})
    used |= {v for k, v in _walk(config) if k in ("provider", "default_provider") and isinstance(v, str)}
    for step in scenario.when + scenario.then:
        used |= {v for k, v in _walk(step) if k == "provider" and isinstance(v, str)}
    return used & set(PROVIDERS)


def _walk(value, key=None):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k, v
            yield from _walk(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _walk(v, key)


def not_applicable_reason(scenario: Scenario, capabilities: dict, cat: catalogue.Catalogue,
                          fake_providers=PROVIDERS, real_time: bool = False) -> str | None:
    """Why the scenario cannot run on this platform, or None. Never a silent pass."""
    offered = set(capabilities.get("profiles") or [])
    for requirement in scenario.requirements:
        if cat[requirement].profile not in offered:
            return f"profile {cat[requirement].profile} not offered by the platform"
    missing = providers_used(scenario) - set(capabilities.get("providers") or [])
    if missing:
        return f"provider {', '.join(sorted(missing))} not supported by the platform"
    missing = providers_used(scenario) - set(fake_providers)
    if missing:
        return f"provider {', '.join(sorted(missing))} not served by the fakes"
    if not real_time and capabilities.get("clock") != "drivable" and any(next(iter(s)) in TIME_STEPS for s in scenario.when):
        return "needs a drivable clock (capabilities.clock is not 'drivable') or real-time mode"
    if not capabilities.get("workspaces", False):
        return "needs workspaces (capabilities.workspaces is false)"
    return None


def _merge(base: dict, update: dict) -> dict:
    result = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _phase(at: float, checks_from: float | None, checks_until: float | None) -> str:
    """Whether an exchange set the scenario up, ran its steps, or cleaned up after it."""
    if checks_from is None or at < checks_from:
        return "setup"
    return "check" if checks_until is None or at <= checks_until else "teardown"


class ScenarioRun(Steps):
    """One run of a scenario: setup, the steps in order (`Steps`), the verdict with its evidence, teardown."""

    def __init__(self, scenario: Scenario, env: Environment, cat: catalogue.Catalogue | None = None):
        self.scenario, self.env = bound(scenario, env), env
        self.cat = cat or catalogue.default()
        self.ws: Workspace | None = None
        self.accounts: dict[str, str] = {}  # provider -> fake account id
        self.customer_ids: dict[str, str] = {}  # scenario id -> platform id
        self.customer_phones: dict[str, str | None] = {}
        self.outcome_phones: list[str] = []
        self.fault_ids: list[str] = []
        self.now: str | None = None
        self.records: list[StepRecord] = []
        self.plan: realtime.Plan | None = None  # real-time mode: the scenario's shift onto the real clock
        self.mark = (len(env.driver.transcript), len(env.fakes.transcript))

    # -- running -------------------------------------------------------------------------------
    def run(self) -> ScenarioResult:
        started = time.time()
        result = ScenarioResult(self.scenario.name, str(self.scenario.path), self.scenario.line, self.scenario.title,
                                list(self.scenario.requirements), levels(self.scenario, self.cat), PASSED,
                                providers=sorted(providers_used(self.scenario), key=PROVIDERS.index),
                                follows_platform=self.scenario.follows_platform)
        reason = not_applicable_reason(self.scenario, self.env.capabilities, self.cat, self.env.fake_providers,
                                       real_time=self.env.real_time is not None)
        if reason:
            result.verdict, result.reason = NOT_APPLICABLE, reason
            return result
        if self.env.real_time is None:
            return self._run(result, started)
        # scripted handset outcomes are per phone at the fakes: scenarios scripting one take turns
        with self.env.real_time.exclusive(_outcome_phones(self.scenario)):
            try:
                self.plan = self.env.real_time.plan(self.scenario, DEFAULT_CLOCK)
            except realtime.NotChecked as not_checked:
                result.verdict, result.reason = NOT_CHECKED, str(not_checked)
                return result
            TIME_TOLERANCE.set(self.plan.tolerance)
            return self._run(result, started)

    def _run(self, result: ScenarioResult, started: float) -> ScenarioResult:
        self.records = [StepRecord(section, i, next(iter(step)), next(iter(step.values())),
                                   self.scenario.line_of((section, i)))
                        for section in ("when", "then") for i, step in enumerate(getattr(self.scenario, section))]
        current: StepRecord | None = None
        checks_from = checks_until = None  # wall-clock bounds of the steps: exchanges outside are setup/teardown
        try:
            self._setup()
            checks_from = time.time()
            for current in self.records:
                current.clock = self.now
                spec = current.spec
                if self.plan is not None and current.kind in CHECK_STEPS:
                    spec = self.plan.shift_expected(spec)
                current.detail = getattr(self, f"step_{current.kind}")(spec) or ""
                current.status = "ok"
            current = None
        except realtime.NotChecked as not_checked:
            self._fail(result, current, NOT_CHECKED, str(not_checked), None, None)
        except CheckFailed as failure:
            self._fail(result, current, FAILED, str(failure), failure.expected, failure.observed)
        except Refused as refused:
            self._fail(result, current, FAILED, f"the platform refused: {refused}", "accepted", refused.errors)
        except UnexpectedResponse as unexpected:
            verdict = FAILED if unexpected.exchange.side == "platform" else ERROR
            self._fail(result, current, verdict, str(unexpected), None, unexpected.body)
        except ScenarioAuthoringError as error:
            self._fail(result, current, ERROR, str(error), None, None)
        finally:
            checks_until = time.time()
            result.timeline = self._timeline()
            result.callback_problems = self._unacknowledged_callbacks()
            self._teardown()
            result.steps = self.records
            driver_mark, fakes_mark = self.mark
            exchanges = self.env.driver.transcript[driver_mark:] + self.env.fakes.transcript[fakes_mark:]
            result.exchanges = [{**e.to_json(), "phase": _phase(e.at, checks_from, checks_until)}
                                for e in sorted(exchanges, key=lambda e: e.at)]
            result.contract_problems = sorted({p for e in exchanges if e.side == "platform"
                                               for p in contract.problems(e.method, e.url, e.status, e.response)})
            result.duration_s = round(time.time() - started, 3)
        return result

    def _fail(self, result, record, verdict, reason, expected, observed) -> None:
        observed = self._localize(observed)  # the scenario's customer ids, as `expected` names them
        result.verdict, result.reason, result.expected, result.observed = verdict, reason, expected, observed
        if record is None:
            result.failed_step = "given"
        else:
            record.status = {FAILED: "failed", NOT_CHECKED: "not run"}.get(verdict, "error")
            record.detail = reason
            result.failed_step = f"{field_name((record.section, record.index, record.kind))} (line {record.line})"

    # -- setup and teardown --------------------------------------------------------------------
    def _setup(self) -> None:
        given = self.scenario.given
        if self.plan is not None:  # set up just before the first step's moment on the real clock
            self.env.real_time.wait_until(self.plan.on_platform(self.plan.line.origin)
                                          - timedelta(seconds=realtime.SETUP_LEAD), self.scenario.name, "its start")
        self.ws = self.env.driver.create_workspace()
        config = _merge({"providers": {}}, given.get("config", {}))
        numbers = given.get("numbers", [])
        unique = f"{self.env.account_prefix}{next(_counter)}{uuid.uuid4().hex[:8]}"
        for provider in self.env.providers:
            account, secret = f"{provider[:2]}{unique}", uuid.uuid4().hex
            self.accounts[provider] = account
            hooks = self.ws.webhooks.get(provider) or {}
            settings = {"mo_callback_url": hooks.get("mo"), "dlr_callback_url": hooks.get("dlr"),
                        "numbers": [{k: v for k, v in n.items() if k != "provider"} for n in numbers if n["provider"] == provider]}
            base_url = f"{self.env.fakes.base_url}/{provider}"
            if provider == "sinch":
                settings["api_token"] = secret
                webhook_secret = config["providers"].get("sinch", {}).get("webhook_secret")
                if webhook_secret:
                    settings["webhook_secret"] = webhook_secret
                credentials = {"base_url": base_url, "service_plan_id": account, "api_token": secret}
            elif provider == "cm":
                credentials = {"base_url": base_url, "product_token": account}
            else:
                credentials = {"base_url": base_url, "token": account}
            self.env.fakes.put_account(provider, account, settings)
            config["providers"][provider] = {**credentials, **config["providers"].get(provider, {})}
        if numbers and "inbound_numbers" not in config:
            config["inbound_numbers"] = [
                {"number": n["number"], "type": n["type"], "provider": n["provider"],
                 **({"provider_keywords": n["keywords"]} if n.get("keywords") else {})} for n in numbers]
        if self.plan is not None:
            self.clocks = realtime.RealTimeClocks(self.plan, parse_time(given.get("clock", DEFAULT_CLOCK)), self.scenario.name)
            self.now = self.clocks.now()
        else:
            self.clocks = Clocks(self.ws, self.env.fakes)
            if self.env.capabilities.get("clock") == "drivable":
                self.now = self.clocks.set(given.get("clock", DEFAULT_CLOCK))
        self.ws.put_config(config)
        for customer in given.get("customers", []):
            self.step_create_customer(customer)
        for outcome in given.get("outcomes", []):
            self.step_outcome(outcome)

    def _teardown(self) -> None:
        fakes = self.env.fakes
        for action in ([lambda p=p: fakes.delete_outcome(p) for p in self.outcome_phones]
                       + [lambda f=f: fakes.delete_fault(f) for f in self.fault_ids]
                       # deleting an account also resets its scope at the fakes (pending callbacks included)
                       + [lambda p=p, a=a: fakes.delete_account(p, a) for p, a in self.accounts.items()]
                       + ([self.ws.delete] if self.ws else [])):
            try:
                action()
            except HarnessHTTPError:
                pass  # cleanup is best effort; the verdict is already decided

    def _unacknowledged_callbacks(self) -> list[str]:
        """Before teardown resets the accounts: callbacks of this scenario the platform answered 2xx
        but the provider retries (CM.com takes only 200 for a reply)."""
        try:
            callbacks = self.env.fakes.callbacks()  # the scenario's few: teardown resets its accounts' scope
        except HarnessHTTPError:
            return []
        return contract.unacknowledged_callbacks([c for c in callbacks if c["state"] != "delivered"], self.accounts)

    def _timeline(self) -> list[dict]:
        """The scenario's messages at the fakes and events at the platform, in time order."""
        entries: list[dict] = []
        try:
            for provider, account in self.accounts.items():
                for m in self.env.fakes.messages(provider=provider, account=account):
                    entries.append({"at": m.get("created_at"), "source": f"fakes/{provider}", "what":
                                    f"{m.get('direction', '').upper()} {m.get('from')} -> {m.get('to')}: {m.get('body')!r} [{m.get('status')}]"})
            if self.ws:
                for e in self.ws.events():
                    detail = e.get("status") or f"{e.get('action')} {e.get('category')}"
                    entries.append({"at": e.get("timestamp"), "source": "platform", "what":
                                    f"{e.get('type')} event {detail} for {self._local_id(e.get('customer_id'))}"
                                    + (f" (imported {e['imported_timestamp']})" if e.get("imported_timestamp") else "")})
        except HarnessHTTPError:
            pass
        for r in self.records:
            if r.status != "not run":
                entries.append({"at": r.clock, "source": "scenario", "what": f"{r.section}[{r.index}] {r.kind} ({r.status})"})
        return sorted(entries, key=lambda e: (e["at"] or ""))

    def _localize(self, value: Any) -> Any:
        """`value` with the platform's customer ids replaced by the scenario's own ids."""
        if isinstance(value, dict):
            return {k: self._localize(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._localize(v) for v in value]
        return self._local_id(value) if isinstance(value, str) else value

    def _local_id(self, platform_id: str | None) -> str | None:
        return next((k for k, v in self.customer_ids.items() if v == platform_id), platform_id)


def _outcome_phones(scenario: Scenario) -> list[str]:
    outcomes = scenario.given.get("outcomes", []) + [s["outcome"] for s in scenario.when if "outcome" in s]
    return sorted({o["phone"] for o in outcomes})


def run_scenario(scenario: Scenario, env: Environment) -> ScenarioResult:
    return ScenarioRun(scenario, env).run()
