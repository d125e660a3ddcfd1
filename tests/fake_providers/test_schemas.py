"""Every response the fakes give and every callback they send validates against the project's
schemas written from the providers' published specs (fake_providers/schemas): one scenario per
provider drives every endpoint with its successes, errors and faults, and every handset outcome,
then each journaled response and each received callback is checked."""
import base64
import json

import pytest

from fake_providers.schemas import check_callback, check_response, schema

pytestmark = pytest.mark.anyio
PHONES = ["+34600000010", "+34600000001", "+34600000002", "+34600000003", "+34600000004"]


async def advance(client, seconds):
    assert (await client.post("/_smsproof/clock/advance", json={"seconds": seconds})).status_code == 200


async def fault(client, provider, endpoint, status):
    response = await client.post("/_smsproof/faults", json={
        "provider": provider, "endpoint": endpoint, "kind": "status", "status": status, "times": 1})
    assert response.status_code in (200, 201)


async def inbound(client, provider, to, body="hello", **details):
    response = await client.post("/_smsproof/inbound", json={
        "provider": provider, "from": "+34600000010", "to": to, "body": body, "details": details})
    assert response.status_code == 201


async def sinch_scenario(c):
    auth = {"Authorization": "Bearer T1"}
    await c.put("/_smsproof/accounts/sinch/SP1", json={
        "api_token": "T1", "key_id": "K", "key_secret": "S",
        "mo_callback_url": "http://platform/sinch/mo", "dlr_callback_url": "http://platform/sinch/dlr",
        "options": {"report_operator": True, "smart_encoding": True},
        "numbers": [{"number": "+4915112348765"}, {"number": "11221", "type": "short_code"}]})
    await c.put("/_smsproof/accounts/sinch/SP2", json={
        "api_token": "T2", "dlr_callback_url": "http://platform/sinch/dlr",
        "options": {"default_originator": "+4915112348766", "dispatched_reports": False}})
    base = "/xms/v1/SP1"
    basic = "Basic " + base64.b64encode(b"K:S").decode()
    await c.post("/oauth2/token", data={"grant_type": "client_credentials"}, headers={"Authorization": basic})
    await c.post("/oauth2/token", data={"grant_type": "password"}, headers={"Authorization": basic})
    await c.post("/oauth2/token", data={"grant_type": "client_credentials"}, headers={"Authorization": "Basic eDp5"})
    group = (await c.post(f"{base}/groups", headers=auth, json={"name": "g", "members": PHONES[:2]})).json()
    await c.get(f"{base}/groups", headers=auth)
    await c.get(f"{base}/groups/{group['id']}", headers=auth)
    await c.get(f"{base}/groups/{group['id']}/members", headers=auth)
    other = (await c.post(f"{base}/groups", headers=auth, json={"members": PHONES[2:4], "auto_update": {
        "to": "11221", "add": {"first_word": "news", "second_word": "join"}, "remove": {"first_word": "stop"}}})).json()
    await c.post(f"{base}/groups/{group['id']}", headers=auth, json={
        "name": None, "add": PHONES[4:], "remove": [PHONES[4]], "add_from_group": other["id"]})
    await c.put(f"{base}/groups/{other['id']}", headers=auth, json={"name": "h", "members": PHONES[:1],
                                                                     "child_groups": [group["id"]]})
    await c.post(f"{base}/groups/{group['id']}", headers=auth, json={"add_from_group": "01FC66621VHDBN119Z8PMV1QPU"})
    await c.put(f"{base}/groups/{other['id']}", headers=auth, json={"members": ["+1"]})
    for mode in ("per_recipient", "full", "summary", "per_recipient_final"):
        await c.post(f"{base}/batches", headers=auth, json={
            "to": PHONES, "from": "Shop", "body": "Hi ${name}", "delivery_report": mode,
            "client_reference": mode, "max_number_of_message_parts": 2,
            "parameters": {"name": {"default": "you"}}})
    sent = (await c.post(f"{base}/batches", headers=auth, json={
        "to": [group["id"]], "from": "+4915112348765", "body": "Hello ünicode",
        "send_at": "2026-01-05T12:00:00Z", "delivery_report": "full"})).json()
    await c.post("/xms/v1/SP2/batches", headers={"Authorization": "Bearer T2"},
                 json={"to": PHONES[:1], "body": "x", "delivery_report": "per_recipient"})
    await c.post(f"{base}/batches", headers=auth, json={
        "to": PHONES[:1], "from": "Shop", "type": "mt_binary", "body": "AQI=", "udh": "050003010201"})
    await c.post(f"{base}/batches/{sent['id']}", headers=auth, json={"to_add": ["+34600000020"]})
    await c.put(f"{base}/batches/{sent['id']}", headers=auth, json={"to": PHONES[:1], "from": "S", "body": "r"})
    await c.delete(f"{base}/batches/{sent['id']}", headers=auth)
    await c.post(f"{base}/batches/dry_run", params={"per_recipient": "true"}, headers=auth,
                 json={"to": PHONES, "from": "S", "body": "ç" * 80})
    await c.get(f"{base}/batches", headers=auth)
    await c.get(f"{base}/batches/{sent['id']}", headers=auth)
    await c.post(f"{base}/batches/{sent['id']}/delivery_feedback", headers=auth, json={"recipients": []})
    await inbound(c, "sinch", "+4915112348765")
    await inbound(c, "sinch", "11221", "AQI=", udh="0500030102")
    await advance(c, 3 * 3600)
    await c.get(f"{base}/batches/{sent['id']}/delivery_report", params={"type": "full"}, headers=auth)
    await c.get(f"{base}/batches/{sent['id']}/delivery_report/{PHONES[0]}", headers=auth)
    await c.get(f"{base}/delivery_reports", headers=auth)
    inbounds = (await c.get(f"{base}/inbounds", headers=auth)).json()
    await c.get(f"{base}/inbounds/{inbounds['inbounds'][0]['id']}", headers=auth)
    await c.delete(f"{base}/groups/{group['id']}", headers=auth)
    # errors
    await c.post(f"{base}/batches", headers=auth, json={"to": ["+1"], "from": "S", "body": "x"})
    await c.post(f"{base}/batches", headers=auth, json={"to": ["01FC66621VHDBN119Z8PMV1QPU"], "from": "S", "body": "x"})
    await c.post(f"{base}/batches", headers=auth, content=b"{", )
    await c.post(f"{base}/batches", headers={**auth, "Content-Type": "application/json"}, content=b"{")
    await c.post(f"{base}/batches", headers={"Authorization": "Bearer nope"}, json={})
    await c.get(f"{base}/batches/nope", headers=auth)
    await fault(c, "sinch", "send", 429)
    await c.post(f"{base}/batches", headers=auth, json={"to": PHONES[:1], "from": "S", "body": "x"})
    await fault(c, "sinch", "list", 503)
    await c.get(f"{base}/batches", headers=auth)


