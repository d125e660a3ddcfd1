"""Ids made by fake_providers.ids are ULIDs as python-ulid reads and writes them."""
import time

from hypothesis import given, settings, strategies as st
from ulid import ULID

from fake_providers.ids import base32, new_ulid


@settings(max_examples=200)
@given(st.binary(min_size=16, max_size=16))
def test_base32_is_python_ulids_encoding(raw):
    assert base32(int.from_bytes(raw), 26) == str(ULID.from_bytes(raw))


def test_ids_are_ulids_of_now_and_increase():
    before = time.time()
    ids = [new_ulid() for _ in range(2000)]
    after = time.time()
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    for made in (ids[0], ids[-1]):
        assert str(ULID.from_str(made)) == made
        assert before - 0.001 <= ULID.from_str(made).timestamp <= after + 0.001
