"""Round trips between the reference platform and the provider fakes, both served by uvicorn on
127.0.0.1 ephemeral ports and spoken to over HTTP only (as the harness does)."""

import httpx
import pytest

from fake_providers.app import create_app as create_fakes
from fake_providers.testing import running_server
from reference_platform.adapter import platform as reference

T0 = "2026-01-05T10:00:00.000Z"
PHONE = "+34612345678"  # not a magic number of the fakes (...0001 fails)
LONG_CODE = "+4915112348765"
SHORT = "11221"


@pytest.fixture(scope="module")
def servers():
    with running_server(create_fakes()) as fakes_url:
        app = reference.create_app(base_url="http://placeholder")
        with running_server(app) as platform_url:
            app.state.base_url = platform_url
            with httpx.Client(base_url=fakes_url, timeout=20) as fakes, \
                    httpx.Client(base_url=platform_url, timeout=20) as driver:
                yield fakes_url, fakes, driver


class RoundTrip:
    def __init__(self, servers, provider):
        self.fakes_url, self.fakes, self.driver = servers
        self.provider = provider
        self.ok(self.fakes.post("/_smsproof/reset"), 204)
        created = self.ok(self.driver.post("/driver/v1/workspaces"), 201)
        self.ws, self.webhooks = created["workspace"], created["webhooks"][provider]
        self.prefix = f"/driver/v1/workspaces/{self.ws}"
        self.account = {"sinch": "SP1", "cm": "00000000-0000-0000-0000-00000000000c", "instasent": "ITOKEN"}[provider]
        self.settings = {"sinch": {"service_plan_id": "SP1", "api_token": "TOKEN1"},
                         "cm": {"product_token": self.account}, "instasent": {"token": self.account}}[provider]
        self.fake_account()
        self.ok(self.driver.put(f"{self.prefix}/config", json={
            "providers": {provider: {"base_url": self.fakes_url, **self.settings}},
            "default_provider": provider,
            "inbound_numbers": [{"number": LONG_CODE, "type": "long_code", "provider": provider},
                                {"number": SHORT, "type": "short_code", "provider": provider}],
            "two_way": {"keywords": ["stop", "arret"], "categories": ["sms_marketing"]},
            "consent_categories": [{"name": "sms_marketing", "legal_basis": "consent"}],
            "sending": {"sender": "Shop"}}))
        self.ok(self.driver.put(f"{self.prefix}/clock", json={"now": T0}))
        self.ok(self.fakes.post("/_smsproof/clock", json={"mode": "virtual", "now": T0}))

    def fake_account(self, **extra):
        account = {"mo_callback_url": self.webhooks["mo"], "dlr_callback_url": self.webhooks["dlr"],
                   "numbers": [{"number": LONG_CODE, "type": "long_code"}, {"number": SHORT, "type": "short_code"}],
                   **extra}
        if self.provider == "sinch":
            account["api_token"] = "TOKEN1"
        self.ok(self.fakes.put(f"/_smsproof/accounts/{self.provider}/{self.account}", json=account))

    @staticmethod
    def ok(response, status=200):
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    def customer(self, phone=PHONE, **fields):
        fields.setdefault("consents", {"sms_marketing": "accept"})
        fields.setdefault("sms_subscription", "subscribed")
        return self.ok(self.driver.post(f"{self.prefix}/customers", json={"phone": phone, **fields}), 201)

    def send(self, customer, body="Hello", **request):
        request = {"kind": "campaign", "category": "sms_marketing", "customer_ids": [customer["id"]], "body": body,
                   **request}
        return self.ok(self.driver.post(f"{self.prefix}/sends", json=request))["outcomes"][0]

    def inbound(self, body, sender=PHONE, to=LONG_CODE):
        return self.ok(self.fakes.post("/_smsproof/inbound", json={"provider": self.provider, "from": sender,
                                                                   "to": to, "body": body}), 201)

    def advance_platform(self, seconds):
        return self.ok(self.driver.post(f"{self.prefix}/clock/advance", json={"seconds": seconds}))

    def advance_fakes(self, seconds):
        return self.ok(self.fakes.post("/_smsproof/clock/advance", json={"seconds": seconds}))

    def events(self, customer, status=None):
        events = self.ok(self.driver.get(f"{self.prefix}/events", params={"customer_id": customer["id"]}))["events"]
        return [e for e in events if status in (None, e.get("status"))]

    def messages(self, **filters):
        return self.ok(self.fakes.get("/_smsproof/messages", params={"provider": self.provider, **filters}))["messages"]


@pytest.fixture
def sinch(servers):
    return RoundTrip(servers, "sinch")


@pytest.fixture(params=["sinch", "cm", "instasent"])
def any_provider(servers, request):
    return RoundTrip(servers, request.param)


