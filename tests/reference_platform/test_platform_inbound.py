"""Inbound robustness: duplicate callbacks, Sinch signatures, malformed callbacks; CM and Instasent inbound."""

import base64
import hashlib
import hmac
import json

import pytest

PHONE = "+34600000001"
SECRET = "KayakingTheSwell"


def signed_headers(body: str, secret=SECRET, nonce="nonce123", timestamp="1717660357"):
    digest = hmac.new(secret.encode(), f"{body}.{nonce}.{timestamp}".encode(), hashlib.sha256).digest()
    return {"X-Sinch-Webhook-Signature": base64.b64encode(digest).decode(),
            "X-Sinch-Webhook-Signature-Nonce": nonce, "X-Sinch-Webhook-Signature-Timestamp": timestamp}


def sinch_mo(body="STOP", message_id="01W4FFL35P4NC4K35SMSBATCH8"):
    return json.dumps({"type": "mo_text", "id": message_id, "from": "34600000001", "to": "4915112348765",
                       "body": body, "received_at": "2026-01-05T10:00:00.000Z"})


def test_duplicate_mo_is_processed_once(p):
    customer = p.customer(PHONE)
    p.mo(PHONE, "hello", message_id="m1")
    p.mo(PHONE, "hello", message_id="m1")
    p.mo(PHONE, "hello", message_id="m2")
    assert len(p.campaign_events(customer["id"], "incoming_message")) == 2


def test_duplicate_opt_out_reply_gives_one_set_of_events(p):
    customer = p.customer(PHONE)
    p.mo(PHONE, "STOP", message_id="m1")
    p.mo(PHONE, "STOP", message_id="m1")
    p.advance(3600)
    assert len([e for e in p.events(customer["id"], "consent") if e["source"] == "sms_reply"]) == 1
    assert len(p.campaign_events(customer["id"], "incoming_message")) == 1


def test_duplicate_delivery_report_is_processed_once(p):
    customer = p.customer(PHONE)
    p.send_one(customer)
    p.dlr(p.providers.sent[0])
    p.dlr(p.providers.sent[0])
    assert [e["status"] for e in p.campaign_events(customer["id"])] == ["enqueued", "delivered"]


def test_sinch_signature_verified_when_a_secret_is_configured(p):
    p.configure(providers={"sinch": {"webhook_secret": SECRET}})
    customer = p.customer(PHONE)
    body = sinch_mo()
    assert p.post_webhook("sinch", "mo", content=body).status_code == 401
    forged = signed_headers(body, secret="guess")
    assert p.post_webhook("sinch", "mo", content=body, headers=forged).status_code == 401
    tampered = signed_headers(body)
    assert p.post_webhook("sinch", "mo", content=sinch_mo("hello"), headers=tampered).status_code == 401
    assert p.opt_outs()["blacklist"] == [] and p.events(customer["id"], "campaign") == []
    assert p.post_webhook("sinch", "mo", content=body, headers=signed_headers(body)).status_code == 200
    assert len(p.opt_outs()["blacklist"]) == 1


def test_signature_vector_from_the_sinch_sdk(p):
    body = ('{"type":"mo_text","id":"01W4FFL35P4NC4K35SMSBATCH8","from":"12015555555","to":"12017777777",'
            '"body":"Hello","received_at":"2024-06-06T07:52:37.386Z","operator_id":"311071"}')
    assert signed_headers(body)["X-Sinch-Webhook-Signature"] == "91JKNrp0Tai1iDVyq4d3vvlhBAox9r+KcSOVZYlcLVQ="
    p.configure(providers={"sinch": {"webhook_secret": SECRET}})
    assert p.post_webhook("sinch", "mo", content=body, headers=signed_headers(body)).status_code == 200


@pytest.mark.parametrize("provider,kind,content", [
    ("sinch", "mo", "not json"),
    ("sinch", "mo", json.dumps({"type": "mo_text", "from": "34600000001", "body": "STOP"})),
    ("sinch", "mo", json.dumps(["STOP"])),
    ("sinch", "mo", json.dumps({"type": "mo_text", "id": "x", "from": "34600000001", "to": "1", "body": "STOP",
                                "received_at": "yesterday"})),
    ("sinch", "dlr", json.dumps({"type": "recipient_delivery_report_sms", "status": "Delivered"})),
    ("sinch", "dlr", json.dumps({"type": "something_else"})),
    ("cm", "mo", json.dumps({"from": {"number": PHONE}, "message": {"text": "STOP"}})),
    ("cm", "dlr", json.dumps({"messages": {"msg": {"to": PHONE}}})),
    ("instasent", "mo", json.dumps({"from": PHONE, "message": "STOP"})),
    ("instasent", "dlr", json.dumps({"status": "delivered"})),
    ("instasent", "dlr", b"\xff\xfe"),
])
def test_malformed_callbacks_get_400_and_change_nothing(p, provider, kind, content):
    customer = p.customer(PHONE)
    response = p.post_webhook(provider, kind, content=content)
    assert response.status_code == 400 and response.json()["error"] == "malformed"
    assert p.opt_outs()["blacklist"] == []
    assert p.events(customer["id"], "campaign") == []


def test_unknown_workspace_webhook_is_404(p):
    response = p.client.post("/webhooks/ws_nope/sinch/mo", json={})
    assert response.status_code == 404


def test_delivery_report_for_an_unknown_message_is_accepted_and_ignored(p):
    payload = {"type": "recipient_delivery_report_sms", "batch_id": "unknown", "recipient": "34600000001",
               "code": 0, "status": "Delivered", "at": "2026-01-05T10:00:00.000Z"}
    assert p.post_webhook("sinch", "dlr", payload).status_code == 200
    assert p.events() == []


@pytest.mark.parametrize("provider", ["cm", "instasent"])
def test_opt_out_over_cm_and_instasent(p, provider):
    p.configure(inbound_numbers=[{"number": "+4915112348765", "type": "long_code", "provider": provider}])
    customer = p.customer(PHONE)
    p.send_one(customer, provider=provider)
    p.mo("00" + PHONE[1:], "Arrêt", provider=provider)
    outcome = p.send_one(customer, provider=provider)
    assert outcome["reason"] == "blacklisted"
    p.advance(3600)
    [incoming] = p.campaign_events(customer["id"], "incoming_message")
    assert incoming["sender"] == PHONE and incoming["recipient"] == "+4915112348765"


@pytest.mark.parametrize("provider", ["cm", "instasent"])
def test_delivery_reports_over_cm_and_instasent(p, provider):
    customer = p.customer(PHONE)
    p.send_one(customer, provider=provider)
    p.dlr(p.providers.sent[0], "Delivered")
    assert [e["status"] for e in p.campaign_events(customer["id"])] == ["enqueued", "delivered"]
    assert p.received(customer["id"]) == 1


def test_instasent_accepts_both_kinds_on_both_paths(p):
    customer = p.customer(PHONE)
    p.send_one(customer, provider="instasent")
    sent = p.providers.sent[0]
    assert p.post_webhook("instasent", "mo", {"id": sent["id"], "clientId": sent["clientId"],
                                              "status": "delivered", "code": 0}).status_code == 200
    assert p.post_webhook("instasent", "dlr", {"id": "in-1", "from": PHONE, "to": "+4915112348765",
                                               "message": "hello"}).status_code == 200
    assert [e["status"] for e in p.campaign_events(customer["id"])] == ["enqueued", "delivered", "incoming_message"]
