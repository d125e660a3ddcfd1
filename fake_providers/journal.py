"""Everything that crossed the wire, per provider and account: the API requests, the messages
(MT and MO, with their encoding, segment count and current status) and the delivery reports and
callback attempts the fakes emitted. Tests query it through the control API; resetting one
account leaves the others alone, so parallel tests do not see each other.

Built to hold a million sends: records are numbered in arrival order (the number is the paging
cursor), listed a page at a time from indexes on what listings filter by, and a page examines at
most `SCAN_BUDGET` records, so no read holds up the sends being served. Journal entries are
written once and never change, so they are kept compressed, `BLOCK` at a time; messages change
status, so they stay objects. An optional retention bound evicts the oldest records. The
storage itself (numbering, indexes, retention, compression) is ledger.py's."""
from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Hashable, Iterator, Sequence

from .clock import iso_millis
from .ledger import BLOCK, SCAN_BUDGET, JournalEntries, Ledger, readable
from .phones import number_key, same_number

KINDS = ("mt_request", "mo", "dlr", "callback_attempt")
STATUSES = ("Queued", "Dispatched", "Delivered", "Failed", "Expired", "Rejected", "Bounced",
            "Aborted", "Received")
RECIPIENT_BUCKETS = 1 << 16


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
    seq: int = 0  # its place in the journal (set when journaled)

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

    def matches(self, m: Message) -> bool:
        """`misses(m) == 0`, stopping at the first miss (the listings' per-record test)."""
        return ((self.provider is None or m.provider == self.provider)
                and (self.account is None or m.account == self.account)
                and (self.direction is None or m.direction == self.direction)
                and (self.to is None or same_number(m.recipient, self.to))
                and (self.sender is None or same_number(m.sender, self.sender))
                and (self.since is None or m.created_at >= self.since)
                and (self.body is None or self.body in m.body)
                and (self.status is None or m.status.casefold() == self.status.casefold()))

    def index_keys(self) -> list[Hashable]:
        """The message indexes that hold every match (the smallest is walked)."""
        keys: list[Hashable] = []
        if self.to is not None:
            keys.append(recipient_bucket(self.to))
        if self.account is not None:
            keys.append(("pa", self.provider, self.account) if self.provider else ("a", self.account))
        elif self.provider is not None:
            keys.append(("p", self.provider))
        return keys


def recipient_bucket(number: str) -> tuple[str, int]:
    """The recipients' index is hashed into RECIPIENT_BUCKETS (a few bytes per message rather
    than a dictionary entry per distinct number); a bucket's other numbers fail the filter."""
    return ("to", hash(number_key(number)) % RECIPIENT_BUCKETS)


def sender_bucket(number: str) -> tuple[str, int]:
    """The MO senders' index, hashed as the recipients' (an MT's sender is an account's, so
    only MOs are indexed by sender: with the recipients' index of MTs it finds a handset's
    messages, at no cost to a send)."""
    return ("mo_from", hash(number_key(number)) % RECIPIENT_BUCKETS)


