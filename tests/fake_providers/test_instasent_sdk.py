"""The official Instasent client (instasent==0.1.4), unchanged apart from its base URL, against the
fakes served by uvicorn on 127.0.0.1 (clients.md §1.3): it sends, reads back by id and lists with
its malformed `page=1per_page=10` query, and gets JSON it can parse on every error."""
import json

import httpx
import instasent
import pytest
import requests

from fake_providers.app import create_app
from fake_providers.testing import running_server

pytestmark = pytest.mark.sdk


@pytest.fixture
def served(network):
    with running_server(create_app(network)) as base:
        with httpx.Client(base_url=base) as control:
            control.post("/_smsproof/clock", json={"mode": "virtual", "now": "2026-01-05T10:00:00.000Z"})
            control.put("/_smsproof/accounts/instasent/ITOKEN", json={
                "dlr_callback_url": "http://platform/instasent/hook", "numbers": [{"number": "+34911234567"}]})
            yield base, control


def sdk_client(base, token="ITOKEN"):
    client = instasent.Client(token)
    client.secureChannel = base + "/"
    return client


def test_instasent_sdk_sends_and_reads_back(served, receiver):
    base, control = served
    client = sdk_client(base)
    sent = client.send_sms("Shop", "+34600000010", "Hello from the SDK", client_id="dropped-by-the-sdk")
    assert sent["response_code"] == 201
    entity = sent["response_body"]["entity"]
    assert (entity["to"], entity["text"], entity["status"], entity["clientId"]) == (
        "+34600000010", "Hello from the SDK", "enqueued", None)
    second = client.send_sms("Shop", "+34600000011", "second")["response_body"]["entity"]
    got = client.get_sms_by_id(entity["id"])
    assert got["response_code"] == 200
    assert got["response_body"]["entity"] | {"status": "enqueued"} == entity  # or already "sent"
    listed = client.get_sms(page=1, per_page=10)
    assert listed["response_code"] == 200
    assert [e["id"] for e in listed["response_body"]["entities"]] == [second["id"], entity["id"]]
    assert [e["id"] for e in client.get_sms(page=2, per_page=1)["response_body"]["entities"]] == [entity["id"]]
    [request] = [e for e in control.get("/_smsproof/journal", params={"kind": "mt_request"}).json()["entries"]
                 if e["endpoint"] == "list" and e["query"] == "page=1per_page=10"]
    assert request["status"] == 200 and request["account"] == "ITOKEN"
    control.post("/_smsproof/clock/advance", json={"seconds": 5})
    assert client.get_sms_by_id(entity["id"])["response_body"]["entity"]["status"] == "delivered"
    statuses = [json.loads(b)["status"] for b in receiver.bodies("/instasent/hook")]
    assert statuses == ["sent", "sent", "delivered", "delivered"]


def test_instasent_sdk_errors_are_json(served):
    base, control = served
    assert sdk_client(base, "wrong").send_sms("Shop", "+34600000010", "x")["response_code"] == 401
    assert sdk_client(base, "wrong").get_sms()["response_body"]["message"]
    client = sdk_client(base)
    missing = client.get_sms_by_id("0" * 24)
    assert missing["response_code"] == 404 and "message" in missing["response_body"]
    invalid = client.send_sms("Shop", "not a number", "x")
    assert invalid["response_code"] == 400 and list(invalid["response_body"]["errors"]) == ["to"]


def test_drop_connection_fault_reaches_the_sdk(served):
    base, control = served
    control.post("/_smsproof/faults", json={"provider": "instasent", "endpoint": "send",
                                            "kind": "drop_connection", "times": 1})
    with pytest.raises((requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
        sdk_client(base).send_sms("Shop", "+34600000010", "x")
    assert sdk_client(base).send_sms("Shop", "+34600000010", "x")["response_code"] == 201
    assert len(control.get("/_smsproof/messages").json()["messages"]) == 1


def test_transactional_api_over_http(served):
    base, control = served
    response = httpx.post(f"{base}/transactional/v1/sms/bulk", headers={"Authorization": "Bearer ITOKEN"},
                          json=[{"from": "Shop", "to": "+34600000010", "text": "one", "clientId": "t1"},
                                {"from": "Shop", "to": "+34600000011", "text": "two 😀", "allowUnicode": True}])
    assert response.status_code == 201
    assert [e["encoding"] for e in response.json()["entities"]] == ["GSM", "UCS2"]
