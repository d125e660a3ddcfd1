"""ULIDs for batch, message and inbound ids. python-ulid (which tests use to parse them) takes
about 10 µs per id in Crockford base32 done character by character, and a send takes two;
this takes about 1 µs. Like python-ulid's default generator, ids made within the same
millisecond increase."""
from __future__ import annotations

import os
import time

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PAIRS = [a + b for a in CROCKFORD for b in CROCKFORD]  # 10 bits -> 2 characters
RANDOM_BITS = 80

_last = (0, 0, "")  # milliseconds, randomness and encoded time of the previous id


def base32(value: int, chars: int) -> str:
    """`value` as `chars` (even) Crockford base32 characters, most significant first."""
    return "".join([PAIRS[value >> shift & 1023] for shift in range(chars * 5 - 10, -1, -10)])


def new_ulid() -> str:
    """A ULID: 48-bit Unix time in milliseconds (10 characters), then 80 random bits (16; the
    previous id's plus one within the same millisecond)."""
    global _last
    millis = time.time_ns() // 1_000_000
    last_millis, last_random, encoded_time = _last
    if millis <= last_millis and last_random + 1 < 1 << RANDOM_BITS:
        millis, randomness = last_millis, last_random + 1
    else:
        randomness, encoded_time = int.from_bytes(os.urandom(10)), base32(millis, 10)
    _last = millis, randomness, encoded_time
    return encoded_time + base32(randomness, 16)
