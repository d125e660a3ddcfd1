"""Everything that crossed the wire, per provider and account: the API requests, the messages
(MT and MO, with their encoding, segment count and current status) and the delivery reports and
callback attempts the fakes emitted. Tests query it through the control API; resetting one
account leaves the others alone, so parallel tests do not see each other.

Built to hold a million sends: records are numbered in arrival order (the number is the paging
cursor), listed a page at a time from indexes on what listings filter by, and a page examines at
most `SCAN_BUDGET` records, so no read holds up the sends being served. Journal entries are
written once and never change, so they are kept compressed, `BLOCK` at a time; messages change
status, so they stay objects. An optional retention bound evicts the oldest records."""
from __future__ import annotations

import heapq
import json
import marshal
import zlib
from array import array
from bisect import bisect_left, bisect_right
from itertools import accumulate
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Hashable, Iterator, Sequence

from .clock import iso_millis
from .phones import number_key, same_number

KINDS = ("mt_request", "mo", "dlr", "callback_attempt")
STATUSES = ("Queued", "Dispatched", "Delivered", "Failed", "Expired", "Rejected", "Bounced",
            "Aborted", "Received")
SCAN_BUDGET = 10_000  # records one page may examine (a filter no index answers pages short)
BLOCK = 256  # journal entries compressed together
RECIPIENT_BUCKETS = 1 << 16


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


