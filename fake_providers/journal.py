"""Everything that crossed the wire, per provider and account: the API requests, the messages
(MT and MO, with their encoding, segment count and current status) and the delivery reports and
callback attempts the fakes emitted. Tests query it through the control API; resetting one
account leaves the others alone, so parallel tests do not see each other."""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from .clock import iso_millis
from .phones import same_number

KINDS = ("mt_request", "mo", "dlr", "callback_attempt")
STATUSES = ("Queued", "Dispatched", "Delivered", "Failed", "Expired", "Rejected", "Bounced",
            "Aborted", "Received")


class RawBody:
    """A request or response body kept as bytes on the hot path; decoded (JSON when it is
    JSON) only when the journal is read."""
    __slots__ = ("raw", "content_type")

    def __init__(self, raw: bytes, content_type: str | None) -> None:
        self.raw, self.content_type = raw, content_type

    def decoded(self) -> Any:
        if not self.raw:
            return None
        text = self.raw.decode("utf-8", "replace")
        if self.content_type and "json" in self.content_type:
            try:
                return json.loads(text)
            except ValueError:
                pass
        return text


@dataclass(slots=True)
class Message:
    id: str
    provider: str
    account: str
    direction: str  # mt | mo
    sender: str
    recipient: str
    body: str
    encoding: str
    segment_count: int
    status: str
    created_at: datetime
    status_at: datetime
    provider_message_id: str | None = None
    batch_id: str | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "provider": self.provider, "account": self.account,
                "direction": self.direction, "from": self.sender, "to": self.recipient,
                "body": self.body, "encoding": self.encoding,
                "segment_count": self.segment_count, "status": self.status,
                "provider_message_id": self.provider_message_id, "batch_id": self.batch_id,
                "created_at": iso_millis(self.created_at), "status_at": iso_millis(self.status_at)}


@dataclass
class MessageFilter:
    provider: str | None = None
    account: str | None = None
    direction: str | None = None
    to: str | None = None
    sender: str | None = None
    since: datetime | None = None
    body: str | None = None
    status: str | None = None

    def misses(self, m: Message) -> int:
        """How many criteria `m` fails (0 = a match); ranks the nearest candidates."""
        checks = [
            self.provider is None or m.provider == self.provider,
            self.account is None or m.account == self.account,
            self.direction is None or m.direction == self.direction,
            self.to is None or same_number(m.recipient, self.to),
            self.sender is None or same_number(m.sender, self.sender),
            self.since is None or m.created_at >= self.since,
            self.body is None or self.body in m.body,
            self.status is None or m.status.casefold() == self.status.casefold(),
        ]
        return checks.count(False)


@dataclass
class Journal:
    entries: list[dict] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1), repr=False)
    # Called with ("entry", entry) or ("message", message) after each record: the live inbox
    # and `serve --log` watch the traffic without polling. A listener must be quick and not raise.
    listeners: list[Callable[[str, Any], None]] = field(default_factory=list, repr=False)

    def publish(self, kind: str, item: Any) -> None:
        for listener in self.listeners:
            listener(kind, item)

    def record(self, provider: str, account: str | None, kind: str, at: datetime,
               **data: Any) -> dict:
        entry = {"id": next(self._ids), "provider": provider, "account": account, "kind": kind,
                 "at": iso_millis(at), **data}
        self.entries.append(entry)
        if self.listeners:
            self.publish("entry", entry)
        return entry

    def add_message(self, message: Message) -> Message:
        self.messages.append(message)
        if self.listeners:
            self.publish("message", message)
        return message

    def query(self, provider: str | None = None, account: str | None = None,
              kind: str | None = None) -> list[dict]:
        return [{k: v.decoded() if isinstance(v, RawBody) else v for k, v in e.items()}
                for e in self.entries
                if (provider is None or e["provider"] == provider)
                and (account is None or e["account"] == account)
                and (kind is None or e["kind"] == kind)]

    def find(self, criteria: MessageFilter) -> list[Message]:
        return [m for m in self.messages if criteria.misses(m) == 0]

    def nearest(self, criteria: MessageFilter, limit: int = 5) -> list[Message]:
        ranked = sorted(self.messages, key=criteria.misses)
        return ranked[:limit]

    def reset(self, provider: str | None = None, account: str | None = None) -> None:
        def in_scope(p: str, a: str | None) -> bool:
            return provider is None or (p == provider and (account is None or a == account))

        self.entries = [e for e in self.entries if not in_scope(e["provider"], e["account"])]
        self.messages = [m for m in self.messages if not in_scope(m.provider, m.account)]
