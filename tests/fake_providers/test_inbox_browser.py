"""The web inbox in a real browser (Debian's chromium driven by Playwright): a sent message
appears without a reload, a reply from the handset shows the platform's callback attempts,
moving the clock brings the delivery report; pages past the scan budget say so and go on. Skipped, with the reason, without a browser."""
from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

import httpx
import pytest

from fake_providers.app import create_app
from fake_providers.journal import Message
from fake_providers.network import Network
from fake_providers.server import add_demo_accounts
from fake_providers.testing import running_server

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')")

ACCOUNT, TOKEN, LONG_CODE = "demo-service-plan", "demo-token", "+4915112348765"
HANDSET = "+46701234567"
WAIT_MS = 5000


@pytest.fixture
def fakes(receiver):
    """The fakes on a real 127.0.0.1 port, virtual time, callbacks to `receiver` (conftest)
    in-process."""
    transport = httpx.ASGITransport(receiver.app())
    network = Network(client_factory=lambda: httpx.AsyncClient(transport=transport))
    app = create_app(network)
    add_demo_accounts(network)
    with running_server(app) as base, httpx.Client(base_url=base) as client:
        client.post("/_smsproof/clock", json={"mode": "virtual", "now": "2026-01-05T10:00:00Z"})
        client.patch(f"/_smsproof/accounts/sinch/{ACCOUNT}", json={
            "mo_callback_url": "http://platform.test/mo", "dlr_callback_url": "http://platform.test/dlr"})
        yield client


@pytest.fixture
def page(fakes, browser_page):  # (conftest) set up after the fakes, so closed before they stop
    return browser_page


def send(fakes: httpx.Client, body: str, report: str = "per_recipient") -> None:
    response = fakes.post(f"/xms/v1/{ACCOUNT}/batches", headers={"Authorization": f"Bearer {TOKEN}"},
                          json={"from": LONG_CODE, "to": [HANDSET], "body": body,
                                "delivery_report": report})
    assert response.status_code == 201, response.text


def open_live(page, url: str) -> None:
    page.goto(url)
    playwright.expect(page.locator("#connection")).to_have_text("live", timeout=WAIT_MS)
    page.evaluate("window.notReloaded = true")


def test_a_sent_message_appears_without_a_reload(page, fakes):
    open_live(page, f"{fakes.base_url}/_smsproof/")
    playwright.expect(page.locator("#conversations")).to_contain_text("No messages yet")
    send(fakes, "Your code is 1234")
    row = page.locator("#conversations").get_by_role("link", name="46701234567")
    playwright.expect(row).to_contain_text("Your code is 1234", timeout=WAIT_MS)
    assert page.evaluate("window.notReloaded") is True
    row.click()
    playwright.expect(page.get_by_role("heading", name="Handset +46701234567")).to_be_visible()
    playwright.expect(page.locator("#thread")).to_contain_text("GSM, 1 part")


def test_a_reply_as_the_handset_shows_the_callback_attempts(page, fakes, receiver):
    send(fakes, "Reply STOP to opt out", report="none")
    receiver.statuses[:] = [503]  # the MO callback fails once
    open_live(page, f"{fakes.base_url}/_smsproof/?handset={quote(HANDSET)}")
    page.get_by_label("Reply text").fill("STOP")
    page.get_by_role("button", name="Send reply").click()
    playwright.expect(page.locator("#outcome")).to_contain_text("HTTP 503", timeout=WAIT_MS)
    playwright.expect(page.locator("#thread")).to_contain_text("STOP", timeout=WAIT_MS)

    page.get_by_role("link", name="Callbacks").click()
    mo = page.get_by_role("region", name="Callback cb_1")
    playwright.expect(mo).to_contain_text("pending")
    playwright.expect(mo.locator("tbody tr")).to_have_count(1)
    playwright.expect(mo).to_contain_text("HTTP 503")
    page.evaluate("window.notReloaded = true")
    page.get_by_role("button", name="Advance the clock by 5 s").click()  # the retry comes due
    playwright.expect(mo).to_contain_text("delivered", timeout=WAIT_MS)
    playwright.expect(mo.locator("tbody tr")).to_have_count(2)
    playwright.expect(mo.locator("tbody tr").nth(1)).to_contain_text("HTTP 200")
    assert page.evaluate("window.notReloaded") is True
    assert receiver.bodies("/mo")[-1] == receiver.bodies("/mo")[0]  # the retry resends the same MO


def test_moving_the_clock_brings_the_delivery_report(page, fakes):
    send(fakes, "Your parcel is on its way")
    message_id = fakes.get("/_smsproof/messages").json()["messages"][0]["id"]
    open_live(page, f"{fakes.base_url}/_smsproof/inbox/messages/{message_id}")
    facts = page.locator(".facts")
    playwright.expect(facts).to_contain_text("Dispatched")
    page.get_by_role("button", name="Advance the clock by 5 s").click()
    playwright.expect(facts).to_contain_text("Delivered", timeout=WAIT_MS)
    playwright.expect(page.locator("#message")).to_contain_text('"status": "Delivered"')
    playwright.expect(page.locator("#clock")).to_contain_text("10:00:05")
    assert page.evaluate("window.notReloaded") is True