class Ledger:
    """Records numbered 1, 2, ... in arrival order, with indexes (key -> ascending numbers: a
    range while they are consecutive, as they are for most keys when one account sends, then
    an array of 4-byte numbers, as a journal holds far fewer than 2**31 records).

    A removed record leaves a hole; the holes at the front are trimmed away (and the indexes
    with them) once they are half the store, so eviction costs O(1) amortised. Index numbers
    of removed records are skipped when read."""

    def __init__(self, max_records: int | None = None) -> None:
        self.max_records = max_records
        self.on_evict: list[Callable[[list], None]] = []
        self._clear()

    def _clear(self) -> None:
        self._items: list = []  # the record at number base + position, None once removed
        self._base = getattr(self, "_next", 1)
        self._next = self._base
        self._head = 0  # positions before it are all removed
        self._live = 0
        self._index: dict[Hashable, Any] = {}  # key -> range or array of numbers

    def __len__(self) -> int:
        return self._live

    # -- storage (JournalEntries keeps its records compressed) -------------------------------
    def _store(self, record: Any) -> None:
        self._items.append(record)

    def _load(self, position: int) -> Any:
        return self._items[position]

    def _present(self, position: int) -> bool:
        return self._items[position] is not None

    def _drop(self, position: int) -> None:
        self._items[position] = None

    def _size(self) -> int:
        return len(self._items)

    def _passed(self, old: int, head: int) -> None:
        """Every position before `head` (before `old`, already) is removed: storage may free."""

    def _trim(self, count: int) -> int:
        """Forget the first `count` positions (all removed); returns how many went."""
        del self._items[:count]
        return count

    # -- records ---------------------------------------------------------------------------
    def add(self, record: Any, keys: tuple[Hashable, ...]) -> int:
        number = self._next
        self._next += 1
        self._store(record)
        self._live += 1
        index = self._index
        for key in keys:
            found = index.get(key)
            if found is None:
                index[key] = range(number, number + 1)
            elif type(found) is not range:
                found.append(number)
            elif found.stop == number:
                index[key] = range(found.start, number + 1)
            else:
                index[key] = array("i", found)
                index[key].append(number)
        if self.max_records is not None and self._live > self.max_records:
            self._evict(self._live - self.max_records)
        return number

    def get(self, number: int) -> Any:
        position = number - self._base
        if position < 0 or number >= self._next:
            return None
        return self._load(position)

    def remove(self, numbers: list[int]) -> None:
        for number in numbers:
            position = number - self._base
            if 0 <= position and number < self._next and self._present(position):
                self._drop(position)
                self._live -= 1
        if self._live == 0:
            self._clear()

    def numbers(self, key: Hashable | None = None) -> Sequence[int]:
        """The numbers of one index (every number when `key` is None), ascending."""
        if key is None:
            return range(self._base + self._head, self._next)
        return self._index.get(key, ())

    def __iter__(self) -> Iterator[Any]:
        return (r for r in map(self.get, self.numbers()) if r is not None)

    def newest_first(self, before: int | None = None,
                     key: Hashable | None = None) -> Iterator[tuple[int, Any]]:
        """(number, record) of `key`'s index (every record when None) from the newest down,
        numbered below `before`; removed records skipped. Lazy: a caller counts what it takes."""
        numbers = self.numbers(key)
        stop = len(numbers) if before is None else bisect_left(numbers, before)
        for position in range(stop - 1, -1, -1):
            number = numbers[position]
            record = self.get(number)
            if record is not None:
                yield number, record

    def oldest_first(self, after: int, key: Hashable | None = None) -> Iterator[tuple[int, Any]]:
        """(number, record) of `key`'s index numbered above `after`, in order; removed skipped."""
        numbers = self.numbers(key)
        for position in range(bisect_right(numbers, after), len(numbers)):
            number = numbers[position]
            record = self.get(number)
            if record is not None:
                yield number, record

    def index_size(self, key: Hashable) -> int:
        return len(self._index.get(key, ()))

    def page(self, after: int, limit: int, key: Hashable | None = None,
             match: Callable[[Any], bool] | None = None,
             budget: int = SCAN_BUDGET) -> tuple[list, int | None]:
        """Up to `limit` records numbered above `after` (in `key`'s index, passing `match`),
        and the number to continue after (None when nothing is left). At most `budget`
        numbers are examined, so a page may come back short while the cursor goes on."""
        if key is None:
            numbers: Any = range(max(after + 1, self._base + self._head), self._next)
            remaining = len(numbers)
        else:
            found = self._index.get(key, ())
            start = bisect_right(found, after)  # then by position: islice would walk to start
            numbers, remaining = map(found.__getitem__, range(start, len(found))), len(found) - start
        records, examined = [], 0
        for number in numbers:
            examined += 1
            record = self.get(number)
            if record is not None and (match is None or match(record)):
                records.append(record)
                if len(records) == limit:
                    return records, number if examined < remaining else None
            if examined == budget:
                return records, number if examined < remaining else None
        return records, None

    # -- retention ---------------------------------------------------------------------------
    def _evict(self, count: int) -> None:
        evicted = []
        position = self._head
        while count and position < self._size():
            if self._present(position):
                if self.on_evict:
                    evicted.append(self._load(position))
                self._drop(position)
                self._live -= 1
                count -= 1
            position += 1
        self._passed(self._head, position)
        self._head = position
        for hook in self.on_evict:
            hook(evicted)
        if self._head > 4096 and self._head * 2 > self._next - self._base:
            self._compact()

    def _compact(self) -> None:
        gone = self._trim(self._head)
        self._base += gone
        self._head -= gone
        base = self._base
        for key, found in list(self._index.items()):
            if type(found) is range:
                found = self._index[key] = range(max(found.start, base), found.stop)
            else:
                del found[:bisect_left(found, base)]
            if not found:
                del self._index[key]


