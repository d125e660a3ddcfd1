"""The web inbox's reads at scale: each examines a bounded number of records (counted, not
timed: benchmarks/bench_inbox.py --in-process times them at a million), and answers as a
straightforward walk over the whole journal does (those walks are written out here)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings, strategies as st

from fake_providers.inbox import queries
from fake_providers.journal import Journal, Message
from fake_providers.phones import number_key

T0 = datetime(2026, 1, 5, tzinfo=timezone.utc)
SPELLINGS = {"+34600000001": ("+34600000001", "0034600000001", "34600000001"),
             "+34600000002": ("+34600000002",), "+4915112340000": ("+4915112340000",),
             "+34600000003": ("+34600000003", "34 600 000 003")}


# -- the straightforward walks (the inbox's reads before they were bounded) ------------------
def walked_conversations(journal: Journal, q: str) -> list[tuple[str, str]]:
    """(handset key, id of its newest matching message), newest activity first: every page."""
    matches, found = queries.Search(q), {}
    for _, message in journal.messages_newest_first():
        if matches(message):
            found.setdefault(number_key(queries.handset_of(message)), message.id)
    return list(found.items())


def walked_thread(journal: Journal, handset: str) -> list[str]:
    key = number_key(handset)
    return [m.id for _, m in journal.messages_newest_first()
            if number_key(queries.handset_of(m)) == key][::-1]


def walked_history(journal: Journal, message: Message) -> tuple[list[int], dict[str, list[int]]]:
    created = message.created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    reports, attempts = [], {}
    for _, entry in journal.entries_newest_first():
        if entry["at"] < created:
            break
        if entry["provider"] != message.provider or entry["account"] != message.account:
            continue
        if entry["kind"] in ("dlr", "mo") and queries.mentions(entry.get("payload"), message):
            reports.append(entry)
        elif entry["kind"] == "callback_attempt":
            attempts.setdefault(entry["callback_id"], []).append(entry["id"])
    wanted = {entry["callback_id"] for entry in reports}
    return [r["id"] for r in reports[::-1]], {cid: a[::-1] for cid, a in attempts.items()
                                             if cid in wanted}


# -- journals --------------------------------------------------------------------------------
def message(n: int, handset: str, direction: str = "mt", provider: str = "sinch",
            body: str = "hi", at: datetime = T0) -> Message:
    ends = ("Shop", handset) if direction == "mt" else (handset, "+4915112348765")
    return Message(f"m{n}", provider, "SP1", direction, *ends, body, "GSM", 1, "Queued", at, at)


def counted(journal: Journal) -> list[int]:
    """Counts the messages a read fetches from the journal (calls[0])."""
    calls, get = [0], journal._messages.get

    def counting(number: int):
        calls[0] += 1
        return get(number)
    journal._messages.get = counting
    return calls


def many(count: int, handsets: int) -> Journal:
    journal = Journal()
    for n in range(count):
        journal.add_message(message(n, f"+3460{n % handsets:07d}"))
    return journal


traffic = st.lists(st.tuples(st.sampled_from(sorted(SPELLINGS)), st.sampled_from(("mt", "mo")),
                             st.sampled_from(("sinch", "cm")), st.sampled_from(("hi", "STOP", "yes")),
                             st.integers(0, 2)), max_size=40)


def journal_of(sent: list[tuple], max_records: int | None = None) -> Journal:
    journal = Journal(max_records)
    for n, (handset, direction, provider, body, spelling) in enumerate(sent):
        spellings = SPELLINGS[handset]
        journal.add_message(message(n, spellings[spelling % len(spellings)], direction, provider, body))
    return journal


# -- same answers as the walks ----------------------------------------------------------------
@settings(max_examples=150, deadline=None)
@given(traffic, st.sampled_from(("", "stop", "600000001", "cm", "nothing")), st.integers(1, 4),
       st.integers(1, 12), st.sampled_from((None, 10, 25)))
def test_conversation_pages_together_list_what_a_walk_lists(sent, q, limit, budget, kept):
    journal = journal_of(sent, kept)
    listed, before, pages = [], None, 0
    while True:
        page = queries.conversations(journal, q, before, limit, budget)
        assert len(page.rows) <= limit
        assert page.looked_at is None or page.older is not None  # a cut page goes on
        listed += [(row.key, row.last.id) for row in page.rows]
        before, pages = page.older, pages + 1
        if before is None:
            break
        assert pages <= len(sent) + 1
    assert listed == walked_conversations(journal, q)


@settings(max_examples=100, deadline=None)
@given(traffic, st.sampled_from(sorted(SPELLINGS)), st.integers(1, 5), st.sampled_from((None, 10)))
def test_a_thread_is_what_a_walk_finds(sent, handset, limit, kept):
    journal = journal_of(sent, kept)
    messages, clipped = queries.thread(journal, handset, limit)
    walked = walked_thread(journal, handset)
    assert [m.id for m in messages] == walked[-limit:] and clipped == (len(walked) > limit)
    assert queries.thread(journal, SPELLINGS[handset][-1], limit)[0] == messages  # any spelling


def test_a_handsets_index_follows_eviction_and_reset():
    journal = Journal(max_records=10_000)
    for n in range(30_000):
        journal.add_message(message(n, f"+3460{n % 3:07d}", "mo" if n % 2 else "mt"))
    assert [m.id for m in queries.thread(journal, "+34600000001", 5)[0]] == \
        [f"m{n}" for n in range(29_986, 30_000, 3)]
    journal.reset("sinch", "SP1")
    assert queries.thread(journal, "+34600000001") == ([], False)
    journal.add_message(message(7, "+34600000001", "mo"))
    assert [m.id for m in queries.thread(journal, "+34600000001")[0]] == ["m7"]


# -- bounded work -------------------------------------------------------------------------------
def test_conversations_over_few_handsets_look_at_a_budget_and_go_on():
    journal = many(30_000, 10)
    calls = counted(journal)
    first = queries.conversations(journal, budget=1000)
    assert len(first.rows) == 10 and calls[0] <= 1001  # a walk: 30,000
    assert first.looked_at == 1000 and first.older == 29_000 + 1
    calls[0] = 0
    second = queries.conversations(journal, before=first.older, budget=1000)
    assert second.rows == [] and calls[0] <= 1001 + 10 * 2  # each handset's newest, from its index
    calls[0] = 0
    nothing = queries.conversations(journal, "no such text", budget=1000)
    assert nothing.rows == [] and nothing.looked_at == 1000 and calls[0] <= 1001


def test_the_checks_of_an_older_page_share_a_budget():
    journal = Journal()
    for n in range(3000):  # the newer messages of both handsets fail the search "old"
        journal.add_message(message(n, f"+3460{n % 3 and 1:07d}", body="old" if n < 2 else "new"))
    calls = counted(journal)
    page = queries.conversations(journal, "old", before=3, check_budget=100)
    assert calls[0] <= 100 + 10
    assert page.rows == [] and page.older == 2  # m1's handset undecided at the page's first
    page = queries.conversations(journal, "old", before=3, limit=1, check_budget=10_000)
    assert [row.last.id for row in page.rows] == ["m1"] and page.older == 2


def test_a_thread_reads_only_its_handsets_index():
    journal = many(40_000, 20_000)
    calls = counted(journal)
    messages, clipped = queries.thread(journal, "+34600000007")
    assert [m.id for m in messages] == ["m7", "m20007"] and not clipped
    assert calls[0] <= 10  # its bucket (a walk: 40,000)


def test_a_busy_handsets_thread_is_budgeted():
    journal = many(5000, 1)
    calls = counted(journal)
    messages, clipped = queries.thread(journal, "+34600000000", limit=10_000, budget=100)
    assert len(messages) == 100 and clipped and calls[0] <= 101


def test_a_message_is_found_at_its_journal_number_else_among_the_newest():
    journal = many(20_000, 100)
    calls = counted(journal)
    assert queries.message(journal, "m3", 4).id == "m3" and calls[0] == 1
    assert queries.message(journal, "m3", 5) is None  # a wrong number: the newest 10,000 only
    assert queries.message(journal, "m19990", 5).id == "m19990"  # found among the newest
    calls[0] = 0
    assert queries.message(journal, "m3", budget=500) is None and calls[0] <= 501


def dlr(journal: Journal, n: int, at: datetime, callback: int) -> None:
    journal.record("sinch", "SP1", "dlr", at, callback_id=f"cb_{callback}", url="http://p",
                   payload={"batch_id": f"m{n}", "status": "Delivered"})
    journal.record("sinch", "SP1", "callback_attempt", at, callback_id=f"cb_{callback}",
                   status=200, error=None, attempt=1, payload={"batch_id": f"m{n}"})


def test_history_reads_forward_from_the_creation_within_a_budget():
    journal = Journal()
    for n in range(10_000, 13_000):  # ids of one length: none is part of another
        at = T0 + timedelta(seconds=n)
        journal.record("sinch", "SP1", "mt_request", at, method="POST", path="/", status=201)
        journal.add_message(message(n, f"+3460{n:07d}", at=at))
        dlr(journal, n, at + timedelta(milliseconds=500), n)
    old = queries.message(journal, "m10010", 11)
    loads, load = [0], journal._entries._load

    def counting(position: int):
        loads[0] += 1
        return load(position)
    journal._entries._load = counting
    found = queries.history(journal, old, budget=100)
    assert [r["id"] for r in found.reports] == walked_history(journal, old)[0] == [32]
    assert list(found.attempts) == ["cb_10010"] and found.later is not None and found.looked_at == 100
    loads[0] = 0
    queries.history(journal, old, budget=100)
    assert loads[0] <= 101 + 2 * 14  # the budget and a binary search (a walk back: 9,000)
    further = queries.history(journal, old, found.later, budget=100)
    assert further.reports == [] and further.later == found.later + 100


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), st.booleans()), max_size=30))
def test_history_is_what_a_walk_back_finds(events):
    journal, at = Journal(), T0
    for step, (n, callback, new) in enumerate(events):
        at += timedelta(seconds=1)
        if new or not journal.messages:
            journal.add_message(message(step, f"+3460{n:07d}", at=at))
        else:
            dlr(journal, n, at, callback)
    for m in journal.messages:
        found = queries.history(journal, m)
        reports, attempts = walked_history(journal, m)
        assert [r["id"] for r in found.reports] == reports and found.later is None
        assert {cid: [a["id"] for a in found.attempts[cid]] for cid in found.attempts} == attempts


def test_the_journal_page_reads_its_filters_index():
    journal = Journal()
    for n in range(20_000):
        journal.record("sinch", "SP1", "mo" if n % 5000 == 0 else "mt_request", T0, n=n)
    loads, load = [0], journal._entries._load

    def counting(position: int):
        loads[0] += 1
        return load(position)
    journal._entries._load = counting
    rows, older = queries.entries(journal, None, None, "mo", limit=3)
    assert [r["n"] for r in rows] == [15_000, 10_000, 5000] and older == 2
    assert loads[0] <= 4  # a walk: 20,000
    rows, older = queries.entries(journal, "sinch", None, "mo", before=older, limit=3)
    assert [r["n"] for r in rows] == [0] and older is None


def test_attempts_of_the_shown_callbacks_are_budgeted():
    journal = Journal()
    for n in range(5000):
        dlr(journal, n, T0, n)
    found = queries.attempts_of(journal, {"cb_4999", "cb_4000", "cb_1"}, "", budget=1000)
    assert sorted(found) == ["cb_4000", "cb_4999"]  # cb_1's is older than the newest 1,000
    assert json.dumps(found["cb_4999"][0]["payload"]) == '{"batch_id": "m4999"}'


@pytest.mark.anyio
async def test_the_outbox_keeps_its_counts_and_finds_a_callback_by_id(network, app, receiver):
    outbox, policy = network.outbox, network.providers["sinch"].retry_policy
    receiver.statuses[:] = [200, 400, 503]  # delivered, failed for good, retried
    made = [outbox.create("sinch" if n % 2 else "cm", "A", "dlr", url, {"n": n}, policy)
            for n, url in enumerate(["http://platform.test/dlr"] * 3 + [None, "ftp://no"])]
    for callback in made[:3]:
        await outbox.send(callback)

    def walked() -> dict[str, int]:
        return {s: len(outbox.list(s)) for s in ("pending", "failed", "delivered")}
    assert {s: outbox.count(s) for s in walked()} == walked() == {"pending": 2, "failed": 2, "delivered": 1}
    await network.clock.advance(60)  # the retry is delivered
    assert {s: outbox.count(s) for s in walked()} == walked() == {"pending": 1, "failed": 2, "delivered": 2}
    outbox.reset("cm")
    assert {s: outbox.count(s) for s in walked()} == walked()
    assert [outbox.get(c.id) for c in made] == [None, made[1], None, made[3], None]
    assert outbox.get("cb_99") is outbox.get("nope") is outbox.get("cb_" + "9" * 40) is None
    assert outbox.newest(None, 10, budget=2) == ([made[3], made[1]], False)
    assert outbox.newest("failed", 10, budget=1) == ([], True)
    await outbox.aclose()
