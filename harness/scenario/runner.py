"""Run one scenario against a platform (driver API) and the fakes (control API).

Each run gets its own workspace on the platform and its own fake-provider accounts, whose
callbacks point at the workspace's webhooks. Steps run in order; an action that the platform
refuses or a check whose observation differs stops the run with evidence (expected, observed, the
HTTP exchanges and a timeline). In real-time mode (`Environment.real_time`, harness/realtime.py)
the clocks are not moved: advances wait for the platform's real clock, shifted. New steps are methods `step_<name>` of `ScenarioRun` plus an entry
in harness/scenario.schema.yaml and docs/scenarios.md.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import re
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from harness import catalogue, realtime
from harness.driver import contract
from harness.driver.client import Driver, Refused, Workspace
from harness.exchanges import HarnessHTTPError, UnexpectedResponse, get_raw, post_raw
from harness.fakes_client import Fakes
from harness.rules import phones
from harness.scenario.loader import Scenario, field_name
from harness.scenario.matching import TIME_TOLERANCE, fields_match, matches, parse_time, seconds

PASSED, FAILED, NOT_APPLICABLE, NOT_CHECKED, ERROR = "PASSED", "FAILED", "NOT APPLICABLE", "NOT CHECKED", "ERROR"
DEFAULT_CLOCK = "2026-01-05T10:00:00.000Z"  # a Monday, 10:00 UTC
PROVIDERS = ("sinch", "cm", "instasent")
TIME_STEPS = ("advance", "advance_to")
CHECK_STEPS = ("messages", "events", "customer", "opt_outs", "received", "queue")  # their timestamps shift in real time
_counter = itertools.count(1)


class CheckFailed(AssertionError):
    """A check observed something else than expected."""

    def __init__(self, message: str, expected: Any, observed: Any):
        super().__init__(message)
        self.expected, self.observed = expected, observed


class ScenarioAuthoringError(Exception):
    """The scenario asks for something the fakes refuse (e.g. a reply to a number nobody owns)."""


@dataclass
class Environment:
    """What scenarios run against: a platform (driver) and the fakes, both reachable over HTTP."""

    driver: Driver
    fakes: Fakes
    capabilities: dict
    fake_providers: list[str] = field(default_factory=lambda: list(PROVIDERS))
    account_prefix: str = field(default_factory=lambda: f"w{os.getpid()}")
    real_time: realtime.RealTime | None = None  # real-time mode: advances wait for the platform's clock

    @classmethod
    def connect(cls, platform_url: str, fakes_url: str) -> "Environment":
        driver, fakes = Driver(platform_url), Fakes(fakes_url)
        return cls(driver, fakes, driver.capabilities(), fakes.health().get("providers") or [])

    @property
    def providers(self) -> list[str]:
        """Providers both the platform and the fakes speak."""
        return [p for p in PROVIDERS if p in (self.capabilities.get("providers") or []) and p in self.fake_providers]

    def fork(self) -> "Environment":
        """The same platform and fakes through clients of its own (one per concurrent scenario run)."""
        return Environment(Driver(self.driver.base_url), Fakes(self.fakes.base_url), self.capabilities,
                           list(self.fake_providers), self.account_prefix, self.real_time)

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
    duration_s: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


def levels(scenario: Scenario, cat: catalogue.Catalogue) -> dict[str, str]:
    """The level of each requirement as this scenario checks it (SHOULD if either says SHOULD)."""
    return {r: "SHOULD" if "SHOULD" in (scenario.level, cat[r].level) else "MUST" for r in scenario.requirements}


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


class ScenarioRun:
    def __init__(self, scenario: Scenario, env: Environment, cat: catalogue.Catalogue | None = None):
        self.scenario, self.env = scenario, env
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
                                list(self.scenario.requirements), levels(self.scenario, self.cat), PASSED)
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

    # -- references ------------------------------------------------------------------------------
    def cid(self, local_id: str) -> str:
        return self.customer_ids[local_id]

    def phone_of(self, local_id: str) -> str:
        phone = self.customer_phones.get(local_id)
        if not phone:
            raise ScenarioAuthoringError(f"customer {local_id!r} has no phone")
        return phone

    def provider_of_number(self, number: str) -> str:
        for n in self.scenario.given.get("numbers", []):
            if n["number"] == number or phones.same_phone(n["number"], number):
                return n["provider"]
        return self.scenario.given.get("config", {}).get("default_provider", "sinch")

    # -- actions ---------------------------------------------------------------------------------
    def step_configure(self, config: dict) -> None:
        self.ws.put_config(config)

    def step_create_customer(self, spec: dict) -> None:
        created = self.ws.create_customer(spec)
        self.customer_ids[spec["id"]] = created.get("id", spec["id"])
        self.customer_phones[spec["id"]] = spec.get("phone")

    def step_update_customer(self, spec: dict) -> None:
        fields = {k: v for k, v in spec.items() if k != "id"}
        self.ws.patch_customer(self.cid(spec["id"]), fields)
        if "phone" in fields:
            self.customer_phones[spec["id"]] = fields["phone"]

    def step_consent(self, spec: dict) -> None:
        self.ws.track_consent(self.cid(spec["customer"]), spec["category"], spec["action"])

    def _send_request(self, spec: dict) -> dict:
        request = {k: v for k, v in spec.items() if k not in ("customers", "expect")}
        request["customer_ids"] = [self.cid(c) for c in spec.get("customers", [])]
        return request

    def step_send(self, spec: dict) -> None:
        outcomes = self.ws.send(self._send_request(spec))["outcomes"]
        for local, expected in (spec.get("expect") or {}).items():
            if local == "*":
                chosen = outcomes
            else:
                chosen = [o for o in outcomes if o.get("customer_id") == self.cid(local)]
                if not chosen:
                    raise CheckFailed(f"the send has no outcome for customer {local}", expected, outcomes)
            for outcome in chosen:
                if not fields_match(outcome, expected):
                    raise CheckFailed(f"send outcome for {local} differs", expected, outcome)

    def step_reply(self, spec: dict) -> str:
        sender = spec.get("from") or self.phone_of(spec["customer"])
        provider = spec.get("provider") or self.provider_of_number(spec["to"])
        try:
            delivered = self.env.fakes.inbound(provider, sender, spec["to"], spec["body"],
                                               account=self.accounts.get(provider))
        except UnexpectedResponse as exc:
            raise ScenarioAuthoringError(f"the fakes refused the reply (is {spec['to']} in given.numbers?): {exc}") from None
        callback = delivered.get("callback") or {}
        return f"{provider} MO callback {callback.get('state')} (HTTP {callback.get('status')})"

    def step_outcome(self, spec: dict) -> None:
        self.env.fakes.set_outcome(spec["phone"], spec["outcome"], spec.get("delay_seconds"))
        self.outcome_phones.append(spec["phone"])

    def step_fault(self, spec: dict) -> None:
        fault = dict(spec)
        if "provider" in fault and fault.get("account") is None:
            fault["account"] = self.accounts.get(fault["provider"])
        self.fault_ids.append(self.env.fakes.add_fault(fault).get("id"))

    def _advance(self, delta: float) -> str:
        if self.plan is not None:
            moved = self.clocks.advance(delta, self._next_step())
            self.now = moved["now"]
            return f"now {self.now}; waited until the platform's clock read {moved['platform_now']}"
        moved = self.clocks.advance(delta)
        self.now = moved["now"]
        return f"now {self.now}; ran {', '.join(moved.get('ran') or []) or 'nothing'}"

    def _next_step(self) -> str:
        """What an advance waits for: the next step that is not an advance (progress display)."""
        running = [r for r in self.records if r.status == "not run"]
        following = [r for r in running[1:] if r.kind not in TIME_STEPS]
        return (f"{field_name((following[0].section, following[0].index, following[0].kind))} (line {following[0].line})"
                if following else "the end")

    def step_advance(self, duration) -> str:
        return self._advance(seconds(duration))

    def step_advance_to(self, moment: str) -> str:
        delta = (parse_time(moment) - parse_time(self.now or self.clocks.now())).total_seconds()
        if delta < 0:
            raise ScenarioAuthoringError(f"advance_to {moment} is before the platform clock {self.now}")
        return self._advance(delta)

    def step_webhook(self, spec: dict) -> None:
        url = (self.ws.webhooks.get(spec["provider"]) or {}).get(spec["kind"])
        if not url:
            raise ScenarioAuthoringError(f"the workspace has no {spec['provider']} {spec['kind']} webhook")
        raw = spec["raw"].encode() if "raw" in spec else json.dumps(spec.get("body")).encode()
        headers = {"content-type": "application/json", **(spec.get("headers") or {})}
        exchange = post_raw(self.env.driver, url, content=raw, headers=headers)
        if not _status_matches(exchange.status, spec["expect_status"]):
            raise CheckFailed(f"the {spec['provider']} {spec['kind']} webhook answered {exchange.status}",
                              spec["expect_status"], {"status": exchange.status, "body": exchange.response})

    def step_visit_link(self, spec: dict) -> str:
        """Follow the short link of the latest matching message at the platform's resolver (no redirects)."""
        filters = {"direction": "mt", "body": spec.get("body"),
                   "to": spec.get("to") or (self.phone_of(spec["customer"]) if "customer" in spec else None)}
        found = [m for provider, account in self.accounts.items()
                 for m in self.env.fakes.messages(provider=provider, account=account, **filters)]
        if not found:
            raise CheckFailed(f"no message {_describe(filters)} to take a link from", spec, [])
        message = max(found, key=lambda m: m.get("created_at") or "")
        domain = spec.get("domain") or (self.scenario.given.get("config", {}).get("sending", {})
                                        .get("link_shortener", {}).get("domain", "exp.cx"))
        links = re.findall(rf"https?://{re.escape(domain)}/([^\s/?#]+)", message.get("body") or "")
        if len(links) <= spec.get("nth", 0):
            raise CheckFailed(f"no short link on {domain} in the message", spec, message.get("body"))
        template = self.env.capabilities.get("short_link_resolver") or "{base}/r/{code}"
        url = template.format(base=self.env.driver.base_url, code=links[spec.get("nth", 0)])
        exchange = get_raw(self.env.driver, url)
        location = (exchange.response or {}).get("location") if isinstance(exchange.response, dict) else None
        observed = {"status": exchange.status, "location": location}
        if not _status_matches(exchange.status, spec["expect_status"]) or (
                "location" in spec and not matches(location, spec["location"])):
            raise CheckFailed(f"the short link {url} answered {exchange.status}",
                              {k: spec[k] for k in ("expect_status", "location") if k in spec}, observed)
        return f"{url} -> {exchange.status} {location or ''}".strip()

    def step_contact_centre_send(self, spec: dict) -> None:
        result = self.ws.contact_centre_send(spec["to"], spec["body"])
        if "expect" in spec and not fields_match(result, spec["expect"]):
            raise CheckFailed("contact-centre send result differs", spec["expect"], result)

    # -- checks ----------------------------------------------------------------------------------
    def step_messages(self, spec: dict) -> None:
        filters = {"direction": spec.get("direction", "mt"), "body": spec.get("body"), "from_": spec.get("from"),
                   "to": spec.get("to") or (self.phone_of(spec["customer"]) if "customer" in spec else None)}
        providers = [spec["provider"]] if "provider" in spec else list(self.accounts)
        found: list[dict] = []
        for provider in providers:
            if provider in self.accounts:
                found += self.env.fakes.messages(provider=provider, account=self.accounts[provider], **filters)
        found = [m for m in found if fields_match(m, spec.get("match") or {})]
        _check_count(f"messages {_describe(filters)}", spec, len(found), found)

    def step_events(self, spec: dict) -> None:
        customer = self.cid(spec["customer"]) if "customer" in spec else None
        events = self.ws.events(customer_id=customer, type=spec.get("type"))
        found = [e for e in events if fields_match(e, spec.get("match") or {})]
        observed: Any = found or events
        if not observed and _wants_some(spec):
            observed = self._within_reach(spec, customer)
        _check_count(f"events {_describe({'customer': spec.get('customer'), 'type': spec.get('type'), **(spec.get('match') or {})})}",
                     spec, len(found), observed, hint=_hint(observed))

    def _within_reach(self, spec: dict, customer: str | None) -> dict:
        """What there is when an expected event or opt-out is not there at all, so that the cause shows
        (events stamped with the machine's clock, a reply never blacklisted): the customer's other
        events, else the workspace's latest; the customer's phone on the opt-out lists; the clock.
        Best effort: an answer missing here never changes the verdict."""
        around: dict[str, Any] = {"matching": []}
        try:
            if customer and spec.get("type"):
                others = _latest(self.ws.events(customer_id=customer))
                if others:
                    around[f"other events of {spec['customer']}"] = others
            if len(around) == 1:
                around["events of the workspace"] = _latest(self.ws.events())
            phone = self.customer_phones.get(spec.get("customer"))
            if phone:
                around[f"{spec['customer']}'s phone on the opt-out lists"] = {
                    name: [e for e in entries if isinstance(e, dict) and phones.same_phone(e.get("phone"), phone)]
                    for name, entries in self.ws.opt_outs().items() if isinstance(entries, list)}
        except (HarnessHTTPError, AttributeError, TypeError, KeyError):
            pass
        around["clock at this step"] = self.now
        return around

    def _events_quietly(self) -> list | None:
        """The workspace's latest events, or None when the platform does not answer them."""
        try:
            return _latest(self.ws.events())
        except (HarnessHTTPError, TypeError, KeyError):
            return None

    def step_customer(self, spec: dict) -> None:
        state = self.ws.customer(self.cid(spec["id"]))
        expected = {k: v for k, v in spec.items() if k != "id"}
        observed = dict(state)
        if isinstance(expected.get("consents"), dict):  # `consents: {cat: reject}` compares the action
            observed["consents"] = {cat: (v.get("action") if isinstance(v, dict) and isinstance(expected["consents"].get(cat), str) else v)
                                    for cat, v in (state.get("consents") or {}).items()}
        if not fields_match(observed, expected):
            raise CheckFailed(f"customer {spec['id']} state differs", expected,
                              {k: observed.get(k) for k in expected})

    def step_opt_outs(self, spec: dict) -> None:
        lists = self.ws.opt_outs()
        entries = [e for e in lists[spec["list"]] if phones.same_phone(e.get("phone"), spec["phone"])]
        present = spec.get("present", True)
        if bool(entries) != present:
            observed: Any = entries
            if present:  # not there at all: what the lists hold instead, and the customer's events
                observed = {"matching": [], **{name: _latest(other, "received_at") for name, other in lists.items()
                                               if isinstance(other, list)},
                            "events of the workspace": self._events_quietly(), "clock at this step": self.now}
            raise CheckFailed(f"{spec['phone']} {'missing from' if present else 'present on'} the {spec['list']}"
                              + _hint(observed), spec, observed)
        if "processed" in spec and entries:
            if all((e.get("processed_at") is not None) != spec["processed"] for e in entries):
                raise CheckFailed(f"{spec['phone']} on the {spec['list']} is {'not ' if spec['processed'] else ''}processed",
                                  spec, entries)

    def step_received(self, spec: dict) -> None:
        filters = {k: spec[k] for k in ("campaign_id", "kind", "since", "until") if k in spec}
        count = self.ws.received(self.cid(spec["customer"]), **filters)
        if count != spec["count"]:
            raise CheckFailed(f"customer {spec['customer']} received {count} SMS", spec["count"], count)

    def step_queue(self, spec: dict) -> None:
        found = [i for i in self.ws.contact_centre_queue() if fields_match(i, spec.get("match") or {})]
        _check_count("contact-centre interactions", spec, len(found), found)

    def step_refused(self, spec: dict) -> None:
        try:
            if "configure" in spec:
                self.ws.put_config(spec["configure"])
            elif "send" in spec:
                self.ws.send(self._send_request(spec["send"]))
            else:
                self.ws.create_customer(spec["create_customer"])
        except Refused as refused:
            paths = [str(e.get("path", "")) for e in refused.errors]
            for wanted in spec.get("paths", []):
                if not any(p.startswith(wanted) for p in paths):
                    raise CheckFailed(f"refused, but no error at {wanted}", spec.get("paths"), refused.errors) from None
            return
        raise CheckFailed("the platform accepted what it must refuse", "422 refused", "accepted")