async def cm_scenario(c):
    token, other = "00000000-0000-0000-0000-0000000000c1", "00000000-0000-0000-0000-0000000000c2"
    for account, options in ((token, {}), (other, {"status_report_format": "xml", "mo_format": "legacy"})):
        await c.put(f"/_smsproof/accounts/cm/{account}", json={
            "mo_callback_url": "http://platform/cm/mo", "dlr_callback_url": "http://platform/cm/dlr",
            "options": options, "numbers": [{"number": "+319701000000" + account[-1]}]})
    await c.put("/_smsproof/outcomes/+34600000005", json={"outcome": "delivered", "rejection": 401})

    def send(account, *msgs):
        return c.post("/v1.0/message", json={"messages": {"authentication": {"producttoken": account},
                                                         "msg": list(msgs)}})
    msg = {"from": "Shop", "to": [{"number": "00" + p[1:]} for p in PHONES + ["+34600000005"]],
           "body": {"type": "AUTO", "content": "Hello"}, "reference": "r1"}
    await send(token, msg)
    await send(other, msg)
    await send(token, {**msg, "to": [{"number": "abc"}]}, {**msg, "body": {"content": ""}})
    await send("nope")
    await c.post("/v1.0/message", content=b"{")
    await c.put(f"/_smsproof/accounts/cm/{token}", json={
        "mo_callback_url": "http://platform/cm/mo", "dlr_callback_url": "http://platform/cm/dlr",
        "options": {"rejection": 102}, "numbers": [{"number": "+3197010000001"}]})
    await send(token, msg)
    await fault(c, "cm", "send", 500)
    await send(other, msg)
    await inbound(c, "cm", "+3197010000001")
    await inbound(c, "cm", "+3197010000002")
    await advance(c, 3600)


