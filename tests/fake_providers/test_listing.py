"""The providers' listing indexes (fake_providers/listing.py) give what a walk over every record
gives: the same count and page, newest first, through additions, removals (retention's oldest
first and others), records replaced under their id, a removed id added anew, a clock set back,
hashed buckets shared by many keys and keys grown into columns of their own."""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from unittest.mock import patch

from hypothesis import given, settings, strategies as st

from fake_providers import listing
from fake_providers.listing import Column, IndexedTable

T0 = datetime(2026, 1, 5, 10, tzinfo=timezone.utc)
KEYS = "abcde"


@dataclass(eq=False)
class Record:
    id: int
    at: datetime
    key: str
    phones: frozenset


def table() -> IndexedTable:
    return IndexedTable(lambda r: r.at, {"key": lambda r: (r.key,), "phones": lambda r: r.phones})


operations = st.lists(st.one_of(
    st.tuples(st.just("add"), st.integers(-8, 8), st.sampled_from(KEYS),
              st.frozensets(st.sampled_from(KEYS), max_size=3), st.integers(1, 70)),
    st.tuples(st.just("remove_oldest"), st.integers(1, 40)),
    st.tuples(st.just("remove"), st.integers(0, 10 ** 6)),
    st.tuples(st.sampled_from(["replace", "add_again"]), st.integers(0, 10 ** 6),
              st.sampled_from(KEYS), st.frozensets(st.sampled_from(KEYS), max_size=3)),
), max_size=25)
queries = st.lists(st.tuples(st.integers(-30, 30), st.integers(0, 12),
                             st.none() | st.sets(st.sampled_from(KEYS + "z"), max_size=3),
                             st.integers(0, 400), st.integers(1, 40)), min_size=1, max_size=10)


@settings(max_examples=150, deadline=None)
@given(operations, queries, st.sampled_from([1, 3, 4096]))
def test_pages_counts_and_newest_are_those_of_a_walk_over_every_record(steps, asked, buckets):
    with patch.object(listing, "BUCKETS", buckets), patch.object(listing, "TRIM_FROM", 4), \
            patch.object(listing, "PROMOTE_FROM", 8):
        indexed, kept, now, made = table(), {}, T0, 0  # kept: id -> record, in place order
        for step in steps:
            if step[0] == "add":
                _, minutes, key, phones, repeat = step
                now += timedelta(minutes=minutes)  # negative: the clock was set back
                for _ in range(repeat):
                    made += 1
                    kept[made] = Record(made, now, key, phones)
                    indexed.add(made, kept[made])
            elif step[0] == "remove_oldest":
                for gone in list(kept)[:step[1]]:
                    assert indexed.pop(gone) is kept.pop(gone)
            elif kept:
                chosen = list(kept)[step[1] % len(kept)]
                if step[0] == "remove":
                    assert indexed.pop(chosen) is kept.pop(chosen)
                elif step[0] == "add_again":  # an id older than others added anew, at the end
                    assert indexed.pop(chosen) is kept.pop(chosen)
                    kept[chosen] = Record(chosen, now, step[2], step[3])
                    indexed[chosen] = kept[chosen]
                else:
                    kept[chosen] = Record(chosen, kept[chosen].at, step[2], step[3])
                    indexed[chosen] = kept[chosen]
        assert len(indexed.store) == len(kept)
        newest_first = list(reversed(kept.values()))
        for start, length, keys, offset, limit in asked:
            start_at = T0 + timedelta(minutes=start)
            end_at = start_at + timedelta(minutes=length)
            found = [r for r in newest_first if start_at <= r.at <= end_at
                     and (keys is None or r.key in keys)]
            family = None if keys is None else "key"
            assert indexed.page(start_at, end_at, family, sorted(keys or ()), offset, limit) == (
                len(found), found[offset:offset + limit])
        for key in KEYS + "z":
            expected = next((r for r in newest_first if key in r.phones), None)
            newest = indexed.families["phones"].newest(key)
            assert (newest and indexed.store.get(newest)) is expected
        assert all(indexed.store.get(indexed.store.find(i)) is r for i, r in kept.items())


def test_a_key_that_grows_common_gets_a_column_and_is_not_checked_record_by_record():
    indexed = table()
    for n in range(3000):
        indexed.add(n, Record(n, T0, "common" if n % 3 else f"rare{n}", frozenset()))
    family = indexed.families["key"]
    assert "common" in family.keys()  # its own column: counted by bisection
    checked = []
    original = family.keys_of
    family.keys_of = lambda number: checked.append(number) or original(number)
    assert indexed.page(T0, T0, "key", ["common"], 1500, 10)[0] == 2000
    assert checked == []
    count, page = indexed.page(T0, T0, "key", ["rare2997"], 0, 10)
    assert (count, [r.id for r in page]) == (1, [2997])
    assert len(checked) < 20  # only the few records hashed into its bucket


def test_retention_lets_the_oldest_numbers_go_without_moving_the_rest_each_time():
    column = Column(range(1, 5001))
    for number in range(1, 3001):
        column.remove(number)
    assert len(column) == 2000 and column.count(0, 10 ** 6) == 2000
    assert len(column.values) < 5000  # the removed front was let go
    assert list(column.descending(3003, 0)) == [3003, 3002, 3001]
