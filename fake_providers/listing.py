"""Indexes for the providers' own listings (Sinch's batches, delivery reports and inbounds),
so a read among a million records answers in about a millisecond instead of walking them all
and holding up every request behind it (issue 11).

A `Store` numbers one account's records in arrival order and keeps each one's time (the
listings' `start_date` / `end_date` window) in an array beside it. While the clock only moves
forward, times ascend with the numbers and a window is one range of numbers, found by
bisection; the clock can be set back (control API), so the numbers are cut into runs of
ascending time, and a window is one range per run. A `Family` maps a filter's key (a sender, a
reference, a status) to the ascending numbers of the records that have it. Listings count and
page by arithmetic on these (`select`), never by walking the records.

Memory: 8 bytes per record for its slot and 8 for its time; 8 per record for each family it
is in. A family does not keep a column per key (a million distinct references would cost about
100 bytes each): keys share `BUCKETS` hashed columns, read with a check of each record's keys,
and a key that grows to an eighth of its bucket's column (of at least 64 numbers) gets a
column of its own, so a common key is never checked record by record."""
from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter
from operator import attrgetter
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Hashable, Iterable, Iterator, Sequence

from .table import ChunkedTable

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MICROSECOND = timedelta(microseconds=1)
BUCKETS = 4096
PROMOTE_FROM = 64  # a bucket's column is looked at for common keys from this length on
TRIM_FROM = 1024  # removed numbers at the front are let go from this many on


def stamp(moment: datetime) -> int:
    """A time as whole microseconds since 1970 (exact: the clocks' datetimes are microseconds)."""
    return (moment - EPOCH) // MICROSECOND


class Column:
    """A set of numbers in ascending order; the first `head` are removed ones not yet let go
    (so removing the oldest, as retention does, costs O(1) amortised instead of moving the whole
    array)."""
    __slots__ = ("values", "head")

    def __init__(self, values: Iterable[int] = ()) -> None:
        self.values, self.head = array("q", values), 0

    def __len__(self) -> int:
        return len(self.values) - self.head

    def add(self, number: int) -> None:
        values = self.values
        if len(values) == self.head or values[-1] < number:
            values.append(number)
            return
        at = bisect_left(values, number, self.head)
        if values[at] != number:
            values.insert(at, number)

    def remove(self, number: int) -> None:
        values = self.values
        at = bisect_left(values, number, self.head)
        if at == len(values) or values[at] != number:
            return
        if at > self.head:
            del values[at]
            return
        self.head += 1
        if self.head >= TRIM_FROM and self.head * 2 >= len(values):
            del values[:self.head]
            self.head = 0

    def live(self) -> Sequence[int]:
        return self.values[self.head:]

    def count(self, low: int, high: int) -> int:
        values = self.values
        return max(0, bisect_right(values, high, self.head) - bisect_left(values, low, self.head))

    def descending(self, high: int, low: int) -> Iterator[int]:
        values = self.values
        top, bottom = bisect_right(values, high, self.head), bisect_left(values, low, self.head)
        return map(values.__getitem__, range(top - 1, bottom - 1, -1))


class Matches:
    """Ascending numbers picked out of a bucket's column (a `Column`'s reading interface)."""
    __slots__ = ("values",)

    def __init__(self, values: list[int]) -> None:
        self.values = values

    def count(self, low: int, high: int) -> int:
        return max(0, bisect_right(self.values, high) - bisect_left(self.values, low))

    def descending(self, high: int, low: int) -> Iterator[int]:
        values = self.values
        top, bottom = bisect_right(values, high), bisect_left(values, low)
        return map(values.__getitem__, range(top - 1, bottom - 1, -1))