def test_campaign_delivered_and_tracked(any_provider):
    customer = any_provider.customer()
    outcome = any_provider.send(customer, "Hello € " + "a" * 200)
    assert outcome["status"] == "enqueued"
    [mt] = any_provider.messages(direction="mt", to=PHONE)
    assert mt["body"] == outcome["body"] and mt["from"] == "Shop"
    assert (mt["encoding"], mt["segment_count"]) == (outcome["encoding"], outcome["segment_count"]) == ("GSM", 2)
    any_provider.advance_platform(5)
    any_provider.advance_fakes(5)
    assert [e["status"] for e in any_provider.events(customer, None) if e["type"] == "campaign"] == ["enqueued", "delivered"]
    assert any_provider.ok(any_provider.driver.get(f"{any_provider.prefix}/customers/{customer['id']}/received"))["count"] == 1


def test_opt_out_reply_through_the_fake(any_provider):
    customer = any_provider.customer()
    any_provider.send(customer)
    any_provider.advance_platform(20 * 60)
    any_provider.ok(any_provider.fakes.post("/_smsproof/clock/advance", json={"seconds": 20 * 60}))
    reply = any_provider.inbound("Stop it")
    assert reply["callback"]["state"] == "delivered"
    assert any_provider.send(customer)["reason"] == "blacklisted"
    moved = any_provider.advance_platform(40 * 60)
    assert moved["ran"] == ["consent_batch@2026-01-05T11:00:00.000Z"]
    [reject] = [e for e in any_provider.events(customer) if e["type"] == "consent" and e["source"] == "sms_reply"]
    assert reject["timestamp"] == "2026-01-05T10:20:00.000Z" and reject["identification"] == PHONE
    [incoming] = any_provider.events(customer, "incoming_message")
    assert incoming["sender"] == PHONE and incoming["recipient"] == LONG_CODE and incoming["message"] == "Stop it"
    assert any_provider.send(customer)["reason"] == "consent_rejected"


def test_bounce_reported_by_the_fake(any_provider):
    customer = any_provider.customer("+34600000004")
    any_provider.send(customer, kind="transactional", category=None)
    any_provider.advance_fakes(5)
    state = any_provider.ok(any_provider.driver.get(f"{any_provider.prefix}/customers/{customer['id']}"))
    assert state["mobile_phone_status"] == "bounced"


def test_help_process_replies_from_the_short_code(any_provider):
    any_provider.ok(any_provider.driver.put(f"{any_provider.prefix}/config", json={"sms_processes": [
        {"id": "h", "type": "help", "inbound_number": SHORT, "message": "Call us", "state": "started"}]}))
    any_provider.inbound("help", to=SHORT)
    [reply] = any_provider.messages(direction="mt", to=PHONE)
    assert (reply["from"], reply["body"]) == (SHORT, "Call us")


def test_signed_callbacks(sinch):
    sinch.fake_account(webhook_secret="s3cret")
    customer = sinch.customer()
    sinch.ok(sinch.driver.put(f"{sinch.prefix}/config", json={"providers": {"sinch": {"webhook_secret": "other"}}}))
    refused = sinch.inbound("hello")
    assert refused["callback"]["status"] == 401
    assert sinch.events(customer, "incoming_message") == []
    sinch.ok(sinch.driver.put(f"{sinch.prefix}/config", json={"providers": {"sinch": {"webhook_secret": "s3cret"}}}))
    assert sinch.inbound("hello")["callback"]["status"] == 200
    assert len(sinch.events(customer, "incoming_message")) == 1


def test_duplicated_callback_processed_once(any_provider):
    customer = any_provider.customer()
    any_provider.ok(any_provider.fakes.post("/_smsproof/faults", json={"provider": any_provider.provider, "endpoint": "callback",
                                                         "kind": "duplicate_callback", "times": 1}), 201)
    any_provider.inbound("hello")
    attempts = any_provider.ok(any_provider.fakes.get("/_smsproof/journal", params={"provider": any_provider.provider,
                                                                               "kind": "callback_attempt"}))["entries"]
    assert len(attempts) == 2
    assert len(any_provider.events(customer, "incoming_message")) == 1


def test_provider_outage_is_retried(any_provider):
    any_provider.ok(any_provider.fakes.post("/_smsproof/faults", json={"provider": any_provider.provider, "endpoint": "send", "kind": "status",
                                                         "status": 503, "times": 2}), 201)
    assert any_provider.send(any_provider.customer())["status"] == "enqueued"
    assert len(any_provider.messages(direction="mt")) == 1


def test_provider_refusal_fails_the_send(any_provider):
    wrong = {"sinch": {"api_token": "wrong"}, "cm": {"product_token": "00000000-0000-0000-0000-0000000000ff"},
             "instasent": {"token": "wrong"}}
    any_provider.ok(any_provider.driver.put(f"{any_provider.prefix}/config", json={"providers": {any_provider.provider: wrong[any_provider.provider]}}))
    outcome = any_provider.send(any_provider.customer())
    assert (outcome["status"], outcome["reason"]) == ("failed", "provider_error")
    assert any_provider.messages(direction="mt") == []
