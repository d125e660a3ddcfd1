"""The web inbox's pages and reads (their HTML, without a browser: test_inbox_browser.py
drives them in chromium), the live event stream, PATCH accounts, paged GET /messages, the
served API reference and `serve --log` lines."""
from __future__ import annotations

import asyncio
import io
import json
import re
from datetime import datetime, timezone
from html import unescape

import pytest

from fake_providers import control
from fake_providers.inbox import queries
from fake_providers.inbox.live import Live
from fake_providers.journal import Journal, Message
from fake_providers.server import log_line, log_requests

pytestmark = pytest.mark.anyio
SP = "/xms/v1/SP1/batches"
AUTH = {"Authorization": "Bearer T"}


def text(response) -> str:
    """The visible text of a page, whitespace collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.text)))


@pytest.fixture
async def sinch(virtual):
    """`virtual` with a Sinch account SP1 whose callbacks reach the conftest receiver."""
    await virtual.put("/_smsproof/accounts/sinch/SP1", json={
        "api_token": "T", "mo_callback_url": "http://platform.test/mo",
        "dlr_callback_url": "http://platform.test/dlr",
        "numbers": [{"number": "+4915112348765", "type": "long_code"}]})
    return virtual


async def send(client, to: str, body: str, report: str = "per_recipient") -> dict:
    response = await client.post(SP, headers=AUTH, json={
        "from": "+4915112348765", "to": [to], "body": body, "delivery_report": report})
    assert response.status_code == 201, response.text
    return response.json()


async def test_patch_merges_and_put_replaces(client):
    await client.put("/_smsproof/accounts/sinch/SP1", json={
        "api_token": "T", "numbers": [{"number": "+4915112348765"}]})
    patched = await client.patch("/_smsproof/accounts/sinch/SP1",
                                 json={"mo_callback_url": "http://p/mo"})
    assert patched.status_code == 200
    assert patched.json()["api_token"] == "T" and patched.json()["mo_callback_url"] == "http://p/mo"
    assert patched.json()["numbers"] == [{"number": "+4915112348765", "type": "long_code"}]
    erased = (await client.patch("/_smsproof/accounts/sinch/SP1", json={"api_token": None})).json()
    assert erased["api_token"] is None and erased["mo_callback_url"] == "http://p/mo"
    assert (await client.patch("/_smsproof/accounts/sinch/SP1", json={"api_token": 5})).status_code == 422
    assert (await client.patch("/_smsproof/accounts/sinch/NOPE", json={})).status_code == 404
    replaced = (await client.put("/_smsproof/accounts/sinch/SP1", json={"mo_callback_url": "http://p/2"})).json()
    assert replaced["numbers"] == [] and replaced["api_token"] is None


async def test_messages_are_paged_with_a_cursor(sinch):
    for n in range(5):
        await send(sinch, f"+3460000000{n}", f"m{n}", report="none")
    bodies, cursor = [], None
    while True:
        page = (await sinch.get("/_smsproof/messages", params={"limit": 2, **({"cursor": cursor} if cursor else {})})).json()
        assert len(page["messages"]) <= 2
        bodies += [m["body"] for m in page["messages"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert bodies == [f"m{n}" for n in range(5)]
    everything = (await sinch.get("/_smsproof/messages")).json()
    assert len(everything["messages"]) == 5 and everything["next_cursor"] is None
    for bad in ({"limit": 0}, {"limit": "x"}, {"limit": 10001}, {"cursor": "-1"}, {"cursor": "x"}):
        response = await sinch.get("/_smsproof/messages", params=bad)
        assert response.status_code == 422 and response.json()["error"] in ("invalid_limit", "invalid_cursor")


async def test_the_openapi_document_and_its_reference_page_are_served(client):
    served = await client.get("/_smsproof/openapi.yaml")
    assert served.status_code == 200 and served.content == control.OPENAPI.read_bytes()
    page = await client.get("/_smsproof/reference")
    assert page.status_code == 200
    for path in ("/accounts/{provider}/{account}", "/messages", "/clock/advance", "/openapi.yaml"):
        assert f"<code>{path}</code>" in page.text
    assert "PATCH" in text(page) and 'href="#schema-Account"' in page.text


async def test_the_root_and_the_bare_prefix_lead_to_the_inbox(client):
    for path in ("/", "/_smsproof"):
        response = await client.get(path)
        assert response.status_code in (302, 307) and response.headers["location"].endswith("/_smsproof/")


async def test_every_page_answers_and_links_its_assets(sinch):
    await send(sinch, "+34600000009", "hello")
    for path in ("/_smsproof/", "/_smsproof/?handset=%2B34600000009", "/_smsproof/inbox/callbacks",
                 "/_smsproof/inbox/callbacks?state=failed", "/_smsproof/inbox/journal",
                 "/_smsproof/inbox/journal?kind=mt_request&provider=sinch",
                 "/_smsproof/inbox/controls", "/_smsproof/reference"):
        page = await sinch.get(path)
        assert page.status_code == 200, path
        assert '<html lang="en">' in page.text and "/_smsproof/static/inbox.js" in page.text
        assert "http://" not in re.sub(r'(value|placeholder)="[^"]*"|<code>[^<]*</code>|<pre>[^<]*</pre>', "", page.text), path
    for asset in ("inbox.js", "inbox.css"):
        assert (await sinch.get(f"/_smsproof/static/{asset}")).status_code == 200
    assert (await sinch.get("/_smsproof/inbox/messages/nope")).status_code == 404


async def test_conversations_group_by_handset_newest_first_and_search(sinch):
    await send(sinch, "+34600000001", "first to one")
    await send(sinch, "+34600000002", "only to two")
    await sinch.post("/_smsproof/inbound", json={"provider": "sinch", "from": "0034600000001",
                                                 "to": "+4915112348765", "body": "STOP"})
    listed = text(await sinch.get("/_smsproof/"))
    assert listed.index("+34600000001") < listed.index("+34600000002")  # the reply is newest
    assert "+34600000001 ← STOP" in listed
    assert "only to two" not in text(await sinch.get("/_smsproof/", params={"q": "stop"}))
    assert "+34600000002" in text(await sinch.get("/_smsproof/", params={"q": "two"}))
    assert "+34600000002" in text(await sinch.get("/_smsproof/", params={"q": "600000002"}))
    assert "No message matches" in text(await sinch.get("/_smsproof/", params={"q": "cm"}))
    page = text(await sinch.get("/_smsproof/", params={"handset": "+34600000001"}))
    thread = page.split("Handset +34600000001")[1]
    assert thread.index("first to one") < thread.index("STOP")  # both directions, oldest first
    assert "only to two" not in thread


def journal_of(count: int) -> Journal:
    journal = Journal()
    now = datetime(2026, 1, 5, tzinfo=timezone.utc)
    for n in range(count):
        journal.add_message(Message(f"m{n}", "sinch", "SP1", "mt", "Shop", f"+346000{n % 7:05d}",
                                    f"text {n}", "GSM", 1, "Queued", now, now))
    return journal


def test_conversation_pages_list_every_handset_once():
    journal, seen, before = journal_of(100), [], None
    while True:
        page = queries.conversations(journal, before=before, limit=3)
        seen += [row.key for row in page.rows]
        before = page.older
        if before is None:
            break
    assert len(seen) == len(set(seen)) == 7
    assert seen == [queries.number_key(f"+346000{n % 7:05d}") for n in (99, 98, 97, 96, 95, 94, 93)]


async def test_message_details_show_parts_reports_and_every_callback_attempt(sinch, receiver):
    long_text = "Ünïcödé ☃ " * 10  # UCS-2, more than 70 characters: two parts
    await send(sinch, "+34600000013", long_text)  # (numbers ending 0001 to 0004 fail: magic)
    message = (await sinch.get("/_smsproof/messages")).json()["messages"][0]
    receiver.statuses[:] = [200, 500]  # Dispatched taken, the final report fails once
    await sinch.post("/_smsproof/clock/advance", json={"seconds": 5})
    page = text(await sinch.get(f"/_smsproof/inbox/messages/{message['id']}"))
    assert "Encoding UCS2" in page and "Segments 2" in page
    assert page.count("delivery report: ") == 2  # Dispatched, Delivered
    assert "delivery report: Delivered" in page and "HTTP 500" in page
    assert "next attempt at 2026-01-05 10:00:10.000" in page
    await sinch.post("/_smsproof/clock/advance", json={"seconds": 5})
    page = text(await sinch.get(f"/_smsproof/inbox/messages/{message['id']}"))
    assert "HTTP 500" in page and page.count("HTTP 200") == 2 and "pending" not in page


async def test_pages_escape_what_was_sent(sinch):
    await send(sinch, "+34600000004", "<script>alert(1)</script>")
    page = await sinch.get("/_smsproof/", params={"handset": "+34600000004"})
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text


async def test_callbacks_page_filters_by_state(sinch, receiver):
    receiver.statuses[:] = [400]  # not retried: failed for good
    await sinch.post("/_smsproof/inbound", json={"provider": "sinch", "from": "+34600000005",
                                                 "to": "+4915112348765", "body": "hi"})
    failed = text(await sinch.get("/_smsproof/inbox/callbacks", params={"state": "failed"}))
    assert "cb_1 failed" in failed and "HTTP 400" in failed and "Failed (1)" in failed
    assert "No delivered callback" in text(await sinch.get("/_smsproof/inbox/callbacks", params={"state": "delivered"}))


async def test_journal_page_filters_and_pages(sinch, network):
    for n in range(3):
        await send(sinch, f"+3460000001{n}", f"m{n}", report="none")
    page = text(await sinch.get("/_smsproof/inbox/journal", params={"kind": "mt_request"}))
    assert page.count("POST /xms/v1/SP1/batches") == 3 and "<td>callback_attempt</td>" not in page
    assert "No entry" in text(await sinch.get("/_smsproof/inbox/journal", params={"kind": "mo"}))
    rows, older = queries.entries(network.journal, None, None, None, limit=2)
    assert [r["id"] for r in rows] == [3, 2] and older == 2  # the next page: entries numbered below 2
    rows, older = queries.entries(network.journal, None, None, None, before=older, limit=2)
    assert [r["id"] for r in rows] == [1] and older is None


async def test_live_stream_pushes_journal_events():
    journal = Journal()
    live = Live(journal)
    response = await live.stream(None)
    events = response.body_iterator
    assert await anext(events) == "retry: 1000\n\n"
    waiting = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0)
    journal.record("sinch", "SP1", "mo", journal_of(1).messages[0].created_at, callback_id="cb_1")
    journal.publish("clock", {})
    data = json.loads((await asyncio.wait_for(waiting, 1)).removeprefix("data: "))
    assert data[0] == {"kind": "mo", "id": 1, "provider": "sinch"}
    assert len(live.pages) == 1 and journal.listeners == [live.publish]
    await events.aclose()
    assert live.pages == set() and journal.listeners == []  # a closed page stops listening


def test_the_journal_has_no_live_listener_without_an_open_page():
    journal = Journal()
    live = Live(journal)
    assert journal.listeners == []  # no entry dict built per send for no one
    first, second = asyncio.Queue(), asyncio.Queue()
    live.watch(first)
    live.watch(second)
    live.unwatch(first)
    assert journal.listeners == [live.publish]
    live.unwatch(second)
    assert journal.listeners == []


def test_a_full_page_queue_drops_events_without_failing():
    journal = Journal()
    live = Live(journal)
    queue = asyncio.Queue(1)
    live.watch(queue)
    for _ in range(3):
        journal.publish("clock", {})
    assert queue.qsize() == 1


async def test_serve_log_has_a_line_per_request_and_callback_attempt(sinch, network, receiver):
    out = io.StringIO()
    log_requests(network.journal, out)
    receiver.statuses[:] = [503]
    await send(sinch, "+34600000020", "hi")
    await sinch.post("/_smsproof/clock/advance", json={"seconds": 1})  # dispatched: a report
    await sinch.get("/_smsproof/messages")  # control calls are not logged
    lines = out.getvalue().splitlines()
    assert lines[0] == "2026-01-05T10:00:00.000Z sinch SP1 POST /xms/v1/SP1/batches 201 send"
    assert lines[1].startswith("2026-01-05T10:00:00.000Z sinch SP1 CALLBACK http://platform.test/dlr 503 dlr cb_1 attempt=1 ")
    assert lines[1].endswith("ms next=2026-01-05T10:00:05.000Z") and len(lines) == 2
    assert log_line("message", object()) is None
    assert log_line("entry", {"kind": "callback_attempt", "at": "T", "provider": "cm", "account": None,
                              "url": None, "status": None, "error": "no callback URL configured",
                              "callback_kind": "mo", "callback_id": "cb_9", "attempt": 1,
                              "latency_ms": 0.0, "next_attempt_at": None}) \
        == 'T cm - CALLBACK - error="no callback URL configured" mo cb_9 attempt=1 0.0ms'


async def test_the_reply_goes_to_an_account_number_by_default(sinch):
    await sinch.post(SP, headers=AUTH, json={"from": "Shop", "to": ["+34600000050"], "body": "Sale"})
    page = await sinch.get("/_smsproof/", params={"handset": "+34600000050"})
    assert 'name="to" list="owned-numbers" required\n           value="+4915112348765"' in page.text
    await sinch.post("/_smsproof/inbound", json={"provider": "sinch", "from": "+34600000050",
                                                 "to": "4915112348765", "body": "hi"})
    page = await sinch.get("/_smsproof/", params={"handset": "+34600000050"})
    assert page.text.count('value="+4915112348765"') >= 1  # where it last wrote to, in E.164 (as Sinch reports it)