class Store:
    """One account's records numbered 1, 2, ... in arrival order, each with its time. Records
    carry ids (at the attribute path `id_path`) that ascend in arrival order, as ULIDs do, so a
    record's number is found by bisection rather than kept on each record (an int and a slot,
    40 bytes a record); a record removed from the middle leaves a `Removed` with its id."""

    def __init__(self, id_path: str = "id") -> None:
        self._id_of = attrgetter(id_path)
        self._id_path = id_path.split(".")
        self._records: list[Any] = []  # number base + i: a record, Removed, or None before _first
        self._misplaced: dict[Any, int] = {}  # id -> number of the Misplaced records
        self._last_id: Any = None
        self._stamps = array("q")
        self._base = 1
        self._first = 1  # no record numbered below it is kept
        self._runs: list[int] = []  # first number of each run of ascending times
        self._holes = Column()  # removed numbers at or above _first
        self._last = None  # the time of the newest record
        self._last_moment: datetime | None = None
        self._last_stamp = 0

    def __len__(self) -> int:
        return len(self._records) + self._base - self._first - len(self._holes)

    @property
    def next(self) -> int:
        return self._base + len(self._records)

    def add(self, record: Any, moment: datetime) -> int:
        if moment is not self._last_moment:  # (the virtual clock's moments are shared)
            self._last_moment, self._last_stamp = moment, stamp(moment)
        number, at, record_id = self.next, self._last_stamp, self._id_of(record)
        if self._last is None or at < self._last:
            self._runs.append(number)
        self._last = at
        if self._last_id is not None and record_id <= self._last_id:
            self._misplaced[record_id] = number
            record = Misplaced(self._id_path, self._last_id, record)
        else:
            self._last_id = record_id
        self._records.append(record)
        self._stamps.append(at)
        return number

    def get(self, number: int) -> Any:
        position = number - self._base
        if 0 <= position < len(self._records):
            record = self._records[position]
            kind = type(record)
            return record if kind is not Removed and kind is not Misplaced else (
                record.record if kind is Misplaced else None)
        return None

    def find(self, record_id: Any) -> int | None:
        """The number of the record with `record_id`, or None."""
        if record_id in self._misplaced:
            return self._misplaced[record_id]
        records, low = self._records, self._first - self._base
        at = bisect_left(records, record_id, low, len(records), key=self._id_of)
        if at < len(records) and type(records[at]) is not Removed and self._id_of(records[at]) == record_id:
            return at + self._base
        return None

    def replace(self, number: int, record: Any) -> None:
        """Put `record` (with the same id) in the place of number's record."""
        old = self._records[number - self._base]
        if type(old) is Misplaced:
            record = Misplaced(self._id_path, self._id_of(old), record)
        self._records[number - self._base] = record

    def remove(self, number: int) -> None:
        position = number - self._base
        record = self.get(number)
        if record is None:
            return
        self._misplaced.pop(self._id_of(record), None)
        if number != self._first:
            self._holes.add(number)
            self._records[position] = Removed(self._id_path, self._id_of(self._records[position]))
            return
        self._records[position] = None
        records, first = self._records, self._first + 1  # the oldest went: skip what follows it
        while first < self.next and type(records[first - self._base]) is Removed:  # not Misplaced
            records[first - self._base] = None
            self._holes.remove(first)
            first += 1
        self._first = first
        gone = first - self._base
        if gone >= TRIM_FROM and gone * 2 >= len(records):
            del records[:gone], self._stamps[:gone]
            self._base = first
            keep = bisect_right(self._runs, first) - 1
            self._runs = [first] + self._runs[keep + 1:] if keep >= 0 else self._runs

    def window(self, start: datetime, end: datetime) -> list[tuple[int, int]]:
        """The number ranges (inclusive, newest first) of the records timed start..end."""
        low, high = stamp(start), stamp(end)
        ranges = []
        bounds = self._runs + [self.next]
        stamps, base = self._stamps, self._base
        for begin, stop in zip(bounds, bounds[1:]):
            begin = max(begin, self._first)
            if begin >= stop:
                continue
            top = bisect_right(stamps, high, begin - base, stop - base)
            bottom = bisect_left(stamps, low, begin - base, top)
            if bottom < top:
                ranges.append((bottom + base, top - 1 + base))
        ranges.reverse()
        return ranges

    # the reading interface of a source of numbers: every kept record
    def count(self, low: int, high: int) -> int:
        low, high = max(low, self._first), min(high, self.next - 1)
        return max(0, high - low + 1 - self._holes.count(low, high))

    def descending(self, high: int, low: int) -> Iterator[int]:
        high, low = min(high, self.next - 1), max(low, self._first)
        return (n for n in range(high, low - 1, -1) if self.get(n) is not None)


