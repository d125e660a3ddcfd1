"""CM's and Instasent's reads without a walk over every message: the CM MO picks up the last
message sent to its phone from an index (same answer as the walk, through retention), and
Instasent's `GET /sms` pages skip whole chunks of the table."""
import asyncio
import json

from hypothesis import given, settings, strategies as st

from fake_providers.network import Network
from fake_providers.phones import same_number
from fake_providers.app import create_app
from fake_providers.table import ChunkedTable

TOKEN = "00000000-0000-0000-0000-0000000000c1"
PHONES = ("0034600000001", "+34600000002", "34600000003")


def fresh(bound: int | None = None) -> Network:
    network = Network()
    network.journal.max_records = bound
    create_app(network)
    network.clock.set_mode("virtual")
    network.accounts.put("cm", TOKEN, {"numbers": [{"number": "+3197010000000"}]})
    network.accounts.put("instasent", "IT1", {})
    return network


def walked_last(cm, phone: str):
    return next((s for s in reversed(list(cm._sent.get(TOKEN, ChunkedTable()).values()))
                 if same_number(s.recipient, phone)), None)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PHONES), st.sampled_from([None, "r1", "r2"])), max_size=40),
       st.none() | st.integers(2, 20))
def test_a_cm_mo_picks_up_the_last_message_to_its_phone_as_a_walk_does(sends, bound):
    network = fresh(bound)
    cm = network.providers["cm"]
    for phone, reference in sends:
        msg = {"from": "Shop", "to": [{"number": phone}], "body": {"content": "hi"}}
        if reference is not None:
            msg["reference"] = reference
        assert cm.send(json.dumps({"messages": {"authentication": {"producttoken": TOKEN},
                                                "msg": [msg]}}).encode(), None)
    account = network.accounts.get("cm", TOKEN)
    for phone in PHONES + ("+34600000001", "0034600000003", "+34699999999"):
        last = walked_last(cm, phone)
        asyncio.run(cm.receive(account, account.numbers[0], phone, "hi"))
        received = network.journal.query("cm", TOKEN, "mo")[-1]["payload"]
        assert received["reference"] == (last.reference if last else None)
        assert received["groupings"] == (list(last.groupings) if last else ["", "", ""])


def test_an_instasent_page_deep_in_the_listing_skips_the_chunks_before_it(monkeypatch):
    monkeypatch.setattr("fake_providers.table.CHUNK", 16)  # 300 SMS in 19 chunks
    network = fresh()
    instasent = network.providers["instasent"]
    account = network.accounts.get("instasent", "IT1")
    sent = [instasent.send(account, {"from": "Shop", "to": "+34600000001", "text": f"m{n}"}).id
            for n in range(300)]

    def walk(self):
        raise AssertionError("the listing walked every SMS")
    monkeypatch.setattr(ChunkedTable, "newest_first", walk)
    for page, per_page in ((1, 10), (20, 10), (4, 100), (30, 10)):
        listed = instasent.list_sms(account, f"page={page}&per_page={per_page}")
        start = (page - 1) * per_page
        assert [e["id"] for e in listed["entities"]] == sent[::-1][start:start + per_page]