REACH = 20  # entries shown when an expected one is missing: the latest, enough to see a pattern


def _wants_some(spec: dict) -> bool:
    return spec.get("count", spec.get("at_least", 1)) > 0


def _latest(entries: list, key: str = "timestamp") -> list:
    """The latest REACH entries, in time order."""
    return sorted(entries, key=lambda e: str(e.get(key) or "") if isinstance(e, dict) else "")[-REACH:]


def _status_matches(status: int | None, expected) -> bool:
    if isinstance(expected, str):
        return status is not None and str(status)[0] == expected[0]
    return status in (expected if isinstance(expected, list) else [expected])


def _describe(filters: dict) -> str:
    shown = ", ".join(f"{k.rstrip('_')}={v!r}" for k, v in filters.items() if v is not None)
    return f"({shown})" if shown else ""


def _check_count(what: str, spec: dict, count: int, observed: Any, hint: str = "") -> None:
    if "count" in spec:
        if count != spec["count"]:
            raise CheckFailed(f"expected {spec['count']} {what}, found {count}{hint}", spec, observed)
    elif count < spec.get("at_least", 1):
        raise CheckFailed(f"expected at least {spec.get('at_least', 1)} {what}, found {count}{hint}", spec, observed)


def _hint(observed: Any) -> str:
    """For a check that found nothing: where its observed side looked instead."""
    if not isinstance(observed, dict) or "matching" not in observed:
        return ""
    shown = [f"{key} ({len(value)})" for key, value in observed.items()
             if key not in ("matching", "clock at this step") and isinstance(value, list)]
    shown += [key for key, value in observed.items() if isinstance(value, dict)]
    return f"; observed shows instead: {', '.join(shown + ['the clock'])}"


def _outcome_phones(scenario: Scenario) -> list[str]:
    outcomes = scenario.given.get("outcomes", []) + [s["outcome"] for s in scenario.when if "outcome" in s]
    return sorted({o["phone"] for o in outcomes})


def run_scenario(scenario: Scenario, env: Environment) -> ScenarioResult:
    return ScenarioRun(scenario, env).run()
