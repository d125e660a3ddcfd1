"""Helpers to drive the reference platform in-process over its driver API; providers are respx mocks of
their HTTP APIs (recording every MT), callbacks are posted to the platform's webhooks in each
provider's format. Tests against the fakes themselves live in test_platform_against_fakes.py."""

import itertools
import json
import warnings

import httpx
import respx

warnings.filterwarnings("ignore", message=".*starlette.testclient.*")
from starlette.testclient import TestClient  # noqa: E402

from reference_platform.adapter import platform as reference  # noqa: E402

T0 = "2026-01-05T10:00:00.000Z"  # a Monday
SINCH = "http://sinch.test"
CM = "http://cm.test"
INSTASENT = "http://instasent.test"
LONG_CODE = "+4915112348765"
PROVIDERS = {
    "sinch": {"base_url": SINCH, "service_plan_id": "SP1", "api_token": "TOKEN1"},
    "cm": {"base_url": CM, "product_token": "00000000-0000-0000-0000-000000000001"},
    "instasent": {"base_url": INSTASENT, "token": "ITOKEN"},
}
BASE_CONFIG = {
    "providers": PROVIDERS,
    "default_provider": "sinch",
    "inbound_numbers": [{"number": LONG_CODE, "type": "long_code", "provider": "sinch"}],
    "two_way": {"track_incoming": True, "opt_out_enabled": True, "keywords": ["stop", "arret"],
                "categories": ["sms_marketing"]},
    "consent_categories": [{"name": "sms_marketing", "legal_basis": "consent"}],
    "sending": {"sender": "Shop"},
}


class ProviderMocks:
    """respx routes for the three provider APIs; every accepted MT lands in `sent`."""

    def __init__(self, router: respx.MockRouter):
        self.sent: list[dict] = []
        self.requests: list[httpx.Request] = []
        self.answers: dict[str, list[httpx.Response]] = {"sinch": [], "cm": [], "instasent": []}
        self._ids = itertools.count(1)
        router.post(url__regex=rf"{SINCH}/xms/v1/[^/]+/batches").mock(side_effect=self._sinch)
        router.post(f"{CM}/v1.0/message").mock(side_effect=self._cm)
        router.post(f"{INSTASENT}/sms").mock(side_effect=self._instasent)

    def fail_next(self, provider: str, *responses: httpx.Response):
        self.answers[provider].extend(responses)

    def _answer(self, provider, request):
        self.requests.append(request)
        if self.answers[provider]:
            return self.answers[provider].pop(0)
        return None

    def _record(self, provider, to, sender, body, **extra):
        message_id = f"{provider}-{next(self._ids)}"
        self.sent.append({"provider": provider, "to": to, "from": sender, "body": body, "id": message_id, **extra})
        return message_id

    def _sinch(self, request):
        forced = self._answer("sinch", request)
        if forced is not None:
            return forced
        if request.headers.get("authorization") != "Bearer TOKEN1":
            return httpx.Response(401)
        body = json.loads(request.content)
        message_id = self._record("sinch", body["to"][0], body["from"], body["body"],
                                  callback_url=body.get("callback_url"))
        return httpx.Response(201, json={"id": message_id, "to": body["to"], "from": body["from"],
                                         "body": body["body"], "type": "mt_text", "canceled": False})

    def _cm(self, request):
        forced = self._answer("cm", request)
        if forced is not None:
            return forced
        body = json.loads(request.content)["messages"]
        if body["authentication"]["producttoken"] != PROVIDERS["cm"]["product_token"]:
            return httpx.Response(400, json={"details": "No account found for the given authentication",
                                             "errorCode": 101, "messages": []})
        msg = body["msg"][0]
        number = msg["to"][0]["number"]
        self._record("cm", number, msg["from"], msg["body"]["content"], reference=msg["reference"])
        return httpx.Response(200, json={"details": "Created 1 message(s)", "errorCode": 0, "messages": [
            {"to": number, "status": "Accepted", "reference": msg["reference"], "parts": 1,
             "messageDetails": None, "messageErrorCode": 0}]})

    def _instasent(self, request):
        forced = self._answer("instasent", request)
        if forced is not None:
            return forced
        if request.headers.get("authorization") != "Bearer ITOKEN":
            return httpx.Response(401)
        body = json.loads(request.content)
        message_id = self._record("instasent", body["to"], body["from"], body["text"], clientId=body.get("clientId"))
        return httpx.Response(201, json={"entity": {"id": message_id, "clientId": body.get("clientId"),
                                                    "from": body["from"], "to": body["to"], "text": body["text"],
                                                    "status": "enqueued"}})

    def to(self, phone: str) -> list[dict]:
        digits = phone.lstrip("+")
        return [m for m in self.sent if m["to"].lstrip("+").removeprefix("00") == digits]


class Driven:
    """One workspace of a platform, driven over the driver API."""

    def __init__(self, client: TestClient, providers: ProviderMocks):
        self.client, self.providers = client, providers
        created = client.post("/driver/v1/workspaces")
        assert created.status_code == 201
        self.ws = created.json()["workspace"]
        self.webhooks = created.json()["webhooks"]
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
        """A delivery report for an MT recorded by the provider mocks (a bounce: Sinch Failed/63,
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