@pytest.mark.parametrize("path", ["/_smsproof/?handset=%2B46701234567", "/_smsproof/inbox/controls",
                                  "/_smsproof/inbox/journal", "/_smsproof/inbox/callbacks"])
def test_labelled_keyboard_reachable_and_narrow_screen_safe(fakes, chromium_browser, path):
    send(fakes, "A message long enough to wrap on a narrow phone screen, with a link-like "
                "word: https://example.invalid/a/very/long/path/that/does/not/break")
    context = chromium_browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        page.goto(f"{fakes.base_url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
        unlabelled = page.evaluate("""[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter((field) => field.labels.length === 0).map((field) => field.outerHTML)""")
        assert unlabelled == []
        nameless = page.evaluate("""[...document.querySelectorAll('button, a')]
            .filter((el) => !el.textContent.trim() && !el.getAttribute('aria-label')).map((el) => el.outerHTML)""")
        assert nameless == []
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Skip to content"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
    finally:
        context.close()


@pytest.fixture
def crowded(receiver):
    """The fakes with 12,001 messages journaled in-process before they start: the newest
    12,000 to three handsets, the oldest to a fourth, its delivery report after 5,050 journal
    entries of its account (more than the HISTORY_BUDGET of 5,000); and 10,051 callbacks, the
    oldest failed."""
    network = Network()
    add_demo_accounts(network)
    journal, at = network.journal, datetime(2026, 1, 5, 9, tzinfo=timezone.utc)

    def add(n: int, handset: str) -> Message:
        return journal.add_message(Message(f"m{n}", "sinch", ACCOUNT, "mt", LONG_CODE, handset,
                                           f"Message {n}", "GSM", 1, "Delivered", at, at))
    oldest = add(0, "+46700000999")
    for n in range(5_050):
        journal.record("sinch", ACCOUNT, "mt_request", at, method="POST", path="/", status=201)
    journal.record("sinch", ACCOUNT, "dlr", at, callback_id="cb_1", url=None,
                   payload={"batch_id": oldest.id, "status": "Delivered"})
    for n in range(1, 12_001):
        add(n, f"+4670000000{n % 3}")
    app = create_app(network)
    policy = network.providers["sinch"].retry_policy
    for n in range(10_051):  # the oldest failed (a URL it could never POST to), the rest pending
        network.outbox.create("sinch", ACCOUNT, "dlr", "ftp://nowhere" if n == 0 else None,
                              {"n": n}, policy)
    with running_server(app) as base, httpx.Client(base_url=base) as client:
        yield client


def test_pages_past_the_scan_budget_say_so_and_go_on(crowded, browser_page):
    page = browser_page
    page.goto(f"{crowded.base_url}/_smsproof/")
    conversations = page.locator("#conversations")
    playwright.expect(conversations.locator("li")).to_have_count(3)
    playwright.expect(conversations).to_contain_text("Looked at 10,000 messages, the newest")
    page.get_by_role("link", name="Older conversations").click()
    playwright.expect(conversations.locator("li")).to_have_count(1)
    playwright.expect(conversations).to_contain_text("+46700000999")
    playwright.expect(conversations).not_to_contain_text("Looked at")
    playwright.expect(page.get_by_role("link", name="Older conversations")).to_have_count(0)

    conversations.get_by_role("link", name="46700000999").click()
    page.locator("#thread").get_by_role("link", name="details").click()
    history = page.locator("#message")
    playwright.expect(history).to_contain_text("Looked at the 5,000 journal entries of sinch")
    playwright.expect(history).to_contain_text("No callback about this message yet")
    page.get_by_role("link", name="Later entries").click()
    playwright.expect(history).to_contain_text("delivery report: Delivered")
    playwright.expect(page.get_by_role("link", name="Later entries")).to_have_count(0)
    page.goto(f"{crowded.base_url}/_smsproof/inbox/messages/m0")  # typed: no journal number
    playwright.expect(page.get_by_role("heading")).to_contain_text("No such message")
    playwright.expect(page.locator("main")).to_contain_text("older than the newest 10,000 messages")


def test_the_callbacks_page_counts_all_and_says_what_it_looked_at(crowded, browser_page):
    page = browser_page
    page.goto(f"{crowded.base_url}/_smsproof/inbox/callbacks")
    playwright.expect(page.get_by_role("region", name="Callback cb_10051")).to_be_visible()
    playwright.expect(page.locator("#callbacks section")).to_have_count(50)
    page.get_by_role("link", name="Failed (1)").click()
    playwright.expect(page.locator("#callbacks")).to_contain_text(
        "No failed callback among the newest 10,000.")
    playwright.expect(page.get_by_role("link", name="Pending (10,050)")).to_be_visible()