async def instasent_scenario(c):
    await c.put("/_smsproof/accounts/instasent/ITOKEN", json={
        "mo_callback_url": "http://platform/instasent/mo", "dlr_callback_url": "http://platform/instasent/dlr",
        "options": {"rate_limit": 4}, "numbers": [{"number": "+34911234567"}]})
    await c.put("/_smsproof/accounts/instasent/POOR", json={"options": {"no_funds": True}})
    auth = {"Authorization": "Bearer ITOKEN"}
    await c.put("/_smsproof/outcomes/+34600000004", json={"outcome": "failed", "report_status": "buffered"})
    sent = (await c.post("/sms", headers=auth, json={"from": "Shop", "to": PHONES[0], "text": "Hi",
                                                     "clientId": "c1"})).json()
    await c.post("/sms/bulk", headers=auth, json=[{"from": "Shop", "to": p, "text": "€ ok", "allowUnicode": True}
                                                 for p in PHONES[1:]] + [{"from": "", "to": "x"}])
    await c.get("/sms", headers=auth)
    await c.get(f"/sms/{sent['entity']['id']}", headers=auth)
    await c.get("/sms/nope", headers=auth)
    for _ in range(4):
        await c.get("/sms", headers=auth)  # past the limit: 429
    await c.post("/sms", headers=auth, content=b"{")
    await c.post("/sms", headers={"Authorization": "Bearer POOR"}, json={"from": "S", "to": PHONES[0], "text": "x"})
    await c.post("/sms", headers={"Authorization": "Bearer nope"}, json={})
    await c.post("/sms/bulk", headers=auth, json=[{"from": "S", "to": PHONES[0], "text": "x"}] * 101)
    await inbound(c, "instasent", "+34911234567", "STOP")
    await fault(c, "instasent", "get", 500)
    await c.get(f"/sms/{sent['entity']['id']}", headers=auth)
    await advance(c, 3600)


SCENARIOS = {"sinch": sinch_scenario, "cm": cm_scenario, "instasent": instasent_scenario}


@pytest.mark.parametrize("provider", sorted(SCENARIOS))
async def test_every_response_and_callback_validates(virtual, receiver, provider):
    answers = []

    async def keep(response):
        if not response.request.url.path.startswith("/_smsproof"):
            answers.append(response)
    virtual.event_hooks["response"].append(keep)
    await SCENARIOS[provider](virtual)
    assert answers
    for header in schema(provider).get("x-headers", []):  # on every answer but injected faults
        assert all(header in r.headers for r in answers if r.status_code != 500), header
    entries = (await virtual.get("/_smsproof/journal", params={"provider": provider,
                                                              "kind": "mt_request"})).json()["entries"]
    problems, answered = [], set()
    for entry in entries:
        if entry.get("note") == "connection dropped":
            continue
        answered.add((entry["endpoint"], entry["status"]))
        for error in check_response(provider, entry["endpoint"], entry["status"], entry["response_body"]):
            problems.append(f"{entry['method']} {entry['path']} {entry['status']}: {error}")
    callbacks = [r for r in receiver.received if f"/{provider}/" in r["url"]]
    kinds = set()
    for received in callbacks:
        kind = received["url"].rsplit("/", 1)[-1]
        kinds.add(kind)
        for error in check_callback(provider, kind, received["body"], received["headers"]["content-type"]):
            problems.append(f"{kind} callback {received['body'][:80]!r}: {error}")
    assert problems == []
    documented = {name for name in schema(provider)["x-responses"] if name != "*"}
    succeeded = {endpoint for endpoint, status in answered if 200 <= status < 300}
    assert documented <= succeeded, f"endpoints never answered with success: {documented - succeeded}"
    statuses = {status for _, status in answered}
    assert any(400 <= s < 500 for s in statuses) and any(s >= 500 for s in statuses)
    assert kinds == {"mo", "dlr"}


@pytest.mark.parametrize("provider,kind,body", [
    ("sinch", "dlr", {"type": "recipient_delivery_report_sms", "batch_id": "B", "recipient": "+34600000010",
                      "code": 60, "status": "Failed", "at": "2026-01-05T10:00:00.000Z"}),
    ("sinch", "mo", {"type": "mo_text", "id": "01M8MEAGSPNC0Z0YZX56D47PD5", "from": "34600000010",
                     "to": "11221", "body": "x", "received_at": "2026-01-05T10:00:00.000Z"}),
    ("cm", "dlr", {"messages": {"msg": {"received": "2026-01-05 10:00", "to": "0034600000010",
                                        "reference": "", "status": {"code": "2", "errorCode": "",
                                                                    "errorDescription": ""}}}}),
    ("instasent", "dlr", {"id": "x", "clientId": None, "status": "done", "code": 0,
                          "eventAt": "2026-01-05T10:00:00Z"}),
])
def test_the_schemas_catch_a_drift(provider, kind, body):
    assert check_callback(provider, kind, json.dumps(body).encode(), "application/json") != []


def test_every_schema_names_its_source_and_date():
    for provider in SCENARIOS:
        comment = schema(provider)["$comment"]
        assert "2026-" in comment and "from" in comment
