"""The journal at scale: numbered records paged by cursor from indexes, a bounded scan per
page, compressed entries that read back as written, holes left by resets, and retention."""
import marshal
import zlib
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings, strategies as st

from harness.cli import _parser

from fake_providers.journal import Journal, Message, MessageFilter, recipient_bucket
from fake_providers.ledger import BLOCK, JournalEntries, Ledger, RawBody

T0 = datetime(2026, 1, 5, 10, tzinfo=timezone.utc)


def message(n: int, account: str = "SP1", to: str | None = None, body: str = "hi") -> Message:
    return Message(id=f"m{n}", provider="sinch", account=account, direction="mt", sender="Shop",
                   recipient=to or f"4470000{n:04d}", body=body, encoding="GSM", segment_count=1,
                   status="Queued", created_at=T0, status_at=T0)


def walk(page, limit: int) -> list:
    """Every item through `page(after, limit) -> (items, cursor)`, page by page."""
    items, cursor, pages = [], 0, 0
    while cursor is not None:
        found, cursor = page(cursor, limit)
        items += found
        pages += 1
        assert pages < 10_000
    return items


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["SP1", "SP2", "SP3"]), max_size=60), st.integers(1, 7),
       st.sets(st.integers(0, 59)))
def test_paging_an_index_yields_exactly_the_matches_in_order(accounts, limit, removed):
    journal = Journal()
    added = [journal.add_message(message(n, account)) for n, account in enumerate(accounts)]
    journal.remove_messages([m for n, m in enumerate(added) if n in removed])
    for account in ("SP1", "SP2", None):
        criteria = MessageFilter(provider="sinch", account=account)
        expected = [m for n, m in enumerate(added) if n not in removed
                    and account in (None, m.account)]
        assert walk(lambda after, lim: journal.messages_page(criteria, after, lim), limit) == expected
        assert journal.find(criteria) == expected


def test_a_page_examines_a_bounded_number_of_records_and_the_cursor_goes_on():
    journal = Journal()
    for n in range(100):
        journal.add_message(message(n, body="needle" if n == 77 else "hay"))
    criteria = MessageFilter(body="needle")  # no index answers a substring
    found, cursor = journal.messages_page(criteria, 0, 10, budget=30)
    assert found == [] and cursor == 30  # short (empty) page, not the end
    found, cursor = journal.messages_page(criteria, 60, 10, budget=30)
    assert [m.id for m in found] == ["m77"] and cursor == 90
    assert journal.messages_page(criteria, cursor, 10, budget=30) == ([], None)


def test_to_filter_walks_the_recipients_index_across_number_forms():
    journal = Journal()
    for n in range(50):
        journal.add_message(message(n, to="+34600000001" if n % 10 == 0 else None))
    for form in ("0034600000001", "+34600000001", "34600000001"):
        found, cursor = journal.messages_page(MessageFilter(to=form), 0, 100, budget=20)
        assert [m.id for m in found] == ["m0", "m10", "m20", "m30", "m40"] and cursor is None


def test_entries_read_back_as_written_across_compressed_blocks():
    journal = Journal()
    count = BLOCK * 2 + 5
    for n in range(count):
        journal.record("sinch" if n % 2 else "cm", f"A{n % 3}", "mt_request", T0, endpoint="send",
                       request_body=RawBody(b'{"n": %d}' % n, "application/json"),
                       response_body=RawBody(b"plain", "text/plain"), status=201,
                       payload={"nested": [n, None, True, "\u20ac"]})
    entries = walk(lambda after, lim: journal.entries_page(after, lim), 100)
    assert [e["id"] for e in entries] == list(range(1, count + 1))
    assert entries[300] == {"id": 301, "provider": "cm", "account": "A0", "kind": "mt_request",
                            "at": "2026-01-05T10:00:00.000Z", "endpoint": "send",
                            "request_body": {"n": 300}, "response_body": "plain", "status": 201,
                            "payload": {"nested": [300, None, True, "\u20ac"]}}
    scoped = walk(lambda after, lim: journal.entries_page(after, lim, "sinch", "A1", "mt_request"), 7)
    assert [e["id"] for e in scoped] == [n + 1 for n in range(count) if n % 2 and n % 3 == 1]
    assert journal.entries_page(0, 10, kind="dlr") == ([], None)


def test_an_entry_marshal_refuses_is_kept_as_text():
    journal = Journal()
    deep: list = []
    for _ in range(3000):
        deep = [deep]
    journal.record("sinch", "A", "dlr", T0, payload=deep)
    for n in range(BLOCK):
        journal.record("sinch", "A", "dlr", T0, payload=n)
    first, second = journal.query()[:2]
    assert first["payload"].startswith("not storable") and second["payload"] == 0


