"""The storage under the journal (`journal.Journal`): records numbered in arrival order with
indexes and a retention bound (`Ledger`), and the journal entries' compressed form
(`JournalEntries`: written once, never changed, so kept compressed `BLOCK` at a time, each
entry's length beside it so a read unmarshals only what it takes). A page examines at most
`SCAN_BUDGET` records, so no read holds up the sends being served."""
from __future__ import annotations

import json
import marshal
import zlib
from array import array
from bisect import bisect_left, bisect_right
from itertools import accumulate
from typing import Any, Callable, Hashable, Iterator, Sequence

SCAN_BUDGET = 10_000  # records one page may examine (a filter no index answers pages short)
BLOCK = 256  # journal entries compressed together


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


def readable(value: Any) -> Any:
    if type(value) is tuple:
        return RawBody(*value).decoded()
    return value.decoded() if isinstance(value, RawBody) else value
