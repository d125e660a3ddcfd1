"""The issue's "done when": a whole opt-out flow watched and driven in the browser (Debian's
chromium via Playwright) against the reference platform, served like a vendor's platform. Only
the platform's own action (sending the campaign) goes through its driver API; everything on the
handset's side, the faults and the clock is done on the inbox's pages."""
from __future__ import annotations

import httpx
import pytest

from fake_providers.app import create_app as create_fakes
from fake_providers.testing import running_server

from reference_platform.adapter import platform as reference

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')")

T0 = "2026-01-05T10:00:00.000Z"
PHONE, LONG_CODE, SHORT = "+34612345678", "+4915112348765", "11221"
WAIT_MS = 5000


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json() if response.content else None


@pytest.fixture
def platform():
    """The fakes and the reference platform on 127.0.0.1, the platform set up for Sinch with
    STOP on its numbers and an unsubscribe process that confirms on the short code."""
    with running_server(create_fakes()) as fakes_url:
        app = reference.create_app(base_url="http://placeholder")
        with running_server(app) as platform_url, httpx.Client(base_url=fakes_url) as fakes, \
                httpx.Client(base_url=platform_url) as driver:
            app.state.base_url = platform_url
            created = ok(driver.post("/driver/v1/workspaces"), 201)
            prefix, hooks = f"/driver/v1/workspaces/{created['workspace']}", created["webhooks"]["sinch"]
            ok(fakes.put("/_smsproof/accounts/sinch/SP1", json={
                "api_token": "T", "mo_callback_url": hooks["mo"], "dlr_callback_url": hooks["dlr"],
                "numbers": [{"number": LONG_CODE, "type": "long_code"}, {"number": SHORT, "type": "short_code"}]}))
            ok(driver.put(f"{prefix}/config", json={
                "providers": {"sinch": {"base_url": fakes_url, "service_plan_id": "SP1", "api_token": "T"}},
                "default_provider": "sinch",
                "inbound_numbers": [{"number": LONG_CODE, "type": "long_code", "provider": "sinch"},
                                    {"number": SHORT, "type": "short_code", "provider": "sinch"}],
                "two_way": {"keywords": ["stop"], "categories": ["sms_marketing"]},
                "consent_categories": [{"name": "sms_marketing", "legal_basis": "consent"}],
                "sms_processes": [{"id": "p1", "type": "unsubscribe", "inbound_number": SHORT,
                                   "message": "You will get no more messages from Shop.",
                                   "send_confirmation": True, "state": "started"}],
                "sending": {"sender": "Shop"}}))
            ok(driver.put(f"{prefix}/clock", json={"now": T0}))
            ok(fakes.post("/_smsproof/clock", json={"mode": "virtual", "now": T0}))
            customer = ok(driver.post(f"{prefix}/customers", json={
                "phone": PHONE, "consents": {"sms_marketing": "accept"}, "sms_subscription": "subscribed"}), 201)
            yield fakes_url, driver, prefix, customer


def test_a_whole_opt_out_flow_in_the_browser(platform, browser_page):  # servers first: they stop last
    fakes_url, driver, prefix, customer = platform
    page = browser_page
    page.goto(f"{fakes_url}/_smsproof/")
    playwright.expect(page.locator("#connection")).to_have_text("live", timeout=WAIT_MS)

    # The platform sends a campaign: it appears live.
    sent = ok(driver.post(f"{prefix}/sends", json={"kind": "campaign", "category": "sms_marketing",
                                                   "customer_ids": [customer["id"]], "body": "Spring sale! Reply STOP to opt out"}))
    assert sent["outcomes"][0]["status"] == "enqueued"
    row = page.locator("#conversations").get_by_role("link", name=PHONE)
    playwright.expect(row).to_contain_text("Spring sale!", timeout=WAIT_MS)
    row.click()
    thread = page.locator("#thread")
    playwright.expect(thread).to_contain_text("Dispatched")

    # The delivery report arrives when the clock moves.
    page.get_by_role("button", name="Advance the clock by 5 s").click()
    playwright.expect(thread.locator(".msg.mt")).to_contain_text("Delivered", timeout=WAIT_MS)

    # The platform will answer the next callback with an error (a fault on the fakes' side).
    page.get_by_role("link", name="Controls").click()
    page.get_by_label("Provider", exact=True).select_option("sinch")
    page.get_by_label("Status (for kind status)").fill("503")
    page.get_by_role("button", name="Add fault").click()
    playwright.expect(page.locator("#faults")).to_contain_text('"status": 503', timeout=WAIT_MS)

    # The handset replies STOP to the short code; the first attempt fails, the retry gets through.
    page.go_back()
    page.get_by_label("To number").fill(SHORT)
    page.get_by_label("Reply text").fill("STOP")
    page.get_by_role("button", name="Send reply").click()
    playwright.expect(page.locator("#outcome")).to_contain_text("HTTP 503", timeout=WAIT_MS)
    playwright.expect(thread.locator(".msg.mo")).to_contain_text("STOP", timeout=WAIT_MS)
    page.get_by_role("button", name="Advance the clock by 5 s").click()

    # The platform confirms from the short code: the confirmation appears in the thread.
    confirmation = thread.locator(".msg.mt").filter(has_text="You will get no more messages")
    playwright.expect(confirmation).to_contain_text(SHORT, timeout=WAIT_MS)
    page.get_by_role("link", name="Callbacks").click()
    mo = page.locator("section", has_text="MO · sinch SP1")
    playwright.expect(mo.locator("tbody tr")).to_have_count(2)
    playwright.expect(mo).to_contain_text("HTTP 503")
    playwright.expect(mo).to_contain_text("HTTP 200")
    unsubscribed = ok(driver.get(f"{prefix}/opt-outs"))["unsubscribe_list"]
    assert [entry["phone"] for entry in unsubscribed] == [PHONE]
