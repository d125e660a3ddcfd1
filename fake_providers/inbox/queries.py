"""The inbox's reads of the journal: newest first, a page at a time, so a journal of 100,000
messages costs a page of work, not the whole list. Cursors are positions in the journal's
lists (`before`), stable while the journal grows and good enough for a page a person reads."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..callbacks import Callback
from ..clock import iso_millis
from ..journal import Journal, Message, RawBody
from ..phones import number_key

PAGE = 50
THREAD_LIMIT = 200


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


def _newest(items: list, before: int | None) -> Iterator[tuple[int, Any]]:
    """(index, item) from the newest down, starting below `before`."""
    start = len(items) if before is None else max(0, min(before, len(items)))
    for index in range(start - 1, -1, -1):
        yield index, items[index]


@dataclass
class Conversation:
    key: str  # phones.number_key of the handset
    handset: str
    last: Message
    providers: set[str] = field(default_factory=set)


def conversations(journal: Journal, q: str = "", before: int | None = None,
                  limit: int = PAGE) -> tuple[list[Conversation], int | None]:
    """One row per handset, newest activity first; and the cursor of the next page."""
    matches, seen = Search(q), set()
    if before is not None:  # handsets listed on newer pages stay there
        seen = {number_key(handset_of(m)) for _, m in zip(range(len(journal.messages) - before),
                                                            reversed(journal.messages))
                if matches(m)}
    found: dict[str, Conversation] = {}
    for index, message in _newest(journal.messages, before):
        if not matches(message):
            continue
        key = number_key(handset_of(message))
        if key in seen:
            continue
        if key not in found:
            if len(found) == limit:
                return list(found.values()), index + 1
            found[key] = Conversation(key, handset_of(message), message)
        found[key].providers.add(message.provider)
    return list(found.values()), None


def thread(journal: Journal, handset: str, limit: int = THREAD_LIMIT) -> tuple[list[Message], bool]:
    """The newest `limit` messages to or from `handset`, oldest first (as a chat reads);
    and whether older ones were left out."""
    key, found = number_key(handset), []
    for _, message in _newest(journal.messages, None):
        far = handset_of(message)
        if key in far.casefold() and number_key(far) == key:  # the cheap test first
            if len(found) == limit:
                return found[::-1], True
            found.append(message)
    return found[::-1], False


def message(journal: Journal, message_id: str) -> Message | None:
    return next((m for _, m in _newest(journal.messages, None) if m.id == message_id), None)


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


def history(journal: Journal, message: Message) -> History:
    """The journal entries about `message`: scanned from the newest back to its creation."""
    created = iso_millis(message.created_at)
    reports, attempts = [], {}
    for _, entry in _newest(journal.entries, None):
        if entry["at"] < created:
            break
        if entry["provider"] != message.provider or entry["account"] != message.account:
            continue
        if entry["kind"] in ("dlr", "mo") and mentions(entry.get("payload"), message):
            reports.append(entry)
        elif entry["kind"] == "callback_attempt":
            attempts.setdefault(entry["callback_id"], []).append(entry)
    reports.reverse()
    wanted = {r["callback_id"] for r in reports}
    return History(reports, {cid: a[::-1] for cid, a in attempts.items() if cid in wanted})


def callbacks(outbox_list: list[Callback], state: str | None, limit: int = PAGE) -> list[Callback]:
    return [c for c in reversed(outbox_list) if state in (None, c.state)][:limit]


def attempts_of(journal: Journal, ids: set[str], oldest: str) -> dict[str, list[dict]]:
    """The attempts of the callbacks `ids`, scanning back to the `oldest` timestamp."""
    found: dict[str, list[dict]] = {}
    for _, entry in _newest(journal.entries, None):
        if entry["at"] < oldest:
            break
        if entry["kind"] == "callback_attempt" and entry["callback_id"] in ids:
            found.setdefault(entry["callback_id"], []).append(entry)
    return {cid: a[::-1] for cid, a in found.items()}


def entries(journal: Journal, provider: str | None, account: str | None, kind: str | None,
            before: int | None = None, limit: int = 100) -> tuple[list[dict], int | None]:
    found = []
    for index, entry in _newest(journal.entries, before):
        if (provider in (None, entry["provider"]) and account in (None, entry["account"])
                and kind in (None, entry["kind"])):
            if len(found) == limit:
                return found, index + 1
            found.append(decoded(entry))
    return found, None
