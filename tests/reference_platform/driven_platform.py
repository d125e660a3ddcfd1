"""Helpers to drive the reference platform in-process over its driver API, against the provider fakes
(fake_providers) routed in-process by respx: the platform sends to the providers' real host names, the
fakes deliver callbacks to the platform's webhooks (host platform.test, routed to the platform app).
Some tests also post callbacks by hand in each provider's format, to test the webhook parsing."""

import asyncio
import contextlib
import itertools
import json
import warnings
from typing import Iterator

import httpx
import respx

warnings.filterwarnings("ignore", message=".*starlette.testclient.*")
from starlette.testclient import TestClient  # noqa: E402

from fake_providers.testing import fake_providers_routed  # noqa: E402
from reference_platform.adapter import platform as reference  # noqa: E402

T0 = "2026-01-05T10:00:00.000Z"  # a Monday
PLATFORM_HOST = "platform.test"
SINCH = "https://us.sms.api.sinch.com"
CM = "https://gw.messaging.cm.com"
INSTASENT = "https://api.instasent.com"
LONG_CODE = "+4915112348765"
CM_TOKEN = "00000000-0000-0000-0000-000000000001"
PROVIDERS = {
    "sinch": {"base_url": SINCH, "service_plan_id": "SP1", "api_token": "TOKEN1"},
    "cm": {"base_url": CM, "product_token": CM_TOKEN},
    "instasent": {"base_url": INSTASENT, "token": "ITOKEN"},
}
ACCOUNTS = {"sinch": ("SP1", {"api_token": "TOKEN1"}), "cm": (CM_TOKEN, {}), "instasent": ("ITOKEN", {})}
BASE_CONFIG = {
    "providers": PROVIDERS,
    "default_provider": "sinch",
    "inbound_numbers": [{"number": LONG_CODE, "type": "long_code", "provider": "sinch"}],
    "two_way": {"track_incoming": True, "opt_out_enabled": True, "keywords": ["stop", "arret"],
                "categories": ["sms_marketing"]},
    "consent_categories": [{"name": "sms_marketing", "legal_basis": "consent"}],
    "sending": {"sender": "Shop"},
}


class Providers:
    """The fakes as the tests see them: the accounts of PROVIDERS (callbacks to one platform workspace),
    every accepted MT (`sent`, as the provider accepted it), the send requests and scripted failures."""

    def __init__(self, fakes, router: respx.MockRouter):
        self.fakes = fakes
        self.control = fakes.control
        self.platform: TestClient | None = None  # where callbacks to PLATFORM_HOST go (the latest platform)
        router.route(host=PLATFORM_HOST).mock(side_effect=self._to_platform)
        self.ok(self.control.post("/_smsproof/clock", json={"mode": "virtual", "now": T0}))

    async def _to_platform(self, request: httpx.Request) -> httpx.Response:
        """Callbacks from the fakes (made on their event loop) reach the platform in a worker thread, so
        the platform may call the fakes back (a Help reply) while the callback is pending."""
        request.read()
        return await asyncio.to_thread(self._call_platform, request)

    def _call_platform(self, request: httpx.Request) -> httpx.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        answer = self.platform.request(request.method, str(request.url), content=request.content, headers=headers)
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    @staticmethod
    def ok(response, status=200):
        assert response.status_code in (status, 201, 204), response.text
        return response.json() if response.content else None

    def accounts(self, webhooks: dict, **extra):
        """Create the three accounts with the workspace's webhook URLs (and `extra` account settings)."""
        for provider, (account, settings) in ACCOUNTS.items():
            self.ok(self.control.put(f"/_smsproof/accounts/{provider}/{account}", json={
                "mo_callback_url": webhooks[provider]["mo"], "dlr_callback_url": webhooks[provider]["dlr"],
                "numbers": [{"number": LONG_CODE, "type": "long_code"}], **settings, **extra}))

    def fail_next(self, provider: str, *responses: httpx.Response):
        """The next len(responses) sends to `provider` are answered with the first one's status (and
        Retry-After), the provider's own error body: one fault, as every matching fault strikes at once."""
        first = responses[0]
        fault = {"provider": provider, "endpoint": "send", "kind": "status", "status": first.status_code,
                 "times": len(responses)}
        if "retry-after" in first.headers:
            fault["retry_after"] = int(first.headers["retry-after"])
        self.ok(self.control.post("/_smsproof/faults", json=fault), 201)

    @property
    def requests(self) -> list[dict]:
        """Every send request the fakes received (journal entries, failed ones included)."""
        entries = self.ok(self.control.get("/_smsproof/journal", params={"kind": "mt_request"}))["entries"]
        return [e for e in entries if e["endpoint"] == "send"]

    @property
    def sent(self) -> list[dict]:
        return [self._accepted(e) for e in self.requests if e["status"] < 300]

    @staticmethod
    def _accepted(entry: dict) -> dict:
        provider, body, answer = entry["provider"], entry["request_body"], entry["response_body"]
        if provider == "sinch":
            return {"provider": provider, "to": body["to"][0], "from": body["from"], "body": body["body"],
                    "id": answer["id"], "callback_url": body.get("callback_url")}
        if provider == "cm":
            msg = body["messages"]["msg"][0]
            return {"provider": provider, "to": msg["to"][0]["number"], "from": msg["from"],
                    "body": msg["body"]["content"], "id": msg.get("reference"), "reference": msg.get("reference")}
        return {"provider": provider, "to": body["to"], "from": body["from"], "body": body["text"],
                "id": answer["entity"]["id"], "clientId": body.get("clientId")}

    def to(self, phone: str) -> list[dict]:
        digits = phone.lstrip("+")
        return [m for m in self.sent if m["to"].lstrip("+").removeprefix("00") == digits]

    def advance(self, seconds):
        """Move the fakes' clock: handset outcomes and delivery reports due by then are delivered."""
        return self.ok(self.control.post("/_smsproof/clock/advance", json={"seconds": seconds}))

    def inbound(self, sender, body, to=LONG_CODE, provider="sinch"):
        """A reply from a handset, delivered by the fake to the account owning `to`."""
        return self.ok(self.control.post("/_smsproof/inbound", json={"provider": provider, "from": sender,
                                                                     "to": to, "body": body}), 201)