class JournalEntries(Ledger):
    """Journal entries, compressed `BLOCK` at a time; the blocks read last stay decompressed
    for the next page. Each entry is fed to the block's compressor as it is stored, so the
    compression work is spread over the sends (a whole block compressed at once held one send
    up for about a millisecond). Each entry's length is kept (4 bytes), so a read unmarshals
    only the entries it takes (about 1 µs each; a whole block read from a stream, 2 ms)."""

    # Level 1: fast, and entries are much alike. memLevel 4: deflate codes what it gathered
    # every ~1,000 symbols rather than ~16,000, so no single entry pays for a large chunk.
    compressor = staticmethod(lambda: zlib.compressobj(1, zlib.DEFLATED, 15, 4))

    def _clear(self) -> None:
        super()._clear()
        self._blocks: list[bytes | None] = []  # compressed, None once all removed
        self._open: list[tuple] = []  # the block being filled, as records
        self._packer = self.compressor()  # ... and as it is compressed so far
        self._packed: list[bytes] = []
        self._alive = bytearray()  # per position
        self._lengths = array("I")  # per position: its marshalled bytes
        self._decoded: dict[int, tuple[memoryview, list[int]]] = {}  # block -> (bytes, offsets)

    def _store(self, record: tuple) -> None:
        self._open.append(record)
        self._alive.append(1)
        data = _marshalled(record)
        self._lengths.append(len(data))
        packed = self._packer.compress(data)
        if packed:
            self._packed.append(packed)
        if len(self._open) == BLOCK:
            self._packed.append(self._packer.flush())
            self._blocks.append(b"".join(self._packed))
            self._open, self._packed, self._packer = [], [], self.compressor()

    def _size(self) -> int:
        return len(self._alive)

    def _load(self, position: int) -> Any:
        if not self._alive[position]:
            return None
        block, offset = divmod(position, BLOCK)
        if block == len(self._blocks):
            return self._open[offset]
        decoded = self._decoded.get(block)
        if decoded is None:
            lengths = self._lengths[block * BLOCK:(block + 1) * BLOCK]
            decoded = memoryview(zlib.decompress(self._blocks[block])), [0, *accumulate(lengths)]
            if len(self._decoded) >= 4:
                self._decoded.pop(next(iter(self._decoded)))
            self._decoded[block] = decoded
        data, offsets = decoded
        return marshal.loads(data[offsets[offset]:offsets[offset + 1]])

    def _present(self, position: int) -> bool:
        return bool(self._alive[position])

    def _drop(self, position: int) -> None:
        self._alive[position] = 0

    def remove(self, numbers: list[int]) -> None:
        super().remove(numbers)
        for block in {(n - self._base) // BLOCK for n in numbers}:
            self._free_if_empty(block)

    def _passed(self, old: int, head: int) -> None:
        for block in range(old // BLOCK, min(head // BLOCK, len(self._blocks))):
            self._blocks[block] = None
            self._decoded.pop(block, None)

    def _free_if_empty(self, block: int) -> None:
        if 0 <= block < len(self._blocks) and not any(self._alive[block * BLOCK:(block + 1) * BLOCK]):
            self._blocks[block] = None
            self._decoded.pop(block, None)

    def _trim(self, count: int) -> int:
        blocks = min(count // BLOCK, len(self._blocks))
        del self._blocks[:blocks]
        del self._alive[:blocks * BLOCK]
        del self._lengths[:blocks * BLOCK]
        self._decoded.clear()
        return blocks * BLOCK


def _marshalled(record: tuple) -> bytes:
    """An entry's bytes. Fields are JSON-like values and bodies as (raw, content type) tuples
    (JSON has no tuples); a RawBody becomes such a tuple, and a field marshal still refuses
    (not JSON-like, or nested past marshal's depth) is kept as a note saying so."""
    try:
        return marshal.dumps(record)
    except ValueError:
        pass
    fields = {}
    for name, value in record[5].items():
        if isinstance(value, RawBody):
            value = (value.raw, value.content_type)
        try:
            marshal.dumps(value)
        except ValueError as exc:
            value = f"not storable in the journal: {exc}"
        fields[name] = value
    return marshal.dumps(record[:5] + (fields,))


def _readable(value: Any) -> Any:
    if type(value) is tuple:
        return RawBody(*value).decoded()
    return value.decoded() if isinstance(value, RawBody) else value


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
                **{k: _readable(v) for k, v in fields.items()}}

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
