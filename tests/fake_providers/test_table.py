"""fake_providers/table.py: an ordered id -> record table whose dictionaries never grow past a
chunk (no insertion rehashes a million ids), same answers as one ordered dictionary; a page from
the newest skips whole chunks."""
from hypothesis import given, settings, strategies as st

from fake_providers import table
from fake_providers.table import ChunkedTable


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["set", "add", "pop"]), st.integers(0, 30)), max_size=120))
def test_behaves_as_an_ordered_dictionary_in_chunks(operations):
    chunk, table.CHUNK = table.CHUNK, 4  # (restored below: hypothesis runs this many times)
    try:
        chunked, model = ChunkedTable(), {}
        for step, (operation, key) in enumerate(operations):
            if operation == "set":
                chunked[key] = model[key] = step
            elif operation == "add" and key not in model:
                chunked.add(key, step)
                model[key] = step
            else:
                assert chunked.pop(key, "none") == model.pop(key, "none")
            assert all(len(c) <= 4 for c in chunked._chunks)
        assert list(chunked.values()) == list(model.values())
        assert list(chunked.newest_first()) == list(reversed(model.values()))
        for offset in range(0, len(model) + 2):
            for count in (1, 3, 7):
                assert chunked.newest_slice(offset, count) == \
                    list(reversed(model.values()))[offset:offset + count]
        assert len(chunked) == len(model) and all(chunked.get(k) == v for k, v in model.items())
        assert all((k in chunked) == (k in model) for k in range(31))
        assert sum(not c for c in chunked._chunks) <= 1  # emptied chunks are dropped
    finally:
        table.CHUNK = chunk
