"""The handsets' side: what becomes of an MT message at its destination. Delivered after 5 s by
default; magic numbers (any country, by the last four digits) for the other outcomes, in the
spirit of Twilio's test numbers; any number can be scripted through the control API."""
from __future__ import annotations

from dataclasses import dataclass

from .phones import digits_of, number_key, to_e164

OUTCOMES = ("delivered", "failed", "expired", "rejected", "bounced")
DEFAULT_DELAY_SECONDS = 5.0
MAX_DELAY_SECONDS = 30 * 86400.0  # beyond any provider's validity period
MAGIC_SUFFIXES = {"0001": "failed", "0002": "expired", "0003": "rejected", "0004": "bounced"}


class OutcomeError(ValueError):
    """An outcome that does not exist (answered as 422)."""


@dataclass(frozen=True)
class Outcome:
    outcome: str
    delay_seconds: float = DEFAULT_DELAY_SECONDS
    scripted: bool = False

    def to_dict(self, msisdn: str | None = None) -> dict:
        data = {"outcome": self.outcome, "delay_seconds": self.delay_seconds}
        return {"msisdn": msisdn, **data} if msisdn is not None else data


class Handsets:
    def __init__(self) -> None:
        self._scripted: dict[str, tuple[str, Outcome]] = {}

    def script(self, msisdn: str, spec: dict) -> Outcome:
        if to_e164(msisdn) is None:
            raise OutcomeError(f"{msisdn!r} is not a phone number")
        outcome = spec.get("outcome") if isinstance(spec, dict) else None
        if outcome not in OUTCOMES:
            raise OutcomeError(f"outcome must be one of {list(OUTCOMES)}")
        delay = spec.get("delay_seconds", DEFAULT_DELAY_SECONDS)
        if isinstance(delay, bool) or not isinstance(delay, (int, float)):
            raise OutcomeError("delay_seconds must be a number")
        if not 0 <= delay <= MAX_DELAY_SECONDS:  # NaN fails both comparisons
            raise OutcomeError(f"delay_seconds must be from 0 to {MAX_DELAY_SECONDS:g}")
        scripted = Outcome(outcome, delay, scripted=True)
        self._scripted[number_key(msisdn)] = (msisdn, scripted)
        return scripted

    def unscript(self, msisdn: str) -> bool:
        return self._scripted.pop(number_key(msisdn), None) is not None

    def scripted(self) -> list[dict]:
        return [outcome.to_dict(msisdn) for msisdn, outcome in self._scripted.values()]

    def clear(self) -> None:
        self._scripted.clear()

    def outcome_for(self, msisdn: str) -> Outcome:
        found = self._scripted.get(number_key(msisdn))
        if found:
            return found[1]
        digits = digits_of(msisdn)
        return Outcome(MAGIC_SUFFIXES.get(digits[-4:], "delivered"))