class Driven:
    """One workspace of a platform, driven over the driver API."""

    def __init__(self, client: TestClient, providers: Providers):
        self.client, self.providers = client, providers
        created = client.post("/driver/v1/workspaces")
        assert created.status_code == 201
        self.ws = created.json()["workspace"]
        self.webhooks = created.json()["webhooks"]
        providers.platform = client
        providers.accounts(self.webhooks)
        self.prefix = f"/driver/v1/workspaces/{self.ws}"
        self._mo_ids = itertools.count(1)
        self.set_clock(T0)

    def url(self, path):
        return self.prefix + path

    def ok(self, response, status=200):
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    def configure(self, update=None, **keys):
        update = {**(update or {}), **keys}
        return self.ok(self.client.put(self.url("/config"), json=update))

    def put_config(self, update):
        return self.client.put(self.url("/config"), json=update)

    def customer(self, phone="+34600000001", **fields):
        fields.setdefault("consents", {"sms_marketing": "accept"})
        fields.setdefault("sms_subscription", "subscribed")
        return self.ok(self.client.post(self.url("/customers"), json={"phone": phone, **fields}), 201)

    def get_customer(self, cid):
        return self.ok(self.client.get(self.url(f"/customers/{cid}")))

    def consent(self, cid, category, action):
        return self.ok(self.client.post(self.url(f"/customers/{cid}/consents"),
                                        json={"category": category, "action": action}), 201)

    def send_raw(self, **request):
        request.setdefault("kind", "campaign")
        request.setdefault("category", "sms_marketing" if request["kind"] == "campaign" else None)
        return self.client.post(self.url("/sends"), json=request)

    def send(self, customers, body="Hello {{ first_name }}", **request):
        ids = [c["id"] if isinstance(c, dict) else c for c in customers]
        return self.ok(self.send_raw(customer_ids=ids, body=body, **request))["outcomes"]

    def send_one(self, customer, body="Hello", **request):
        return self.send([customer], body, **request)[0]

    def set_clock(self, now):
        return self.ok(self.client.put(self.url("/clock"), json={"now": now}))

    def advance(self, seconds):
        return self.ok(self.client.post(self.url("/clock/advance"), json={"seconds": seconds}))

    def now(self):
        return self.ok(self.client.get(self.url("/clock")))["now"]

    def events(self, customer_id=None, type=None):
        params = {k: v for k, v in {"customer_id": customer_id, "type": type}.items() if v}
        return self.ok(self.client.get(self.url("/events"), params=params))["events"]

    def campaign_events(self, customer_id=None, status=None):
        return [e for e in self.events(customer_id, "campaign") if status in (None, e["status"])]

    def opt_outs(self):
        return self.ok(self.client.get(self.url("/opt-outs")))

    def received(self, cid, **params):
        return self.ok(self.client.get(self.url(f"/customers/{cid}/received"), params=params))["count"]

    def queue(self):
        return self.ok(self.client.get(self.url("/contact-centre/queue")))["interactions"]

    def agent_message(self, to, body="Hello from the agent"):
        return self.ok(self.client.post(self.url("/contact-centre/messages"), json={"to": to, "body": body}))

    # provider callbacks, in each provider's format -----------------------------------------

    def post_webhook(self, provider, kind, payload=None, content=None, headers=None):
        path = f"/webhooks/{self.ws}/{provider}/{kind}"
        if content is None:
            content = json.dumps(payload)
        return self.client.post(path, content=content, headers={"Content-Type": "application/json", **(headers or {})})

    def mo(self, sender, body, to=LONG_CODE, provider="sinch", message_id=None, received_at=None, headers=None):
        message_id = message_id or f"mo-{next(self._mo_ids)}"
        received_at = received_at or self.now()
        if provider == "sinch":
            payload = {"type": "mo_text", "id": message_id, "from": sender.lstrip("+"), "to": to.lstrip("+"),
                       "body": body, "received_at": received_at, "operator_id": "26201"}
        elif provider == "cm":
            payload = {"reference": None, "messageContext": None, "from": {"number": sender, "name": None},
                       "to": {"number": to}, "message": {"text": body}, "groupings": ["", "", ""],
                       "timeUtc": received_at[:19], "channel": "SMS", "id": message_id}
        else:
            payload = {"id": message_id, "from": sender, "to": to, "message": body, "receivedAt": received_at}
        response = self.post_webhook(provider, "mo", payload, headers=headers)
        assert response.status_code == 200, response.text
        return payload

    def dlr(self, message, status="Delivered", code=0):
        """A delivery report posted by hand (webhook parsing) for an MT the fakes accepted (a bounce: Sinch Failed/402,
        CM Failed/errorCode 9, Instasent failed/4, as the fakes report it)."""
        provider = message["provider"]
        if provider == "sinch":
            payload = {"type": "recipient_delivery_report_sms", "batch_id": message["id"],
                       "recipient": message["to"].lstrip("+"), "code": code, "status": status, "at": self.now()}
        elif provider == "cm":
            status_code = {"Delivered": "2", "Failed": "3", "Expired": "3", "Rejected": "1"}[status]
            error_code = {"Expired": "6"}.get(status, str(code or ""))
            payload = {"messages": {"msg": {"received": self.now()[:19], "to": message["to"],
                                            "reference": message["reference"],
                                            "status": {"code": status_code, "errorCode": error_code,
                                                       "errorDescription": ""},
                                            "operator": "20404"}}}
        else:
            payload = {"id": message["id"], "clientId": message["clientId"], "status": status.lower(), "code": code,
                       "eventAt": self.now()}
        response = self.post_webhook(provider, "dlr", payload)
        assert response.status_code == 200, response.text
        return payload




@contextlib.contextmanager
def provider_fakes() -> Iterator[Providers]:
    """The provider fakes in-process; callbacks to http://platform.test reach the latest platform. The
    platform router is started first and mocks only platform.test (assert_all_mocked), so every other
    request falls through to the fakes' router."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as platform_router, \
            fake_providers_routed() as fakes:
        yield Providers(fakes, platform_router)


@contextlib.contextmanager
def driven_platform(mutant=None, config=BASE_CONFIG) -> Iterator[Driven]:
    """A fresh platform (or mutant) with one configured workspace, against fresh fakes."""
    # Not entered as a context manager: each request then gets its own event loop, so a callback from
    # the fakes can reach the platform while the platform waits on the fakes (one shared loop deadlocks).
    client = TestClient(reference.create_app(mutant=mutant), base_url=f"http://{PLATFORM_HOST}")
    try:
        with provider_fakes() as providers:
            driven = Driven(client, providers)
            if config:
                driven.configure(config)
            yield driven
    finally:
        client.close()