class Journal:
    """The messages and the journal entries, each a ledger (see the module docstring)."""

    def __init__(self, max_records: int | None = None) -> None:
        self._entries = JournalEntries(max_records)
        self._messages = Ledger(max_records)
        self._entry_keys: dict[tuple, tuple] = {}  # (provider, account, kind) -> its index keys
        # Called with ("entry", entry dict) or ("message", message) after each record: the live
        # inbox and `serve --log` watch the traffic without polling. A listener must be quick and
        # not raise.
        self.listeners: list[Callable[[str, Any], None]] = []

    def publish(self, kind: str, item: Any) -> None:
        for listener in self.listeners:
            listener(kind, item)

    # -- writing ------------------------------------------------------------------------------
    def record(self, provider: str, account: str | None, kind: str, at: datetime,
               **data: Any) -> int:
        """Journal an entry; `data` are JSON-like values, bodies as RawBody or as (raw bytes,
        content type) tuples (the send path's, cheaper)."""
        record = (self._entries._next, provider, account, kind, iso_millis(at), data)
        keys = self._entry_keys.get((provider, account, kind))
        if keys is None:
            keys = self._entry_keys[(provider, account, kind)] = tuple(dict.fromkeys(
                ("e", p, a, k) for p in (provider, None) for a in (account, None)
                for k in (kind, None) if (p, a, k) != (None, None, None)))
        number = self._entries.add(record, keys)
        if self.listeners:
            self.publish("entry", self.entry_dict(record))
        return number

    def add_message(self, message: Message) -> Message:
        message.seq = self._messages._next
        keys = (("p", message.provider), ("pa", message.provider, message.account),
                ("a", message.account), recipient_bucket(message.recipient))
        if message.direction == "mo":
            keys += (sender_bucket(message.sender),)
        self._messages.add(message, keys)
        return message

    @property
    def max_records(self) -> int | None:
        return self._messages.max_records

    @max_records.setter
    def max_records(self, bound: int | None) -> None:
        self._messages.max_records = self._entries.max_records = bound

    @property
    def on_evict(self) -> list[Callable[[list[Message]], None]]:
        """Called with the messages retention just evicted (providers drop what only they need)."""
        return self._messages.on_evict

    # -- reading ------------------------------------------------------------------------------
    @staticmethod
    def entry_dict(record: tuple) -> dict:
        number, provider, account, kind, at, fields = record
        return {"id": number, "provider": provider, "account": account, "kind": kind, "at": at,
                **{k: readable(v) for k, v in fields.items()}}

    def entries_page(self, after: int, limit: int, provider: str | None = None,
                     account: str | None = None, kind: str | None = None,
                     budget: int = SCAN_BUDGET) -> tuple[list[dict], int | None]:
        records, cursor = self._entries.page(after, limit, _entry_key(provider, account, kind),
                                             budget=budget)
        return [self.entry_dict(r) for r in records], cursor

    def query(self, provider: str | None = None, account: str | None = None,
              kind: str | None = None) -> list[dict]:
        """Every entry of a scope (for in-process tests; the control API pages)."""
        found, cursor = self.entries_page(0, 1 << 62, provider, account, kind, budget=1 << 62)
        return found

    def messages_page(self, criteria: MessageFilter, after: int, limit: int,
                      budget: int = SCAN_BUDGET) -> tuple[list[Message], int | None]:
        return self._messages.page(after, limit, self._narrowest(criteria), criteria.matches,
                                   budget)

    def candidates(self, criteria: MessageFilter) -> Iterator[Message]:
        """Messages that may match (the narrowest index's), in order; robust to changes while
        a caller pauses between them."""
        ledger = self._messages
        return (m for m in map(ledger.get, ledger.numbers(self._narrowest(criteria)))
                if m is not None)

    def messages_newest_first(self, before: int | None = None) -> Iterator[tuple[int, Message]]:
        """(number, message) from the newest down, numbered below `before` (the web inbox's pages)."""
        return self._messages.newest_first(before)

    def message_at(self, number: int) -> Message | None:
        """The message journaled as `number` (its `seq`), None once removed."""
        return self._messages.get(number)

    def handset_candidates(self, handset: str, before: int | None = None) -> Iterator[Message]:
        """Newest first below `before`, the messages that may be to or from `handset` (MTs to
        its recipients' bucket, MOs from its senders' bucket): a superset the caller filters."""
        to = self._messages.newest_first(before, recipient_bucket(handset))
        if not self._messages.index_size(sender_bucket(handset)):  # no MO from its bucket
            return (m for _, m in to if m.direction == "mt")
        mo = self._messages.newest_first(before, sender_bucket(handset))
        merged = heapq.merge(((n, m) for n, m in to if m.direction == "mt"),
                             ((n, m) for n, m in mo if m.direction == "mo"),
                             key=lambda item: item[0], reverse=True)
        return (message for _, message in merged)

    def entries_newest_first(self, before: int | None = None, provider: str | None = None,
                             account: str | None = None,
                             kind: str | None = None) -> Iterator[tuple[int, dict]]:
        """(number, entry) of a scope from the newest down, numbered below `before`."""
        return ((r[0], self.entry_dict(r)) for r in
                self.entry_records_newest_first(before, provider, account, kind))

    def entry_records_newest_first(self, before: int | None = None, provider: str | None = None,
                                   account: str | None = None,
                                   kind: str | None = None) -> Iterator[tuple]:
        """A scope's entries from the newest down, as stored tuples (number, provider,
        account, kind, at, fields): a reader tests them before decoding any body."""
        return (r for _, r in self._entries.newest_first(before, _entry_key(provider, account, kind)))

    def entry_records_after(self, after: int, provider: str | None = None,
                            account: str | None = None, kind: str | None = None) -> Iterator[tuple]:
        """A scope's entries numbered above `after`, oldest first, as stored tuples."""
        return (r for _, r in self._entries.oldest_first(after, _entry_key(provider, account, kind)))

    def entry_number_before(self, at: str) -> int:
        """The number of the last entry journaled before the ISO time `at` (0 when none): a
        binary search, entries being journaled in clock order."""
        ledger = self._entries
        numbers = ledger.numbers()
        low, high = 0, len(numbers)  # entries at positions < low are before `at`
        while low < high:
            middle = (low + high) // 2
            record = _nearest(ledger, numbers, middle)
            if record is not None and record[4] < at:
                low = middle + 1
            else:
                high = middle
        return numbers[low - 1] if low else 0

    def newest(self, count: int) -> Iterator[Message]:
        """The newest `count` messages (fewer when fewer are kept), oldest first."""
        ledger = self._messages
        numbers = ledger.numbers()
        return (m for m in map(ledger.get, numbers[-count:]) if m is not None)

    def find(self, criteria: MessageFilter) -> list[Message]:
        return [m for m in self.candidates(criteria) if criteria.matches(m)]

    def _narrowest(self, criteria: MessageFilter) -> Hashable | None:
        keys = criteria.index_keys()
        return min(keys, key=self._messages.index_size) if keys else None

    @property
    def messages(self) -> list[Message]:
        return list(self._messages)

    @messages.setter
    def messages(self, kept: list[Message]) -> None:
        """Keep only `kept` of the journaled messages (a provider replacing some)."""
        keep = {id(m) for m in kept}
        self.remove_messages([m for m in self._messages if id(m) not in keep])

    def remove_messages(self, messages: list[Message]) -> None:
        self._messages.remove([m.seq for m in messages])

    def reset(self, provider: str | None = None, account: str | None = None) -> None:
        if provider is None:
            self._entries.remove(list(self._entries.numbers()))
            self._messages.remove(list(self._messages.numbers()))
            return
        entry_key = ("e", provider, account, None)
        message_key = ("pa", provider, account) if account is not None else ("p", provider)
        self._entries.remove(list(self._entries.numbers(entry_key)))
        self._messages.remove(list(self._messages.numbers(message_key)))


def _entry_key(provider: str | None, account: str | None, kind: str | None) -> Hashable | None:
    return None if provider is account is kind is None else ("e", provider, account, kind)


def _nearest(ledger: Ledger, numbers: Sequence[int], position: int) -> Any:
    """The record at `position` of `numbers` or, that one removed, the next kept one."""
    for number in numbers[position:position + BLOCK]:
        record = ledger.get(number)
        if record is not None:
            return record
    return None
