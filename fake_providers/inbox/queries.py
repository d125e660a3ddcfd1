"""The inbox's reads of the journal: newest first, a page at a time, each from an index
where it has a natural key (a handset's messages, a message's journal number, a journal
filter) and otherwise examining at most `SCAN_BUDGET` records, so a read at a million
messages costs milliseconds and never holds up the sends being served. A page cut short by
the budget says how many records it looked at and offers the next ones. Cursors are the
journal's record numbers (`before`, `after`), stable while the journal grows."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..clock import iso_millis
from ..journal import SCAN_BUDGET, Journal, Message
from ..ledger import RawBody
from ..phones import number_key

PAGE = 50
THREAD_LIMIT = 200
HISTORY_BUDGET = 5_000  # journal entries a message's history examines (each about 2 µs)


def handset_of(message: Message) -> str:
    """The phone at the far end: the recipient of an MT, the sender of an MO."""
    return message.recipient if message.direction == "mt" else message.sender


class Search:
    """One search box over number, text, provider, account and status (case-insensitive);
    a query of digits also matches numbers written with or without `+`."""
    __slots__ = ("text", "digits")

    def __init__(self, q: str) -> None:
        self.text = q.casefold()
        digits = q.strip().lstrip("+").replace(" ", "")
        self.digits = digits if digits.isdigit() else None

    def __call__(self, m: Message) -> bool:
        if not self.text:
            return True
        if self.digits and (self.digits in m.recipient or self.digits in m.sender):
            return True
        return self.text in "\0".join((m.body, m.provider, m.account, m.status, m.sender,
                                        m.recipient)).casefold()


@dataclass
class Conversation:
    key: str  # phones.number_key of the handset
    handset: str
    last: Message
    providers: set[str] = field(default_factory=set)


@dataclass
class Page:
    rows: list
    older: int | None  # the cursor of the next page, None when nothing is left
    looked_at: int | None = None  # set when the scan budget cut the page short: records examined


def conversations(journal: Journal, q: str = "", before: int | None = None,
                  limit: int = PAGE, budget: int = SCAN_BUDGET,
                  check_budget: int = SCAN_BUDGET) -> Page:
    """One row per handset, newest activity first, over the messages numbered below
    `before`, at most `budget` of them examined. A handset with a matching message at or
    above `before` was listed on a newer page: its index says so (at most `check_budget`
    messages for the whole page; see `_listed_above`)."""
    matches, found, skipped, examined = Search(q), {}, set(), 0
    keys: dict[str, str] = {}  # handset as written -> number_key
    for number, message in journal.messages_newest_first(before):
        if examined >= budget:
            return Page(list(found.values()), number + 1, examined)
        examined += 1
        if not matches(message):
            continue
        handset = handset_of(message)
        key = keys.get(handset)
        if key is None:
            key = keys[handset] = number_key(handset)
        if key in found:
            found[key].providers.add(message.provider)
            continue
        if key in skipped:
            continue
        if before is not None:
            listed, cost = _listed_above(journal, handset, key, before, matches, check_budget)
            check_budget -= cost
            if listed is None and examined > 1:  # the checks' budget is spent: go on from here
                return Page(list(found.values()), number + 1, examined)
            if listed is not False:
                skipped.add(key)
                continue
        if len(found) == limit:
            return Page(list(found.values()), number + 1)
        found[key] = Conversation(key, handset, message, {message.provider})
    return Page(list(found.values()), None)


def _listed_above(journal: Journal, handset: str, key: str, before: int, matches: Search,
                  budget: int) -> tuple[bool | None, int]:
    """Whether `handset` has a message matching at or above `before` (None: not known after
    `budget` of its index's messages), and how many messages that took. Undecided at a page's
    first message the handset is taken as listed, so the pages go on: that takes a search
    that a busy handset's newest `check_budget` messages all fail."""
    examined = 0
    for message in journal.handset_candidates(handset):
        if message.seq < before:
            return False, examined
        if examined >= budget:
            return None, examined
        examined += 1
        far = handset_of(message)
        if (far == handset or number_key(far) == key) and matches(message):
            return True, examined
    return False, examined


def thread(journal: Journal, handset: str, limit: int = THREAD_LIMIT,
           budget: int = SCAN_BUDGET) -> tuple[list[Message], bool]:
    """The newest `limit` messages to or from `handset`, oldest first (as a chat reads);
    and whether older ones were left out (or may be: its index examined at most `budget`)."""
    key, found = number_key(handset), []
    for examined, message in enumerate(journal.handset_candidates(handset)):
        if examined == budget:
            return found[::-1], True
        far = handset_of(message)
        if far == handset or number_key(far) == key:
            if len(found) == limit:
                return found[::-1], True
            found.append(message)
    return found[::-1], False


def message(journal: Journal, message_id: str, seq: int | None = None,
            budget: int = SCAN_BUDGET) -> Message | None:
    """The message `message_id`: at its journal number `seq` (the inbox's links carry it),
    else among the newest `budget` messages (a typed URL)."""
    if seq is not None:
        found = journal.message_at(seq)
        if found is not None and found.id == message_id:
            return found
    for examined, (_, found) in enumerate(journal.messages_newest_first()):
        if examined == budget:
            return None
        if found.id == message_id:
            return found
    return None


def decoded(entry: dict) -> dict:
    return {k: v.decoded() if isinstance(v, RawBody) else v for k, v in entry.items()}


def mentions(payload: Any, message: Message) -> bool:
    """Whether a callback payload is about `message`: provider formats differ, ids do not
    (a batch id names every recipient of the batch, so then the recipient must appear too)."""
    text = json.dumps(payload, ensure_ascii=False)
    if any(i and i in text for i in (message.id, message.provider_message_id)):
        return True
    return bool(message.batch_id) and message.batch_id in text \
        and number_key(message.recipient) in text


@dataclass
class History:
    reports: list[dict]  # the dlr / mo entries about the message
    attempts: dict[str, list[dict]]  # callback id -> its attempts, oldest first
    later: int | None = None  # set when the budget cut it short: the entry number to go on after
    looked_at: int = 0  # entries examined


def history(journal: Journal, message: Message, after: int | None = None,
            budget: int = HISTORY_BUDGET) -> History:
    """The journal entries about `message`, its provider and account's from its creation on
    (or from entry `after`), at most `budget` of them examined; only reports and attempts
    are decoded."""
    start = journal.entry_number_before(iso_millis(message.created_at)) if after is None else after
    reports, attempts, examined = [], {}, 0
    later = None
    for record in journal.entry_records_after(start, message.provider, message.account):
        if examined == budget:
            later = record[0] - 1
            break
        examined += 1
        kind = record[3]
        if kind in ("dlr", "mo"):
            payload = record[5].get("payload")
            if type(payload) is tuple or isinstance(payload, RawBody):  # kept as bytes
                payload = journal.entry_dict(record).get("payload")
            if mentions(payload, message):
                reports.append(journal.entry_dict(record))
        elif kind == "callback_attempt":
            attempts.setdefault(record[5]["callback_id"], []).append(record)
    wanted = {r["callback_id"] for r in reports}
    return History(reports, {cid: [journal.entry_dict(r) for r in a]
                             for cid, a in attempts.items() if cid in wanted}, later, examined)


def attempts_of(journal: Journal, ids: set[str], oldest: str,
                budget: int = SCAN_BUDGET) -> dict[str, list[dict]]:
    """The attempts of the callbacks `ids`, from the newest attempt back to the `oldest`
    timestamp, at most `budget` attempts examined."""
    found: dict[str, list[dict]] = {}
    for examined, record in enumerate(journal.entry_records_newest_first(kind="callback_attempt")):
        if examined == budget or record[4] < oldest:
            break
        if record[5]["callback_id"] in ids:
            found.setdefault(record[5]["callback_id"], []).append(journal.entry_dict(record))
    return {cid: a[::-1] for cid, a in found.items()}


def entries(journal: Journal, provider: str | None, account: str | None, kind: str | None,
            before: int | None = None, limit: int = 100) -> tuple[list[dict], int | None]:
    """A page of the journal, newest first, from the index of the filter (every entry it
    examines is shown)."""
    found = []
    for index, entry in journal.entries_newest_first(before, provider, account, kind):
        if len(found) == limit:
            return found, index + 1
        found.append(decoded(entry))
    return found, None