class Removed:
    """What a record removed from the middle leaves: its id at the same attribute path."""

    def __init__(self, path: list[str], record_id: Any) -> None:
        if len(path) > 1:
            record_id = Removed(path[1:], record_id)
        setattr(self, path[0], record_id)


class Misplaced(Removed):
    """A record added after others with greater ids (a batch re-added under its id after
    retention took it while it was being replaced): it shows the greatest id added before it,
    so the ids stay in order for the bisection, and the store finds it by its own id apart."""

    def __init__(self, path: list[str], shown_id: Any, record: Any) -> None:
        super().__init__(path, shown_id)
        self.record = record


class Family:
    """Key -> the ascending numbers of the records with that key (one index: senders, say).
    `keys_of(number)` answers a record's keys as they are now (to check a bucket's numbers);
    a record may have several (a batch's phones); `exact` families keep a column per key
    (for keys known to be few, such as report statuses)."""

    def __init__(self, keys_of: Callable[[int], Iterable[Hashable]], exact: bool = False) -> None:
        self.keys_of = keys_of
        self.exact = exact
        self._columns: dict[Hashable, Column] = {}  # keys with a column of their own
        self._buckets: dict[int, Column] = {}

    def keys(self) -> Iterable[Hashable]:
        """The keys with a column of their own (every key of an `exact` family)."""
        return self._columns.keys()

    def add(self, number: int, keys: Iterable[Hashable]) -> None:
        columns = self._columns
        for key in keys:
            column = columns.get(key)
            if column is not None:
                column.add(number)
            elif self.exact:
                columns[key] = Column((number,))
            else:
                bucket = hash(key) % BUCKETS
                column = self._buckets.get(bucket)
                if column is None:
                    column = self._buckets[bucket] = Column()
                column.add(number)
                size = len(column)
                if size >= PROMOTE_FROM and size & (size - 1) == 0:  # at 64, 128, 256, ...
                    self._promote(bucket, column)

    def remove(self, number: int, keys: Iterable[Hashable]) -> None:
        columns = self._columns
        for key in keys:
            column = columns.get(key)
            if column is not None:
                column.remove(number)
                if not len(column):
                    del columns[key]
                continue
            bucket = hash(key) % BUCKETS
            column = self._buckets.get(bucket)
            if column is not None:
                column.remove(number)
                if not len(column):
                    del self._buckets[bucket]

    def move(self, number: int, old: Hashable, new: Hashable) -> None:
        """`number`'s key went from `old` to `new` (an `exact` family's: a report's status)."""
        columns = self._columns
        column = columns[old]
        column.remove(number)
        if not len(column):
            del columns[old]
        column = columns.get(new)
        if column is None:
            columns[new] = Column((number,))
        else:
            column.add(number)

    def _promote(self, bucket: int, column: Column) -> None:
        """Give the keys that make up an eighth or more of a bucket a column of their own."""
        numbers = column.live()
        columns = self._columns
        keys = {n: [k for k in self.keys_of(n) if k not in columns and hash(k) % BUCKETS == bucket]
                for n in numbers}
        counts = Counter(k for found in keys.values() for k in set(found))
        common = {k for k, count in counts.items() if count * 8 >= len(numbers)}
        if not common:
            return
        for key in common:
            self._columns[key] = Column(n for n in numbers if key in keys[n])
        self._buckets[bucket] = Column(n for n in numbers if any(k not in common for k in keys[n]))

    def source(self, key: Hashable, ranges: list[tuple[int, int]]) -> Column | Matches | None:
        """The numbers with `key` (within `ranges` when read from a bucket), or None."""
        column = self._columns.get(key)
        if column is not None or self.exact:
            return column
        bucket = self._buckets.get(hash(key) % BUCKETS)
        if bucket is None or not ranges:
            return None
        low, high = ranges[-1][0], ranges[0][1]
        found = [n for n in bucket.descending(high, low) if key in self.keys_of(n)]
        return Matches(found[::-1]) if found else None

    def newest(self, key: Hashable, below: int | None = None) -> int | None:
        """The highest number with `key` (below `below`), or None."""
        high = (1 << 62) if below is None else below - 1
        column = self._columns.get(key)
        if column is not None:
            return next(column.descending(high, 0), None)
        bucket = self._buckets.get(hash(key) % BUCKETS)
        if bucket is None:
            return None
        return next((n for n in bucket.descending(high, 0) if key in self.keys_of(n)), None)


