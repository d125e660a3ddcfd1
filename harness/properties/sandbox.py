"""One example's world: a fresh platform workspace and fresh fake-provider accounts, both clocks virtual.

Property checks run many examples; each gets its own `Sandbox` so that nothing one example did
(blacklists, profiles, messages) leaks into the next. Everything goes through the driver API and
the fakes' control API, never a platform's internals, so the checks certify any platform. The
checks name no provider: they go through the platform's provider (`Environment.platform_provider`:
Sinch when declared, else CM.com or Instasent), which the sandbox fills in.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta

import pytest

from harness.exchanges import HarnessHTTPError
from harness.realtime import duration_text
from harness.rules import consent, phones
from harness.scenario.matching import format_time, parse_time
from harness.scenario.runner import Environment

START = parse_time("2026-01-05T10:00:00.000Z")  # a Monday, 10:00 UTC
REAL_TIME_REASON = "needs a drivable clock (real-time mode runs only the property checks that keep the clock still)"
LONG_CODE = "+4915112348765"
SHORT_CODE = "11221"
CATEGORY = "sms_marketing"
# How finely each provider stamps a reply's received time, which the platform's events carry: CM.com's
# `timeUtc` and Instasent's `eventAt` to the second (truncated), Sinch's `received_at` to the millisecond.
REPLY_TIME_RESOLUTION = {"sinch": timedelta(milliseconds=1), "cm": timedelta(seconds=1), "instasent": timedelta(seconds=1)}
_unique = itertools.count(1)


def two_way_config(keywords: list[str] | None = None, categories: list[str] | None = None) -> dict:
    """The 001 setup: a dedicated long code, opt-out keywords on the given categories (the provider:
    the sandbox's, filled in by `Sandbox.configure`)."""
    categories = categories or [CATEGORY]
    return {
        "inbound_numbers": [{"number": LONG_CODE, "type": "long_code"}],
        "consent_categories": [{"name": c, "legal_basis": "consent"} for c in categories],
        "two_way": {"track_incoming": True, "opt_out_enabled": True, "keywords": keywords or ["stop", "arret"],
                    "categories": categories},
        "sending": {"sender": LONG_CODE, "max_parts": 8},
    }


class Target:
    """The run's platform and fakes; short to print in Hypothesis's falsifying examples."""

    def __init__(self, env: Environment):
        self.env = env

    def __repr__(self) -> str:
        return f"<platform {self.env.driver.base_url}, fakes {self.env.fakes.base_url}>"


class Sandbox:
    """A workspace and Sinch/CM/Instasent accounts whose callbacks point at it, torn down on exit.
    `numbers` (default: the long code) are owned at the platform's provider unless they name one."""

    def __init__(self, target: Target, *, numbers: list[dict] | None = None, start: datetime = START):
        env = target.env
        self.env, self.driver, self.fakes = env, env.driver, env.fakes
        self.provider = env.platform_provider or "sinch"  # none shared: the checks are NOT APPLICABLE (conftest)
        self.numbers = [{"provider": self.provider, **n}
                        for n in (numbers if numbers is not None else [{"number": LONG_CODE, "type": "long_code"}])]
        self.start = start
        self.now = start
        self.accounts: dict[str, str] = {}
        self.secrets: dict[str, str] = {}
        self.ws = None
        self.mark = (len(self.driver.transcript), len(self.fakes.transcript))
        self.steps: list[dict] = []  # what this example did, in order: the report's steps of a failure

    def _step(self, kind: str, what) -> None:
        self.steps.append({"kind": kind, "spec": what, "clock": format_time(self.now)})

    def __enter__(self) -> "Sandbox":
        self.ws = self.driver.create_workspace()
        unique = f"{self.env.account_prefix}p{next(_unique)}{uuid.uuid4().hex[:6]}"
        for provider in self.env.providers:
            account, secret = f"{provider[:2]}{unique}", uuid.uuid4().hex
            hooks = self.ws.webhooks.get(provider) or {}
            settings = {"mo_callback_url": hooks.get("mo"), "dlr_callback_url": hooks.get("dlr"),
                        "numbers": [{k: v for k, v in n.items() if k != "provider"}
                                    for n in self.numbers if n["provider"] == provider]}
            if provider == "sinch":
                settings["api_token"] = secret
            self.secrets[provider] = secret
            self.fakes.put_account(provider, account, settings)
            self.accounts[provider] = account
        self.set_clock(self.start)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is not None and not hasattr(exc, "exchanges"):
            exc.exchanges, exc.timeline, exc.steps = self.exchanges(), self.timeline(), self.steps
        for provider, account in self.accounts.items():
            try:
                self.fakes.delete_account(provider, account)
            except HarnessHTTPError:
                pass  # best effort: the example's verdict is already decided
        try:
            self.ws.delete()
        except HarnessHTTPError:
            pass

    # -- configuration -------------------------------------------------------------------------
    def provider_credentials(self) -> dict:
        """The `providers` block of the platform's config, pointing at this sandbox's accounts."""
        out = {}
        for provider, account in self.accounts.items():
            base_url = f"{self.fakes.base_url}/{provider}"
            if provider == "sinch":
                out[provider] = {"base_url": base_url, "service_plan_id": account, "api_token": self.secrets[provider]}
            elif provider == "cm":
                out[provider] = {"base_url": base_url, "product_token": account}
            else:
                out[provider] = {"base_url": base_url, "token": account}
        return out

    def configure(self, config: dict) -> dict:
        """PUT /config with the sandbox's provider credentials merged in, and the sandbox's provider as
        the default provider and that of each inbound number naming none (raises Refused on 422)."""
        config = dict(config)
        config.setdefault("default_provider", self.provider)
        if "inbound_numbers" in config:
            config["inbound_numbers"] = [{"provider": self.provider, **n} for n in config["inbound_numbers"]]
        self._step("configure", config)
        return self.ws.put_config({"providers": self.provider_credentials(), **config})

    # -- clocks ------------------------------------------------------------------------------------
    def set_clock(self, moment: datetime) -> None:
        """In real-time mode the clock cannot be set: a check that starts at the default moment takes
        the platform's current time instead; one that needs a set moment is NOT CHECKED."""
        if self.env.real_time is not None:
            if moment != START:
                pytest.skip(f"NOT CHECKED: {REAL_TIME_REASON}: it starts at a set moment ({format_time(moment)})")
            self.now = parse_time(self.ws.clock()["now"])
            return
        self.now = parse_time(self.ws.set_clock(format_time(moment))["now"])
        self.fakes.set_clock(format_time(self.now))

    def advance(self, seconds: float) -> None:
        """The platform first (its scheduled work runs), then the fakes (due callbacks are delivered).
        In real-time mode a property check that moves the clock is NOT CHECKED: each of its many
        examples would wait (up to an hour for the batch)."""
        if seconds <= 0:
            return
        if self.env.real_time is not None:
            pytest.skip(f"NOT CHECKED: {REAL_TIME_REASON}: it moves the clock by {duration_text(seconds)}"
                        " in each of its examples")
        self._step("advance", f"{seconds:g} s")
        self.now = parse_time(self.ws.advance_clock(seconds)["now"])
        self.fakes.advance_clock(seconds)

    def reported_time(self, moment: datetime) -> datetime:
        """A reply received at `moment` as the sandbox's provider stamps it (the events' `timestamp`)."""
        resolution = REPLY_TIME_RESOLUTION.get(self.provider, timedelta(milliseconds=1))
        return moment - (moment - START.replace(hour=0, minute=0, second=0, microsecond=0)) % resolution

    def advance_to(self, moment: datetime) -> None:
        self.advance((moment - self.now).total_seconds())

    def past_batch(self) -> None:
        """Move both clocks past the batch deadline of every reply so far (001: "Wait 1-2 hours")."""
        self.advance((consent.BATCH_DEADLINE + timedelta(seconds=1)).total_seconds())

    # -- actions -----------------------------------------------------------------------------------
    def customer(self, phone: str, **fields) -> str:
        body = {"phone": phone, "consents": {CATEGORY: "accept"}, "sms_subscription": "subscribed", **fields}
        customer_id = self.ws.create_customer(body)["id"]
        self._step("create_customer", {"id": customer_id, **body})
        return customer_id

    def reply(self, sender: str, body: str, to: str = LONG_CODE, provider: str | None = None) -> dict:
        """A handset sends `body` to `to` (through the sandbox's provider unless named); the fakes deliver
        it to the workspace's MO webhook."""
        provider = provider or self.provider
        self._step("reply", {"from": sender, "to": to, "body": body, "provider": provider})
        return self.fakes.inbound(provider, sender, to, body)

    def send(self, customer_ids: list[str], body: str, **request) -> list[dict]:
        request = {"kind": "campaign", "category": CATEGORY, "customer_ids": customer_ids, "body": body, **request}
        self._step("send", request)
        return self.ws.send(request)["outcomes"]

    # -- observations ------------------------------------------------------------------------------
    def messages(self, provider: str | None = None, **filters) -> list[dict]:
        """Messages of this sandbox's accounts (of one provider, or all) at the fakes (filters as Fakes.messages)."""
        found = []
        for name, account in self.accounts.items():
            if provider in (None, name):
                found += self.fakes.messages(provider=name, account=account, **filters)
        return sorted(found, key=lambda m: m.get("created_at") or "")

    def processed_at(self, phone: str) -> datetime | None:
        """When the platform says it processed the latest opt-out reply of `phone` (None: not yet)."""
        entries = [e for e in self.ws.opt_outs()["blacklist"] if phones.same_phone(e["phone"], phone)]
        stamp = entries[-1].get("processed_at") if entries else None
        return parse_time(stamp) if stamp else None

    def blacklisted(self) -> set[str]:
        """E.164 phones on the platform's opt-out blacklist."""
        return {phones.identity(e["phone"], bare_ok=True) or e["phone"] for e in self.ws.opt_outs()["blacklist"]}

    def events(self, customer_id: str | None = None, type: str | None = None) -> list[dict]:
        return self.ws.events(customer_id=customer_id, type=type)

    def timeline(self) -> list[dict]:
        """This sandbox's messages at the fakes and events at the platform, in time order."""
        entries = []
        try:
            for m in self.messages():
                entries.append({"at": m.get("created_at"), "source": f"fakes/{m.get('provider')}",
                                "what": f"{str(m.get('direction')).upper()} {m.get('from')} -> {m.get('to')}: "
                                        f"{m.get('body')!r} [{m.get('status')}]"})
            for e in self.events():
                detail = e.get("status") or f"{e.get('action')} {e.get('category')}"
                entries.append({"at": e.get("timestamp"), "source": "platform",
                                "what": f"{e.get('type')} event {detail} for {e.get('customer_id')}"
                                        + (f" (imported {e['imported_timestamp']})" if e.get("imported_timestamp") else "")})
        except HarnessHTTPError:
            pass
        return sorted(entries, key=lambda e: e["at"] or "")

    def exchanges(self) -> list[dict]:
        """The HTTP exchanges of this sandbox so far (evidence for a failed example)."""
        driver_mark, fakes_mark = self.mark
        exchanges = self.driver.transcript[driver_mark:] + self.fakes.transcript[fakes_mark:]
        return [e.to_json() for e in sorted(exchanges, key=lambda e: e.at)]
