"""An id -> record table for the providers' per-message state (a Sinch account's batches) that
holds a million records without stalling: kept in creation order, in chunks of `CHUNK`. One
dictionary of them all rehashes every entry as it grows (about 25 ms at 700,000 ids, 45 ms at
1.4 million: every request waits); a chunk never grows past CHUNK, so no insertion does."""
from __future__ import annotations

from itertools import islice
from typing import Any, Hashable, Iterator

CHUNK = 43_690  # the most a 2**16-slot dictionary holds (full chunks); its last rehash is under 1 ms


class ChunkedTable:
    __slots__ = ("_chunks",)

    def __init__(self) -> None:
        self._chunks: list[dict[Hashable, Any]] = [{}]

    def __len__(self) -> int:
        return sum(map(len, self._chunks))

    def __contains__(self, key: Hashable) -> bool:
        return self._chunk_of(key) is not None

    def __setitem__(self, key: Hashable, record: Any) -> None:
        """Replace the record under `key` in its place, or add it after all the others."""
        chunk = self._chunk_of(key)
        if chunk is None:
            self.add(key, record)
        else:
            chunk[key] = record

    def add(self, key: Hashable, record: Any) -> None:
        """Add a record under a key not in the table (a fresh id: no search), after the others."""
        chunk = self._chunks[-1]
        if len(chunk) >= CHUNK:
            chunk = {}
            self._chunks.append(chunk)
        chunk[key] = record

    def get(self, key: Hashable, default: Any = None) -> Any:
        chunk = self._chunk_of(key)
        return default if chunk is None else chunk[key]

    def pop(self, key: Hashable, default: Any = None) -> Any:
        for index, chunk in enumerate(self._chunks):
            if key in chunk:
                record = chunk.pop(key)
                if not chunk and len(self._chunks) > 1:  # an emptied chunk's memory goes
                    del self._chunks[index]
                return record
        return default

    def values(self) -> Iterator[Any]:
        """Oldest first."""
        return (record for chunk in self._chunks for record in chunk.values())

    def newest_first(self) -> Iterator[Any]:
        return (record for chunk in reversed(self._chunks) for record in reversed(chunk.values()))

    def newest_slice(self, offset: int, count: int) -> list[Any]:
        """`list(newest_first())[offset:offset + count]`, skipping whole chunks by their size
        (a page deep into a million records walks one chunk at most, not all before it)."""
        found: list[Any] = []
        for chunk in reversed(self._chunks):
            if offset >= len(chunk):
                offset -= len(chunk)
                continue
            found.extend(islice(reversed(chunk.values()), offset, offset + count - len(found)))
            offset = 0
            if len(found) == count:
                break
        return found

    def _chunk_of(self, key: Hashable) -> dict | None:
        for chunk in reversed(self._chunks):  # the newest are asked for most
            if key in chunk:
                return chunk
        return None