def select(sources: list, ranges: list[tuple[int, int]], offset: int,
           limit: int) -> tuple[int, list[int]]:
    """(how many numbers the sources hold within `ranges`, the `limit` of them after the
    `offset` highest). Sources hold disjoint numbers; ranges are disjoint, highest first."""
    sources = [s for s in sources if s is not None]
    counts = [sum(s.count(low, high) for s in sources) for low, high in ranges]
    total, page = sum(counts), []
    for (low, high), count in zip(ranges, counts):
        if len(page) == limit:
            break
        if offset >= count:
            offset -= count
            continue
        if offset:
            high = _nth_highest(sources, low, high, offset)
            offset = 0
        for number in heapq.merge(*(s.descending(high, low) for s in sources), reverse=True):
            page.append(number)
            if len(page) == limit:
                break
    return total, page


def _nth_highest(sources: list, low: int, high: int, n: int) -> int:
    """The (n+1)-th highest of the sources' numbers within low..high (bisection on the value:
    a few dozen counts, whatever `n` is)."""
    top = high
    while low < high:
        middle = (low + high + 1) // 2
        if sum(s.count(middle, top) for s in sources) > n:
            low = middle
        else:
            high = middle - 1
    return low


class IndexedTable(ChunkedTable):
    """A provider's id -> record table (creation order, see table.py) whose records are also
    numbered in a `Store` (timed by `time_of`) and indexed in families (name -> the keys of a
    record). Ids are new ULIDs (ascending) and a record's id is at `id_path`; replacing a record
    under its id keeps its number, time and place."""
    __slots__ = ("store", "families", "_keys", "_time_of")

    def __init__(self, time_of: Callable[[Any], datetime],
                 families: dict[str, Callable[[Any], Iterable[Hashable]]],
                 exact: Iterable[str] = (), id_path: str = "id") -> None:
        super().__init__()
        self.store = Store(id_path)
        self._time_of = time_of
        self.families = {name: Family(self._reader(keys_of), name in exact)
                         for name, keys_of in families.items()}
        self._keys = [(self.families[name], keys_of) for name, keys_of in families.items()]

    def _reader(self, keys_of: Callable[[Any], Iterable[Hashable]]) -> Callable[[int], Iterable[Hashable]]:
        return lambda number: keys_of(self.store.get(number))

    def add(self, key: Hashable, record: Any) -> None:
        super().add(key, record)
        self.indexed(self.store.add(record, self._time_of(record)), record)

    def __setitem__(self, key: Hashable, record: Any) -> None:
        old = self.get(key)
        if old is None:
            self.add(key, record)
            return
        super().__setitem__(key, record)
        number = self.store.find(key)
        self.unindexed(number, old)
        self.store.replace(number, record)
        self.indexed(number, record)

    def pop(self, key: Hashable, default: Any = None) -> Any:
        record = super().pop(key, None)
        if record is None:
            return default
        number = self.store.find(key)
        self.unindexed(number, record)
        self.store.remove(number)
        return record

    def indexed(self, number: int, record: Any) -> None:
        for family, keys_of in self._keys:
            family.add(number, keys_of(record))

    def unindexed(self, number: int, record: Any) -> None:
        for family, keys_of in self._keys:
            family.remove(number, keys_of(record))

    def page(self, start: datetime, end: datetime, family: str | None, keys: Iterable[Hashable],
             offset: int, limit: int) -> tuple[int, list]:
        """(how many records timed start..end have one of `keys` in `family` (every record
        when `family` is None), the `limit` of them after the `offset` newest), newest first."""
        ranges = self.store.window(start, end)
        sources: list = [self.store] if family is None else [
            self.families[family].source(key, ranges) for key in dict.fromkeys(keys)]
        count, numbers = select(sources, ranges, offset, limit)
        return count, [self.store.get(n) for n in numbers]