def test_scoped_reset_leaves_other_accounts_and_numbering_goes_on():
    journal = Journal()
    for n in range(BLOCK + 10):
        journal.record("sinch", "SP1" if n % 2 else "SP2", "mo", T0, n=n)
        journal.add_message(message(n, "SP1" if n % 2 else "SP2"))
    journal.reset("sinch", "SP1")
    assert {e["account"] for e in journal.query()} == {"SP2"}
    assert {m.account for m in journal.messages} == {"SP2"}
    journal.reset()
    assert journal.query() == [] and journal.messages == []
    journal.record("sinch", "SP1", "mo", T0)
    assert [e["id"] for e in journal.query()] == [BLOCK + 11]  # numbering goes on


def test_retention_evicts_the_oldest_and_tells_who_listens():
    journal = Journal(max_records=100)
    evicted: list[Message] = []
    journal.on_evict.append(evicted.extend)
    for n in range(10_000):
        journal.add_message(message(n, to="+34600000001" if n % 1000 == 0 else None))
        journal.record("sinch", "SP1", "mt_request", T0, n=n)
    assert [m.id for m in journal.messages] == [f"m{n}" for n in range(9_900, 10_000)]
    assert [e["n"] for e in journal.query()] == list(range(9_900, 10_000))
    assert [m.id for m in evicted] == [f"m{n}" for n in range(9_900)]
    assert journal.find(MessageFilter(to="+34600000001")) == []
    # the front is trimmed away, indexes with it: memory stays bounded
    assert len(journal._messages._items) < 3 * 4096
    assert len(journal._entries._blocks) < 3 * 4096 // BLOCK
    assert journal._messages.index_size(recipient_bucket("34600000001")) <= 5
    assert len(journal._messages._index) < 3 * 4096 + 10


def test_ledger_numbers_stay_valid_cursors_through_compaction():
    ledger = Ledger(max_records=10)
    for n in range(20_000):
        ledger.add(n, (("all",),))
    found, cursor = ledger.page(0, 5, ("all",))
    assert found == list(range(19_990, 19_995)) and cursor == 19_995
    assert ledger.page(cursor, 100)[0] == list(range(19_995, 20_000))



@pytest.mark.anyio
async def test_retention_through_the_app_forgets_the_evicted_sinch_batches(client, network):
    network.journal.max_records = 2
    await client.put("/_smsproof/accounts/sinch/SP1", json={"api_token": "T"})
    auth = {"Authorization": "Bearer T"}
    ids = [(await client.post("/xms/v1/SP1/batches", headers=auth, json={
        "to": [f"+3460000000{n}"], "from": "Shop", "body": f"n{n}"})).json()["id"] for n in range(3)]
    listed = (await client.get("/_smsproof/messages")).json()
    assert [m["batch_id"] for m in listed["messages"]] == ids[1:]
    assert (await client.get(f"/xms/v1/SP1/batches/{ids[0]}", headers=auth)).status_code == 404
    assert (await client.get(f"/xms/v1/SP1/batches/{ids[2]}", headers=auth)).status_code == 200


def test_serve_takes_a_positive_max_messages(capsys):
    assert _parser().parse_args(["serve", "--max-messages", "100000"]).max_messages == 100_000
    assert _parser().parse_args(["serve"]).max_messages is None
    for bad in ("0", "-5", "many"):
        with pytest.raises(SystemExit):
            _parser().parse_args(["serve", "--max-messages", bad])
    assert "--max-messages" in capsys.readouterr().err


def test_an_entry_without_account_is_listed_once_in_every_index():
    journal = Journal()
    journal.record("sinch", None, "mt_request", T0, endpoint="oauth_token")
    journal.record("sinch", "SP1", "mt_request", T0, endpoint="send")
    for scope in ({}, {"provider": "sinch"}, {"kind": "mt_request"},
                  {"provider": "sinch", "kind": "mt_request"}):
        found, cursor = journal.entries_page(0, 10, **scope)
        assert [e["endpoint"] for e in found] == ["oauth_token", "send"] and cursor is None


