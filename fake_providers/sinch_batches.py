"""The Sinch fake's records: a batch (`Batch`), each of its recipients (`Recipient`: the journal
message with Sinch's delivery-report state) and an inbound (`Inbound`). Kept compact, as a million
sends keep a million of each; sinch.py's `Backend` is the model that makes and changes them."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Mapping

from .clock import iso_millis
from .journal import Message

FINAL = ("Delivered", "Failed", "Expired", "Rejected", "Aborted", "Cancelled", "Deleted", "Unknown")


@dataclass(slots=True, eq=False)
class Recipient(Message):
    """One recipient of a batch: its journal message (number, text, parts, journal status)
    with Sinch's delivery-report state, `report_status` and `code` (a million sends keep a
    million of these: one object each). Once its batch is stored, a change of `report_status`
    or `code` goes through `Backend._report_changed` (the reports' index, sinch_tables.py)."""
    report_status: str = "Queued"
    code: int = 400
    at: datetime | None = None
    operator_status_at: datetime | None = None
    skip_dispatched: bool = False

    @property
    def msisdn(self) -> str:  # E.164
        return self.recipient

    @property
    def final(self) -> bool:
        return self.report_status in FINAL


CORE_FIELDS = frozenset(("to", "from", "body", "type", "delivery_report"))
NO_FIELDS: Mapping[str, Any] = MappingProxyType({})
VALIDITY = timedelta(days=3)  # the longest expiry Sinch allows, and the default


class Batch:
    """A batch, kept compact (a million sends keep a million batches): the send fields every
    batch has as attributes, the others in `fields` (a shared empty mapping when none), one
    recipient without a list, `to` only when it is not the recipients' numbers in order, and
    the expiry only when it is not the default."""
    __slots__ = ("id", "account", "sender", "body", "type", "delivery_report", "fields",
                 "created_at", "modified_at", "send_at", "_expire_at", "_recipients", "to",
                 "canceled", "dispatched", "reported", "dispatch_event")

    def __init__(self, id: str, account: str, request: dict, created_at: datetime,
                 modified_at: datetime, expire_at: datetime, send_at: datetime | None) -> None:
        self.id, self.account = id, account
        sender = request.get("from")
        self.sender = sys.intern(sender) if type(sender) is str else sender  # senders repeat
        self.body, self.type = request["body"], request["type"]
        self.delivery_report = request.get("delivery_report", "none")
        fields = {k: v for k, v in request.items() if k not in CORE_FIELDS}
        self.fields = fields or NO_FIELDS
        self.created_at, self.modified_at, self.send_at = created_at, modified_at, send_at
        self._expire_at = None if expire_at == self._default_expiry() else expire_at
        self._recipients: Recipient | tuple[Recipient, ...] = ()
        self.to: list[str] | None = None  # None: the recipients' numbers
        self.canceled = self.dispatched = self.reported = False  # reported: summary/full sent
        self.dispatch_event: Any = None

    def _default_expiry(self) -> datetime:
        return max(self.send_at or self.created_at, self.created_at) + VALIDITY

    @property
    def expire_at(self) -> datetime:
        return self._expire_at or self._default_expiry()

    @property
    def recipients(self) -> tuple[Recipient, ...]:
        found = self._recipients
        return (found,) if type(found) is Recipient else found

    def set_recipients(self, numbers: list[str], recipients: list[Recipient]) -> None:
        """The recipients, and `numbers` (the `to` numbers in E.164 in order, as echoed back)."""
        self._recipients = recipients[0] if len(recipients) == 1 else tuple(recipients)
        if numbers != [r.msisdn for r in recipients]:
            self.to = numbers

    def request(self) -> dict:
        """The validated send fields (what an update merges its changes into)."""
        core = {"type": self.type, "to": self.numbers(), "body": self.body,
                "delivery_report": self.delivery_report}
        if self.sender is not None:
            core["from"] = self.sender
        return {**core, **self.fields}

    def numbers(self) -> list[str]:
        return list(self.to) if self.to is not None else [r.msisdn for r in self.recipients]

    def to_dict(self) -> dict:
        f = self.fields
        data = {"id": self.id, "to": self.numbers(), "from": self.sender,
                "canceled": self.canceled, "body": self.body, "type": self.type,
                "created_at": iso_millis(self.created_at),
                "modified_at": iso_millis(self.modified_at),
                "delivery_report": self.delivery_report,
                "send_at": self.send_at and iso_millis(self.send_at),
                "expire_at": iso_millis(self.expire_at),
                "feedback_enabled": f.get("feedback_enabled", False),
                "flash_message": f.get("flash_message", False)}
        for name in ("callback_url", "client_reference", "truncate_concat",
                     "max_number_of_message_parts", "from_ton", "from_npi", "parameters", "udh"):
            if f.get(name) is not None:
                data[name] = f[name]
        return {k: v for k, v in data.items() if v is not None}


@dataclass(slots=True)
class Inbound:
    payload: dict
    received_at: datetime

    @property
    def id(self) -> str:
        return self.payload["id"]

    @property
    def reference(self) -> str | None:
        return self.payload.get("client_reference")
