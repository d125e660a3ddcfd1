"""The handsets' side: what becomes of an MT message at its destination. Delivered after 5 s by
default; magic numbers (any country, by the last four digits) for the other outcomes, in the
spirit of Twilio's test numbers; any number can be scripted through the control API.

A script may also say how the network around the number behaves, for the providers that model
it: `dispatched: false` (Sinch: no `Dispatched` report comes before the final one, as happens in
reality), `report_status` (Instasent: the DLR status word sent for the outcome, any of its
documented vocabulary) and `rejection` (CM: the submission is refused with that error code)."""
from __future__ import annotations

from dataclasses import dataclass

import phonenumbers

from .phones import digits_of, number_key, to_e164

OUTCOMES = ("delivered", "failed", "expired", "rejected", "bounced")
DEFAULT_DELAY_SECONDS = 5.0
MAX_DELAY_SECONDS = 30 * 86400.0  # beyond any provider's validity period
# Submission refusals a provider can be told to give for a number (CM's error codes: insufficient
# balance, spam filter, blacklisted recipient, rejected by the operator).
REJECTIONS = (102, 401, 402, 403)
MAGIC_SUFFIXES = {"0001": "failed", "0002": "expired", "0003": "rejected", "0004": "bounced"}


class OutcomeError(ValueError):
    """An outcome that does not exist (answered as 422)."""


@dataclass(frozen=True)
class Outcome:
    outcome: str
    delay_seconds: float = DEFAULT_DELAY_SECONDS
    scripted: bool = False
    dispatched: bool = True
    report_status: str | None = None
    rejection: int | None = None

    def to_dict(self, msisdn: str | None = None) -> dict:
        data = {"outcome": self.outcome, "delay_seconds": self.delay_seconds}
        if not self.dispatched:
            data["dispatched"] = False
        for name in ("report_status", "rejection"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
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
        try:
            delay = float(spec.get("delay_seconds", DEFAULT_DELAY_SECONDS))
        except (TypeError, ValueError):
            raise OutcomeError("delay_seconds must be a number") from None
        if not 0 <= delay <= MAX_DELAY_SECONDS:  # NaN fails both comparisons
            raise OutcomeError(f"delay_seconds must be from 0 to {MAX_DELAY_SECONDS:g}")
        dispatched = spec.get("dispatched", True)
        if not isinstance(dispatched, bool):
            raise OutcomeError("dispatched must be true or false")
        report_status = spec.get("report_status")
        if report_status is not None and not (isinstance(report_status, str) and report_status):
            raise OutcomeError("report_status must be a non-empty string")
        rejection = spec.get("rejection")
        if rejection is not None and rejection not in REJECTIONS:
            raise OutcomeError(f"rejection must be one of {list(REJECTIONS)}")
        scripted = Outcome(outcome, delay, True, dispatched, report_status, rejection)
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


# Mobile country code of the handsets' home networks, by region; the operator (MCCMNC) of a
# number is its country's code with MNC 01 (the fake has no number portability data).
MCC = {"AT": "232", "BE": "206", "CA": "302", "CH": "228", "DE": "262", "DK": "238", "ES": "214",
       "FI": "244", "FR": "208", "GB": "234", "IE": "272", "IT": "222", "NL": "204", "NO": "242",
       "PL": "260", "PT": "268", "SE": "240", "US": "310"}


def operator_of(msisdn: str) -> str | None:
    """The MCCMNC of the network a phone number belongs to, None when unknown."""
    e164 = to_e164(msisdn)
    if e164 is None:
        return None
    region = phonenumbers.region_code_for_number(phonenumbers.parse(e164))
    return MCC[region] + "01" if region in MCC else None