@pytest.mark.anyio
async def test_retention_forgets_the_evicted_cm_messages(virtual, network):
    network.journal.max_records = 2
    token = "00000000-0000-0000-0000-0000000000c1"
    await virtual.put(f"/_smsproof/accounts/cm/{token}", json={"numbers": [{"number": "+3197010000000"}]})
    for n in range(5):
        response = await virtual.post("/v1.0/message", json={"messages": {
            "authentication": {"producttoken": token},
            "msg": [{"from": "Shop", "to": [{"number": f"003460000000{n}"}], "reference": f"r{n}",
                     "body": {"content": f"n{n}"}}]}})
        assert response.json()["errorCode"] == 0
    assert len(network.providers["cm"]._sent[token]) == 2  # the state per message is bounded
    # an MO answers the last MT still kept to that phone: the evicted one's reference is gone
    for phone, reference in (("+34600000000", None), ("+34600000004", "r4")):
        inbound = await virtual.post("/_smsproof/inbound", json={
            "provider": "cm", "from": phone, "to": "+3197010000000", "body": "STOP"})
        assert inbound.status_code == 201
        [entry] = (await virtual.get("/_smsproof/journal", params={"kind": "mo", "limit": 1000})).json()["entries"][-1:]
        assert entry["payload"]["reference"] == reference


@pytest.mark.anyio
async def test_retention_forgets_the_evicted_instasent_sms(virtual, network):
    network.journal.max_records = 2
    await virtual.put("/_smsproof/accounts/instasent/ITOKEN", json={})
    auth = {"Authorization": "Bearer ITOKEN"}
    ids = [(await virtual.post("/sms", headers=auth, json={
        "from": "Shop", "to": f"+3460000000{n}", "text": f"n{n}"})).json()["entity"]["id"] for n in range(5)]
    assert len(network.providers["instasent"]._sms["ITOKEN"]) == 2
    assert (await virtual.get(f"/sms/{ids[0]}", headers=auth)).status_code == 404
    assert (await virtual.get(f"/sms/{ids[4]}", headers=auth)).status_code == 200
    listed = (await virtual.get("/sms", headers=auth)).json()["entities"]
    assert [e["id"] for e in listed] == ids[:2:-1]


def test_compression_work_is_spread_over_the_entries(monkeypatch):
    """No entry pays for compressing a whole block: each store feeds the compressor that one
    entry, and closing a block only flushes what is left (issue 11: p99 at 1,000 sends/s)."""
    fed: list[int] = []

    class Spy:
        def __init__(self) -> None:
            self.inner = zlib.compressobj(1)

        def compress(self, data: bytes) -> bytes:
            fed.append(len(data))
            return self.inner.compress(data)

        def flush(self) -> bytes:
            fed.append(0)
            return self.inner.flush()

    monkeypatch.setattr(JournalEntries, "compressor", staticmethod(Spy))
    journal = Journal()
    for n in range(3 * BLOCK):
        journal.record("sinch", "SP1", "mt_request", T0, n=n, body=RawBody(b"x" * 100, None))
    one_entry = len(marshal.dumps(journal._entries._load(0)))
    assert len(fed) == 3 * BLOCK + 3 and max(fed) <= one_entry + 64
    assert [e["n"] for e in journal.query()] == list(range(3 * BLOCK))  # and they read back


def test_an_index_of_consecutive_numbers_is_a_range_until_a_gap():
    ledger = Ledger(max_records=6)
    for n in range(5):
        ledger.add(n, (("all",), ("even",) if n % 2 == 0 else ("odd",)))
    assert ledger._index[("all",)] == range(1, 6)  # no 4 bytes per record
    assert list(ledger.numbers(("even",))) == [1, 3, 5] and ledger.index_size(("odd",)) == 2
    assert ledger.page(1, 2, ("even",)) == ([2, 4], None)
    for n in range(5, 9000):  # eviction trims ranges and arrays alike
        ledger.add(n, (("all",),))
    assert type(ledger._index[("all",)]) is range and ledger._index[("all",)].stop == 9001
    assert ("even",) not in ledger._index and ledger.page(0, 3, ("all",)) == ([8994, 8995, 8996], 8997)


@pytest.mark.anyio
async def test_instasent_client_ids_stay_unique_through_retention(virtual, network):
    """The clientIds in use are kept beside the SMS (no per-send walk over every SMS) and
    follow them out when retention evicts them."""
    network.journal.max_records = 2
    await virtual.put("/_smsproof/accounts/instasent/ITOKEN", json={})
    auth = {"Authorization": "Bearer ITOKEN"}

    async def send(client_id):
        return await virtual.post("/sms", headers=auth, json={
            "from": "Shop", "to": "+34600000001", "text": "hi", "clientId": client_id})

    assert (await send("c1")).status_code == 201
    assert (await send("c1")).json()["errors"] == {"clientId": ["This value is already used."]}
    for n in range(2, 5):
        assert (await send(f"c{n}")).status_code == 201
    assert network.providers["instasent"]._client_ids(network.accounts.get("instasent", "ITOKEN")) == {"c3", "c4"}
    assert (await send("c1")).status_code == 201  # its SMS was evicted: free again
    assert (await send("c4")).status_code == 400
