"""The official CM client (cm-text-sdk-python), unchanged apart from its gateway URL, against the
fakes served by uvicorn on 127.0.0.1 (clients.md §1.2); what it sent is read back through the
control API and the status reports the fake posted."""
import json

import httpx
import pytest
from cm_text import TextClient

from fake_providers.app import create_app
from fake_providers.testing import running_server

pytestmark = pytest.mark.sdk
TOKEN = "00000000-0000-0000-0000-0000000000c1"


@pytest.fixture
def served(network):
    with running_server(create_app(network)) as base:
        with httpx.Client(base_url=base) as control:
            control.post("/_smsproof/clock", json={"mode": "virtual", "now": "2026-01-05T10:00:00.000Z"})
            control.put(f"/_smsproof/accounts/cm/{TOKEN}", json={
                "mo_callback_url": "http://platform/cm/mo", "dlr_callback_url": "http://platform/cm/dlr",
                "numbers": [{"number": "+3197010000000"}]})
            yield base, control


def test_cm_sdk_sends_and_reads_back(served, receiver):
    base, control = served
    client = TextClient(TOKEN, gateway=f"{base}/v1.0/message")
    response = client.SendSingleMessage("Hello from the SDK", "Shop", ["0034600000010"], reference="r1")
    assert response.status_code == 200
    assert response.json() == {"details": "Created 1 message(s)", "errorCode": 0, "messages": [
        {"to": "0034600000010", "status": "Accepted", "reference": "r1", "parts": 1,
         "messageDetails": None, "messageErrorCode": 0}]}
    [message] = control.get("/_smsproof/messages", params={"provider": "cm"}).json()["messages"]
    assert (message["to"], message["from"], message["body"]) == ("0034600000010", "Shop", "Hello from the SDK")
    [request] = control.get("/_smsproof/journal", params={"kind": "mt_request"}).json()["entries"]
    assert request["account"] == TOKEN
    assert request["request_body"]["messages"]["msg"][0]["body"]["type"] == "AUTO"
    control.post("/_smsproof/clock/advance", json={"seconds": 5})
    reports = [json.loads(b)["messages"]["msg"] for b in receiver.bodies("/cm/dlr")]
    assert [(r["reference"], r["status"]["code"]) for r in reports] == [("r1", "0"), ("r1", "2")]
    control.post("/_smsproof/inbound", json={"provider": "cm", "from": "+34600000010",
                                             "to": "+3197010000000", "body": "STOP"})
    [mo] = [json.loads(b) for b in receiver.bodies("/cm/mo")]
    assert mo["reference"] == "r1" and mo["groupings"][2] == "text-sdk-python-2.0.4"


def test_cm_sdk_batch_with_a_bad_recipient_is_a_partial_success(served):
    base, control = served
    client = TextClient(TOKEN, gateway=f"{base}/v1.0/message")
    client.AddMessage("Grüße 😀 " * 10, from_="Shop", to=["0034600000010", "00346000000xx"], reference="a")
    client.AddMessage("second", from_="Shop", to=["+34600000011"], reference="b")
    response = client.send()
    assert response.status_code == 200 and response.json()["errorCode"] == 201
    assert [(m["status"], m["parts"], m["messageErrorCode"]) for m in response.json()["messages"]] == [
        ("Accepted", 2, 0), ("Rejected", 0, 303), ("Accepted", 1, 0)]
    encodings = [m["encoding"] for m in control.get("/_smsproof/messages").json()["messages"]]
    assert encodings == ["UCS2", "GSM"]


def test_cm_sdk_with_a_wrong_token_gets_cm_error_body(served):
    base, control = served
    response = TextClient("00000000-0000-0000-0000-00000000dead",
                          gateway=f"{base}/v1.0/message").SendSingleMessage("x", "Shop", ["0034600000010"])
    assert response.status_code == 400
    assert response.json() == {"details": "No account found for the given authentication",
                               "errorCode": 101, "messages": []}
