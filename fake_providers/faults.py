"""Injected failures, per provider, account and endpoint: error statuses (with Retry-After on
429/503), latency, dropped connections, and duplicate or dropped callbacks. Each fault draws from
its own seeded random generator, so a failing run replays identically with the same seed."""
from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

KINDS = ("status", "latency", "drop_connection", "duplicate_callback", "drop_callback")
CALLBACK_KINDS = ("duplicate_callback", "drop_callback")
MAX_LATENCY_MS = 600_000  # ten minutes: a request held longer is a hung test, not a slow provider


class FaultError(ValueError):
    """A fault specification that cannot be honoured (answered as 422)."""


@dataclass
class Fault:
    id: str
    provider: str
    account: str | None
    endpoint: str
    kind: str
    status: int | None = None
    retry_after: int | None = None
    latency_ms: int = 0
    times: int | None = None  # None: for ever
    probability: float = 1.0
    seed: int | None = None
    fired: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def applies_to(self, provider: str, account: str | None, endpoint: str) -> bool:
        return (self.provider in (provider, "*")
                and self.account in (None, account)
                and self.endpoint in (endpoint, "*")
                and (self.times is None or self.fired < self.times))

    def draw(self) -> bool:
        """Whether this fault strikes now (consumes one of `times` when it does)."""
        if self._rng.random() >= self.probability:
            return False
        self.fired += 1
        return True

    def to_dict(self) -> dict:
        return {"id": self.id, "provider": self.provider, "account": self.account,
                "endpoint": self.endpoint, "kind": self.kind, "status": self.status,
                "retry_after": self.retry_after, "latency_ms": self.latency_ms,
                "times": self.times, "probability": self.probability, "seed": self.seed,
                "fired": self.fired}


def _number(spec: dict, name: str, types, default):
    """`spec[name]` when it is a JSON number of `types` (true and "3" are not), else FaultError."""
    value = spec.get(name)
    if value is None:
        return default
    if types is int and isinstance(value, float) and value.is_integer():
        return int(value)  # 3.0 is an integer in JSON
    if isinstance(value, bool) or not isinstance(value, types):
        raise FaultError(f"{name} must be {'an integer' if types is int else 'a number'}")
    return value


class Faults:
    def __init__(self) -> None:
        self._faults: dict[str, Fault] = {}
        self._ids = itertools.count(1)

    def add(self, spec: dict, providers: list[str]) -> Fault:
        provider = spec.get("provider")
        if provider not in (*providers, "*"):
            raise FaultError(f"provider must be one of {providers}, got {provider!r}")
        kind = spec.get("kind")
        if kind not in KINDS:
            raise FaultError(f"kind must be one of {list(KINDS)}, got {kind!r}")
        status = spec.get("status")
        if kind == "status":
            status = _number(spec, "status", int, None)
        if kind == "status" and not (status is not None and 400 <= status <= 599):
            raise FaultError("a status fault needs an HTTP error status (400-599)")
        if kind != "status" and (status is not None or spec.get("retry_after") is not None):
            raise FaultError("status and retry_after belong to a status fault")
        probability = _number(spec, "probability", (int, float), 1.0)
        times = _number(spec, "times", int, None)
        latency_ms = _number(spec, "latency_ms", int, 0)
        retry_after = _number(spec, "retry_after", int, None)
        if not 0.0 <= probability <= 1.0:
            raise FaultError("probability must be between 0 and 1")
        if times is not None and times < 1:
            raise FaultError("times must be at least 1 (or null: for ever)")
        if latency_ms < 0 or (retry_after is not None and retry_after < 0):
            raise FaultError("latency_ms and retry_after must not be negative")
        if latency_ms > MAX_LATENCY_MS:
            raise FaultError(f"latency_ms must be at most {MAX_LATENCY_MS}")
        seed = _number(spec, "seed", int, None)
        endpoint = spec.get("endpoint")
        if not isinstance(endpoint, (str, type(None))) or not isinstance(spec.get("account"), (str, type(None))):
            raise FaultError("endpoint and account must be strings")
        endpoint = endpoint or "*"
        if kind in CALLBACK_KINDS and endpoint not in ("callback", "*"):
            raise FaultError(f"{kind} applies to the 'callback' endpoint")
        fault = Fault(id=f"fault_{next(self._ids)}", provider=provider,
                      account=spec.get("account"), endpoint=endpoint, kind=kind,
                      status=status, retry_after=retry_after, latency_ms=latency_ms,
                      times=times, probability=probability, seed=seed,
                      _rng=random.Random(seed))
        self._faults[fault.id] = fault
        return fault

    def list(self) -> list[Fault]:
        return list(self._faults.values())

    def remove(self, fault_id: str) -> bool:
        return self._faults.pop(fault_id, None) is not None

    def clear(self, provider: str | None = None, account: str | None = None) -> None:
        self._faults = {i: f for i, f in self._faults.items()
                        if not (provider is None or (f.provider == provider
                                and (account is None or f.account == account)))}

    def strike(self, provider: str, account: str | None, endpoint: str) -> Iterator[Fault]:
        """The faults that strike this call, in the order they were added, drawn lazily: a caller
        that stops at a fault ending the call (a status, a dropped connection) leaves the later
        ones for the next call, so stacked `times: 1` faults answer one request each."""
        for fault in list(self._faults.values()):
            if fault.applies_to(provider, account, endpoint) and fault.draw():
                yield fault
