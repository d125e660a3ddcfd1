"""The scenario vocabulary: one method `step_<name>` per step of `when` and `then`.

`Steps` is the half of a scenario run that acts and checks; `runner.ScenarioRun` (the other half:
setup, the run loop, verdict and evidence, teardown) inherits it and provides the workspace, the
fake accounts, the customer ids and the clocks. A check raises `CheckFailed(message, expected,
observed)`; a step the fakes cannot do raises `ScenarioAuthoringError`. A new step: a method here, an
entry in harness/scenario.schema.yaml and a row in docs/scenarios.md.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from harness import realtime
from harness.driver.client import Refused, Workspace
from harness.exchanges import HarnessHTTPError, UnexpectedResponse, get_raw, post_raw
from harness.rules import phones
from harness.scenario.loader import Scenario, field_name
from harness.scenario.matching import fields_match, matches, parse_time, seconds

if TYPE_CHECKING:
    from harness.scenario.runner import Clocks, Environment, StepRecord

TIME_STEPS = ("advance", "advance_to")
CHECK_STEPS = ("messages", "events", "customer", "opt_outs", "received", "queue")  # their timestamps shift in real time


class CheckFailed(AssertionError):
    """A check observed something else than expected."""

    def __init__(self, message: str, expected: Any, observed: Any):
        super().__init__(message)
        self.expected, self.observed = expected, observed


class ScenarioAuthoringError(Exception):
    """The scenario asks for something the fakes refuse (e.g. a reply to a number nobody owns)."""



class Steps:
    """The steps, run by `ScenarioRun` (which sets these attributes up)."""

    scenario: Scenario
    env: Environment
    ws: Workspace | None
    accounts: dict[str, str]  # provider -> fake account id
    customer_ids: dict[str, str]  # scenario id -> platform id
    customer_phones: dict[str, str | None]
    outcome_phones: list[str]
    fault_ids: list[str]
    now: str | None
    records: list[StepRecord]
    clocks: Clocks | realtime.RealTimeClocks
    plan: realtime.Plan | None

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


