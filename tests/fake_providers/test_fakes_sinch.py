"""The Sinch XMS fake: every endpoint and error, delivery-report modes and callbacks, MO callbacks,
OAuth, faults and isolation (providers.md §1)."""
import asyncio
import base64
import json
import re
from datetime import timedelta

import pytest

from fake_providers.clock import parse_iso
from fake_providers.sinch import sign

pytestmark = pytest.mark.anyio
AUTH = {"Authorization": "Bearer T1"}
MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
BASE = "/xms/v1/SP1"


@pytest.fixture
async def sinch(virtual):
    """SP1 (token T1) and SP2 (token T2), each with callback URLs to the receiver."""
    for plan, token in (("SP1", "T1"), ("SP2", "T2")):
        response = await virtual.put(f"/_smsproof/accounts/sinch/{plan}", json={
            "api_token": token, "mo_callback_url": f"http://platform/{plan}/mo",
            "dlr_callback_url": f"http://platform/{plan}/dlr",
            "numbers": [{"number": "+4915112348765" if plan == "SP1" else "+4915112348766"},
                        {"number": "11222", "type": "shared_short_code",
                         "keywords": ["baby"] if plan == "SP1" else ["kids"]}]})
        assert response.status_code == 200
    return virtual


async def send(client, plan="SP1", token="T1", **body):
    payload = {"to": ["+34600000010"], "from": "Shop", "body": "Hello"} | body
    return await client.post(f"/xms/v1/{plan}/batches", json=payload,
                             headers={"Authorization": f"Bearer {token}"})


async def advance(client, seconds):
    return (await client.post("/_smsproof/clock/advance", json={"seconds": seconds})).json()


def callbacks(receiver, path):
    return [json.loads(body) for body in receiver.bodies(path)]


# -- send and the batch object --------------------------------------------------------------------
async def test_send_returns_201_with_the_batch(sinch):
    response = await send(sinch, to=["+34600000010", "0034600000011"], client_reference="ref1")
    assert response.status_code == 201
    batch = response.json()
    assert re.fullmatch(r"[0-9A-Z]{26}", batch["id"])
    assert batch["to"] == ["+34600000010", "+34600000011"]
    assert batch["from"] == "Shop" and batch["body"] == "Hello" and batch["type"] == "mt_text"
    assert batch["canceled"] is False and batch["delivery_report"] == "none"
    assert batch["created_at"] == batch["modified_at"] == "2026-01-05T10:00:00.000Z"
    assert batch["expire_at"] == "2026-01-08T10:00:00.000Z"
    assert batch["client_reference"] == "ref1"
    assert "callback_url" not in batch and "send_at" not in batch


async def test_messages_are_journaled_with_encoding_and_segments(sinch):
    await send(sinch, body="Grüße 😀 " * 10)
    [message] = (await sinch.get("/_smsproof/messages", params={"provider": "sinch"})).json()["messages"]
    assert message["encoding"] == "UCS2" and message["segment_count"] == 2
    assert message["status"] == "Queued" and message["to"] == "+34600000010"
    await advance(sinch, 0)
    assert (await sinch.get("/_smsproof/messages")).json()["messages"][0]["status"] == "Dispatched"
    await advance(sinch, 5)
    message = (await sinch.get("/_smsproof/messages")).json()["messages"][0]
    assert message["status"] == "Delivered" and message["status_at"] == "2026-01-05T10:00:05.000Z"


async def test_request_journal_holds_method_path_status_and_bodies(sinch):
    response = await send(sinch)
    [entry] = (await sinch.get("/_smsproof/journal",
                               params={"account": "SP1", "kind": "mt_request"})).json()["entries"]
    assert entry["endpoint"] == "send" and entry["method"] == "POST"
    assert entry["path"] == "/xms/v1/SP1/batches" and entry["status"] == 201
    assert entry["request_body"]["body"] == "Hello" and entry["response_body"] == response.json()


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"},
                                     {"Authorization": "Bearer T2"}, {"Authorization": "Basic T1"}])
async def test_401_on_a_wrong_token(sinch, headers):
    response = await sinch.post(f"{BASE}/batches", json={}, headers=headers)
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")


async def test_401_on_an_unknown_service_plan(sinch):
    assert (await send(sinch, plan="NOPE")).status_code == 401


async def test_415_without_json_content_type(sinch):
    response = await sinch.post(f"{BASE}/batches", content=b'{"to": []}',
                                headers={**AUTH, "Content-Type": "text/plain"})
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"


async def test_400_syntax_invalid_json(sinch):
    response = await sinch.post(f"{BASE}/batches", content=b'{"to": [',
                                headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["code"] == "syntax_invalid_json"
    not_object = await sinch.post(f"{BASE}/batches", json=[1], headers=AUTH)
    assert not_object.json()["code"] == "syntax_invalid_json"


async def test_400_invalid_msisdn_has_sinch_exact_body(sinch):
    response = await send(sinch, to=["+1"])
    assert response.status_code == 400
    assert response.json() == {
        "code": "syntax_invalid_parameter_format",
        "text": "The format of parameter 'to[0]' is invalid; value '+1' is not a valid MSISDN or group ID."}


@pytest.mark.parametrize("body", [
    {"to": []}, {"to": ["+34600000010"] * 1001}, {"from": ""}, {"body": "x" * 2001},
    {"parameters": {"bad key!": {"default": "x"}}},
    {"parameters": {"name": {"default": "x" * 161}}},
    {"max_number_of_message_parts": 0},
    {"expire_at": "2026-01-09T10:00:00Z"},
    {"send_at": "2026-01-06T10:00:00Z", "expire_at": "2026-01-06T09:00:00Z"},
    {"client_reference": "r" * 129},
])
async def test_400_syntax_constraint_violation(sinch, body):
    response = await send(sinch, **body)
    assert response.status_code == 400
    assert response.json()["code"] == "syntax_constraint_violation", response.json()
    assert response.json()["text"]


@pytest.mark.parametrize("body", [{"delivery_report": "sometimes"}, {"type": "mt_fancy"},
                                  {"send_at": "tomorrow"}, {"flash_message": "yes"}])
async def test_400_syntax_invalid_parameter_format(sinch, body):
    response = await send(sinch, **body)
    assert response.status_code == 400 and response.json()["code"] == "syntax_invalid_parameter_format"


async def test_403_missing_callback_url(sinch):
    await sinch.put("/_smsproof/accounts/sinch/SP3", json={"api_token": "T3"})
    response = await send(sinch, plan="SP3", token="T3", delivery_report="full")
    assert response.status_code == 403
    assert response.json() == {"code": "missing_callback_url",
                               "text": "Requesting delivery report without any callback URL."}
    with_url = await send(sinch, plan="SP3", token="T3", delivery_report="full",
                          callback_url="http://platform/batch-cb")
    assert with_url.status_code == 201


async def test_404_unknown_batch_and_unknown_path(sinch):
    missing = await sinch.get(f"{BASE}/batches/01AAAAAAAAAAAAAAAAAAAAAAAA", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    path = await sinch.get(f"{BASE}/nothing-here", headers=AUTH)
    assert path.status_code == 404 and set(path.json()) == {"code", "text"}


# -- list, get, update, replace, cancel ------------------------------------------------------------
async def test_list_is_paged_reverse_chronological_and_filtered(sinch):
    ids = []
    for n in range(5):
        ids.append((await send(sinch, **{"from": "Shop" if n % 2 else "Other",
                                         "client_reference": f"r{n}"})).json()["id"])
        await advance(sinch, 1)
    page = (await sinch.get(f"{BASE}/batches", params={"page": 0, "page_size": 2},
                            headers=AUTH)).json()
    assert page["count"] == 5 and page["page"] == 0 and page["page_size"] == 2
    assert [b["id"] for b in page["batches"]] == ids[::-1][:2]
    last = (await sinch.get(f"{BASE}/batches", params={"page": 2, "page_size": 2},
                            headers=AUTH)).json()
    assert [b["id"] for b in last["batches"]] == [ids[0]]
    shop = (await sinch.get(f"{BASE}/batches", params={"from": "Shop"}, headers=AUTH)).json()
    assert shop["count"] == 2
    ref = (await sinch.get(f"{BASE}/batches", params={"client_reference": "r3"}, headers=AUTH)).json()
    assert [b["id"] for b in ref["batches"]] == [ids[3]]
    old = (await sinch.get(f"{BASE}/batches", params={"end_date": "2026-01-05T09:00:00Z"},
                           headers=AUTH)).json()
    assert old["count"] == 0
    await advance(sinch, 2 * 86400)
    assert (await sinch.get(f"{BASE}/batches", headers=AUTH)).json()["count"] == 0  # default: last 24 h
    assert (await sinch.get(f"{BASE}/batches", params={"page_size": 101},
                            headers=AUTH)).status_code == 400


async def test_get_returns_the_batch(sinch):
    sent = (await send(sinch)).json()
    got = await sinch.get(f"{BASE}/batches/{sent['id']}", headers=AUTH)
    assert got.status_code == 200 and got.json() == sent


async def test_update_a_scheduled_batch(sinch):
    sent = (await send(sinch, to=["+34600000010", "+34600000011"],
                       send_at="2026-01-05T12:00:00Z")).json()
    assert sent["send_at"] == "2026-01-05T12:00:00.000Z"
    await advance(sinch, 60)
    updated = await sinch.post(f"{BASE}/batches/{sent['id']}", headers=AUTH, json={
        "to_add": ["+34600000012"], "to_remove": ["+34600000010"], "body": "Changed"})
    assert updated.status_code == 200
    body = updated.json()
    assert body["id"] == sent["id"] and body["to"] == ["+34600000011", "+34600000012"]
    assert body["body"] == "Changed" and body["send_at"] == sent["send_at"]
    assert body["created_at"] == sent["created_at"] and body["modified_at"] == "2026-01-05T10:01:00.000Z"
    messages = (await sinch.get("/_smsproof/messages")).json()["messages"]
    assert [(m["to"], m["body"]) for m in messages] == [("+34600000011", "Changed"),
                                                        ("+34600000012", "Changed")]
    await advance(sinch, 2 * 3600)
    statuses = {m["to"]: m["status"] for m in (await sinch.get("/_smsproof/messages")).json()["messages"]}
    assert statuses == {"+34600000011": "Delivered", "+34600000012": "Delivered"}


async def test_update_after_dispatch_is_403(sinch):
    sent = (await send(sinch)).json()
    await advance(sinch, 0)
    response = await sinch.post(f"{BASE}/batches/{sent['id']}", headers=AUTH, json={"body": "x"})
    assert response.status_code == 403 and response.json()["code"] == "batch_already_dispatched"


async def test_replace_a_scheduled_batch(sinch):
    sent = (await send(sinch, send_at="2026-01-05T12:00:00Z")).json()
    invalid = await sinch.put(f"{BASE}/batches/{sent['id']}", headers=AUTH,
                              json={"to": ["+1"], "from": "S", "body": "x"})
    assert invalid.status_code == 400 and (await sinch.get(
        f"{BASE}/batches/{sent['id']}", headers=AUTH)).json() == sent
    replaced = await sinch.put(f"{BASE}/batches/{sent['id']}", headers=AUTH, json={
        "to": ["+34600000020"], "from": "Shop2", "body": "New"})
    assert replaced.status_code == 200
    body = replaced.json()
    assert body["id"] == sent["id"] and body["to"] == ["+34600000020"] and "send_at" not in body
    await advance(sinch, 10)
    [message] = (await sinch.get("/_smsproof/messages")).json()["messages"]
    assert (message["to"], message["from"], message["status"]) == ("+34600000020", "Shop2", "Delivered")
    late = await sinch.put(f"{BASE}/batches/{sent['id']}", headers=AUTH,
                           json={"to": ["+34600000021"], "from": "S", "body": "x"})
    assert late.status_code == 403 and late.json()["code"] == "batch_already_dispatched"


async def test_cancel_aborts_undispatched_recipients(sinch):
    sent = (await send(sinch, send_at="2026-01-05T12:00:00Z", delivery_report="per_recipient")).json()
    cancelled = await sinch.delete(f"{BASE}/batches/{sent['id']}", headers=AUTH)
    assert cancelled.status_code == 200 and cancelled.json()["canceled"] is True
    await advance(sinch, 3 * 3600)
    [message] = (await sinch.get("/_smsproof/messages")).json()["messages"]
    assert message["status"] == "Aborted"
    report = (await sinch.get(f"{BASE}/batches/{sent['id']}/delivery_report/34600000010",
                              headers=AUTH)).json()
    assert (report["status"], report["code"]) == ("Aborted", 407)


# -- dry run ---------------------------------------------------------------------------------------
async def test_dry_run_counts_parts_and_encodings(sinch):
    response = await sinch.post(f"{BASE}/batches/dry_run",
                                params={"per_recipient": "True", "number_of_recipients": 1},
                                headers=AUTH, json={"to": ["+34600000010", "+34600000011"],
                                                    "from": "Shop", "body": "ç" * 71})
    assert response.status_code == 200
    body = response.json()
    assert body["number_of_recipients"] == 2 and body["number_of_messages"] == 4
    assert body["per_recipient"] == [{"recipient": "+34600000010", "number_of_parts": 2,
                                      "body": "ç" * 71, "encoding": "UNICODE"}]
    plain = (await sinch.post(f"{BASE}/batches/dry_run", headers=AUTH,
                              json={"to": ["+34600000010"], "from": "S", "body": "a" * 161})).json()
    assert plain == {"number_of_recipients": 1, "number_of_messages": 2}
    assert (await sinch.get("/_smsproof/messages")).json()["messages"] == []


# -- parameters and parts --------------------------------------------------------------------------
async def test_parameters_templating_with_default_and_missing_value(sinch):
    sent = (await send(sinch, to=["+34600000010", "+34600000011", "+34600000012"],
                       body="Hi ${name}, ${code}",
                       parameters={"name": {"+34600000010": "Tim", "+34600000011": "Ana"},
                                   "code": {"default": "X1", "+34600000012": "Z9"}})).json()
    assert sent["body"] == "Hi ${name}, ${code}"
    bodies = {m["to"]: (m["body"], m["status"])
              for m in (await sinch.get("/_smsproof/messages")).json()["messages"]}
    assert bodies["+34600000010"] == ("Hi Tim, X1", "Queued")
    assert bodies["+34600000011"] == ("Hi Ana, X1", "Queued")
    assert bodies["+34600000012"][1] == "Aborted"
    report = (await sinch.get(f"{BASE}/batches/{sent['id']}/delivery_report/34600000012",
                              headers=AUTH)).json()
    assert (report["status"], report["code"]) == ("Aborted", 405)


async def test_max_number_of_message_parts_exceeded_is_aborted_411(sinch, receiver):
    sent = (await send(sinch, body="a" * 307, max_number_of_message_parts=2,
                       delivery_report="per_recipient_final")).json()
    await advance(sinch, 10)
    [report] = callbacks(receiver, "/SP1/dlr")
    assert report["status"] == "Aborted" and report["code"] == 411
    assert report["number_of_message_parts"] == 3 and report["batch_id"] == sent["id"]


# -- delivery reports: modes and callbacks ---------------------------------------------------------
async def test_delivery_report_none_sends_no_callback(sinch, receiver):
    await send(sinch)
    await advance(sinch, 60)
    assert receiver.received == []


async def test_per_recipient_reports_dispatched_and_final(sinch, receiver):
    sent = (await send(sinch, to=["+34600000010", "+34600000001"],
                       delivery_report="per_recipient", client_reference="c1")).json()
    await advance(sinch, 60)
    reports = callbacks(receiver, "/SP1/dlr")
    assert [(r["recipient"], r["status"], r["code"]) for r in reports] == [
        ("+34600000010", "Dispatched", 401), ("+34600000001", "Dispatched", 401),
        ("+34600000010", "Delivered", 0), ("+34600000001", "Failed", 404)]
    final = reports[2]
    assert final["type"] == "recipient_delivery_report_sms" and final["batch_id"] == sent["id"]
    assert final["client_reference"] == "c1"
    assert MS_Z.match(final["at"]) and final["at"] == "2026-01-05T10:00:05.000Z"


async def test_per_recipient_final_reports_only_final_statuses(sinch, receiver):
    await send(sinch, delivery_report="per_recipient_final")
    await advance(sinch, 60)
    assert [r["status"] for r in callbacks(receiver, "/SP1/dlr")] == ["Delivered"]


@pytest.mark.parametrize("mode", ["summary", "full"])
async def test_summary_and_full_send_one_callback_when_all_are_final(sinch, receiver, mode):
    await sinch.put("/_smsproof/outcomes/+34600000011", json={"outcome": "delivered",
                                                              "delay_seconds": 30})
    sent = (await send(sinch, to=["+34600000010", "+34600000011", "+34600000002"],
                       delivery_report=mode, callback_url="http://platform/batch-cb")).json()
    await advance(sinch, 10)
    assert receiver.received == []
    await advance(sinch, 30)
    [report] = callbacks(receiver, "/batch-cb")
    assert report["type"] == "delivery_report_sms" and report["batch_id"] == sent["id"]
    assert report["total_message_count"] == 3
    statuses = {(s["status"], s["code"]): s for s in report["statuses"]}
    assert statuses[("Delivered", 0)]["count"] == 2 and statuses[("Expired", 406)]["count"] == 1
    if mode == "full":
        assert sorted(statuses[("Delivered", 0)]["recipients"]) == ["+34600000010", "+34600000011"]
    else:
        assert all("recipients" not in s for s in report["statuses"])
    assert receiver.bodies("/SP1/dlr") == []  # the batch callback_url wins


@pytest.mark.parametrize(("suffix", "status", "code"), [
    ("0001", "Failed", 404), ("0002", "Expired", 406), ("0003", "Rejected", 408),
    ("0004", "Failed", 402), ("0005", "Delivered", 0)])
async def test_magic_numbers_give_their_outcome(sinch, suffix, status, code):
    sent = (await send(sinch, to=[f"+4915112340{suffix}"])).json()
    await advance(sinch, 5)
    report = (await sinch.get(f"{BASE}/batches/{sent['id']}/delivery_report/4915112340{suffix}",
                              headers=AUTH)).json()
    assert (report["status"], report["code"]) == (status, code)
    [message] = (await sinch.get("/_smsproof/messages")).json()["messages"]
    assert message["status"] == {"0004": "Bounced"}.get(suffix, status)


async def test_batch_delivery_report_endpoint_summary_full_and_filters(sinch):
    sent = (await send(sinch, to=["+34600000010", "+34600000001"])).json()
    url = f"{BASE}/batches/{sent['id']}/delivery_report"
    queued = (await sinch.get(url, headers=AUTH)).json()
    assert queued == {"type": "delivery_report_sms", "batch_id": sent["id"], "total_message_count": 2,
                      "statuses": [{"code": 400, "status": "Queued", "count": 2}]}
    await advance(sinch, 10)
    full = (await sinch.get(url, params={"type": "full", "status": "DELIVERED,failed",
                                         "batch_id": sent["id"]}, headers=AUTH)).json()
    assert {(s["status"], tuple(s["recipients"])) for s in full["statuses"]} == {
        ("Delivered", ("+34600000010",)), ("Failed", ("+34600000001",))}
    only = (await sinch.get(url, params={"code": "0"}, headers=AUTH)).json()
    assert [s["status"] for s in only["statuses"]] == ["Delivered"]
    assert (await sinch.get(url, params={"type": "weird"}, headers=AUTH)).status_code == 400


async def test_recipient_report_and_404_for_non_recipient(sinch):
    sent = (await send(sinch)).json()
    await advance(sinch, 10)
    url = f"{BASE}/batches/{sent['id']}/delivery_report"
    report = (await sinch.get(f"{url}/+34600000010", headers=AUTH)).json()
    assert report["recipient"] == "+34600000010" and report["status"] == "Delivered"
    assert report["operator_status_at"] == "2026-01-05T10:00:05.000Z"
    assert (await sinch.get(f"{url}/34699999999", headers=AUTH)).status_code == 404


async def test_list_delivery_reports(sinch):
    await send(sinch, to=["+34600000010", "+34600000001"], client_reference="a")
    await send(sinch, to=["+34600000012"], client_reference="b")
    await advance(sinch, 10)
    listed = (await sinch.get(f"{BASE}/delivery_reports", headers=AUTH)).json()
    assert listed["count"] == 3 and listed["page"] == 0 and len(listed["delivery_reports"]) == 3
    failed = (await sinch.get(f"{BASE}/delivery_reports", params={"status": "Failed"},
                              headers=AUTH)).json()
    assert [r["recipient"] for r in failed["delivery_reports"]] == ["+34600000001"]
    by_ref = (await sinch.get(f"{BASE}/delivery_reports", params={"client_reference": "b"},
                              headers=AUTH)).json()
    assert [r["recipient"] for r in by_ref["delivery_reports"]] == ["+34600000012"]


async def test_delivery_feedback_is_accepted(sinch):
    sent = (await send(sinch, feedback_enabled=True)).json()
    response = await sinch.post(f"{BASE}/batches/{sent['id']}/delivery_feedback", headers=AUTH,
                                json={"recipients": ["+34600000010"]})
    assert response.status_code == 202


async def test_callback_retries_on_503_with_doubling_backoff(sinch, receiver):
    receiver.statuses = [503, 503]
    await send(sinch, delivery_report="per_recipient_final")
    await advance(sinch, 5)
    pending = (await sinch.get("/_smsproof/callbacks", params={"state": "pending"})).json()["callbacks"]
    assert len(pending) == 1 and pending[0]["next_attempt_at"] == "2026-01-05T10:00:10.000Z"
    await advance(sinch, 15)
    attempts = (await sinch.get("/_smsproof/journal", params={"kind": "callback_attempt"})).json()["entries"]
    assert [(a["status"], a["at"]) for a in attempts] == [
        (503, "2026-01-05T10:00:05.000Z"), (503, "2026-01-05T10:00:10.000Z"),
        (200, "2026-01-05T10:00:20.000Z")]
    assert (await sinch.get("/_smsproof/callbacks", params={"state": "delivered"})).json()["callbacks"]


async def test_callback_400_is_not_retried_but_stays_visible(sinch, receiver):
    receiver.statuses = [400]
    await send(sinch, delivery_report="per_recipient_final")
    await advance(sinch, 600)
    [failed] = (await sinch.get("/_smsproof/callbacks", params={"state": "failed"})).json()["callbacks"]
    assert failed["status"] == 400 and failed["attempts"] == 1 and failed["kind"] == "dlr"


# -- inbound (MO) ----------------------------------------------------------------------------------
async def test_inbound_is_posted_as_mo_text_and_listed(sinch, receiver):
    response = await sinch.post("/_smsproof/inbound", json={
        "provider": "sinch", "from": "+34600000010", "to": "+4915112348765", "body": "STOP"})
    assert response.status_code == 201
    assert response.json()["account"] == "SP1"
    assert response.json()["callback"]["state"] == "delivered"
    [mo] = callbacks(receiver, "/SP1/mo")
    assert mo["type"] == "mo_text" and mo["from"] == "+34600000010" and mo["to"] == "+4915112348765"
    assert mo["body"] == "STOP" and MS_Z.match(mo["received_at"])
    assert mo["operator_id"] == "21401" and mo["sent_at"] == "2026-01-05T09:59:58.000Z"
    assert mo["received_at"] == "2026-01-05T10:00:00.000Z"
    listed = (await sinch.get(f"{BASE}/inbounds", headers=AUTH)).json()
    assert listed["count"] == 1 and listed["inbounds"] == [mo]
    assert (await sinch.get(f"{BASE}/inbounds/{mo['id']}", headers=AUTH)).json() == mo
    assert (await sinch.get(f"{BASE}/inbounds/nope", headers=AUTH)).status_code == 404
    filtered = (await sinch.get(f"{BASE}/inbounds", params={"to": "11222"}, headers=AUTH)).json()
    assert filtered["count"] == 0
    [entry] = (await sinch.get("/_smsproof/journal", params={"kind": "mo"})).json()["entries"]
    assert entry["payload"] == mo


async def test_shared_short_code_keyword_picks_the_account(sinch, receiver):
    kids = await sinch.post("/_smsproof/inbound", json={
        "provider": "sinch", "from": "+34600000010", "to": "11222", "body": "KIDS stop"})
    assert kids.json()["account"] == "SP2"
    baby = await sinch.post("/_smsproof/inbound", json={
        "provider": "sinch", "from": "+34600000010", "to": "11222", "body": "baby help"})
    assert baby.json()["account"] == "SP1"
    assert [json.loads(b)["body"] for b in receiver.bodies("/SP2/mo")] == ["KIDS stop"]
    nobody = await sinch.post("/_smsproof/inbound", json={
        "provider": "sinch", "from": "+34600000010", "to": "11222", "body": "toys"})
    assert nobody.status_code == 404


async def test_mo_without_callback_url_stays_queued(sinch):
    await sinch.put("/_smsproof/accounts/sinch/SP3", json={"api_token": "T3",
                                                           "numbers": [{"number": "+4915100000003"}]})
    response = await sinch.post("/_smsproof/inbound", json={
        "provider": "sinch", "from": "+34600000010", "to": "+4915100000003", "body": "hi"})
    assert response.json()["callback"]["state"] == "pending"
    assert len((await sinch.get("/_smsproof/callbacks", params={"state": "pending"})).json()["callbacks"]) == 1


async def test_signed_callbacks(sinch, receiver):
    await sinch.put("/_smsproof/accounts/sinch/SP1", json={
        "api_token": "T1", "mo_callback_url": "http://platform/SP1/mo", "webhook_secret": "s3cret",
        "numbers": [{"number": "+4915112348765"}]})
    await sinch.post("/_smsproof/inbound", json={"provider": "sinch", "from": "+34600000010",
                                                  "to": "+4915112348765", "body": "hi"})
    [request] = receiver.received
    headers = request["headers"]
    assert headers["x-sinch-webhook-signature-timestamp"] == str(int(parse_iso("2026-01-05T10:00:00Z").timestamp()))
    expected = sign("s3cret", request["body"], headers["x-sinch-webhook-signature-nonce"],
                    headers["x-sinch-webhook-signature-timestamp"])
    assert headers["x-sinch-webhook-signature"] == expected


def test_hmac_signature_matches_the_reference_vector():
    body = (b'{"type":"mo_text","id":"01W4FFL35P4NC4K35SMSBATCH8","from":"12015555555",'
            b'"to":"12017777777","body":"Hello","received_at":"2024-06-06T07:52:37.386Z",'
            b'"operator_id":"311071"}')
    assert sign("KayakingTheSwell", body, "nonce123", "1717660357") == \
        "91JKNrp0Tai1iDVyq4d3vvlhBAox9r+KcSOVZYlcLVQ="


# -- OAuth (project flavour) -----------------------------------------------------------------------
async def test_oauth_token_and_project_calls(sinch):
    await sinch.put("/_smsproof/accounts/sinch/PRJ", json={"key_id": "K", "key_secret": "S"})
    basic = "Basic " + base64.b64encode(b"K:S").decode()
    token = await sinch.post("/oauth2/token", data={"grant_type": "client_credentials"},
                             headers={"Authorization": basic})
    assert token.status_code == 200
    body = token.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["expires_in"] == 3600
    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    sent = await sinch.post("/xms/v1/PRJ/batches", headers=bearer,
                            json={"to": ["+34600000010"], "from": "S", "body": "hi"})
    assert sent.status_code == 201
    assert (await sinch.get(f"{BASE}/batches", headers=bearer)).status_code == 401  # other account
    await advance(sinch, 3601)
    expired = await sinch.get("/xms/v1/PRJ/batches", headers=bearer)
    assert expired.status_code == 401 and "expired" in expired.headers["www-authenticate"]


async def test_oauth_errors(sinch):
    await sinch.put("/_smsproof/accounts/sinch/PRJ", json={"key_id": "K", "key_secret": "S"})
    wrong = await sinch.post("/oauth2/token", data={"grant_type": "client_credentials"},
                             headers={"Authorization": "Basic " + base64.b64encode(b"K:x").decode()})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    grant = await sinch.post("/oauth2/token", data={"grant_type": "password"},
                             headers={"Authorization": "Basic " + base64.b64encode(b"K:S").decode()})
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"


# -- routing, faults, isolation --------------------------------------------------------------------
@pytest.mark.parametrize(("path", "host"), [
    (f"{BASE}/batches", "us.sms.api.sinch.com"), (f"{BASE}/batches", "zt.eu.sms.api.sinch.com:443"),
    (f"/sinch{BASE}/batches", "fakes.test"), (f"{BASE}/batches", "fakes.test")])
async def test_served_at_root_under_prefix_and_by_host(sinch, path, host):
    response = await sinch.post(path, headers={**AUTH, "Host": host},
                                json={"to": ["+34600000010"], "from": "S", "body": "x"})
    assert response.status_code == 201


async def test_host_routing_does_not_expose_other_paths(sinch):
    response = await sinch.get("/_smsproof/health", headers={"Host": "us.sms.api.sinch.com"})
    assert response.status_code == 404


async def test_status_fault_answers_with_sinch_body_and_retry_after(sinch):
    await sinch.post("/_smsproof/faults", json={"provider": "sinch", "account": "SP1",
                                                "endpoint": "send", "kind": "status",
                                                "status": 429, "retry_after": 2, "times": 1})
    faulted = await send(sinch)
    assert faulted.status_code == 429 and faulted.headers["retry-after"] == "2"
    assert set(faulted.json()) == {"code", "text"}
    assert (await send(sinch, plan="SP2", token="T2")).status_code == 201  # other account
    assert (await send(sinch)).status_code == 201  # times: 1
    messages = (await sinch.get("/_smsproof/messages", params={"account": "SP1"})).json()["messages"]
    assert len(messages) == 1


async def test_stacked_single_use_faults_answer_one_request_each(sinch):
    for status in (503, 500):
        await sinch.post("/_smsproof/faults", json={"provider": "sinch", "account": "SP1", "endpoint": "send",
                                                    "kind": "status", "status": status, "times": 1})
    assert [(await send(sinch)).status_code for _ in range(3)] == [503, 500, 201]


async def test_latency_fault_does_not_block_other_requests(sinch):
    await sinch.post("/_smsproof/faults", json={"provider": "sinch", "endpoint": "list",
                                                "kind": "latency", "latency_ms": 300})
    finished = []

    async def call(name, coroutine):
        await coroutine
        finished.append(name)

    await asyncio.gather(call("slow", sinch.get(f"{BASE}/batches", headers=AUTH)),
                         call("fast", send(sinch)))
    assert finished == ["fast", "slow"]


async def test_reset_of_one_account_keeps_the_other(sinch):
    first = (await send(sinch)).json()
    second = (await send(sinch, plan="SP2", token="T2")).json()
    await sinch.post("/_smsproof/reset", json={"provider": "sinch", "account": "SP1"})
    assert {e["account"] for e in (await sinch.get("/_smsproof/journal")).json()["entries"]} == {"SP2"}
    assert (await sinch.get(f"{BASE}/batches/{first['id']}", headers=AUTH)).status_code == 404
    assert (await sinch.get(f"/xms/v1/SP2/batches/{second['id']}",
                            headers={"Authorization": "Bearer T2"})).status_code == 200
    assert [m["account"] for m in (await sinch.get("/_smsproof/messages")).json()["messages"]] == ["SP2"]
    await advance(sinch, 10)  # SP1's pending delivery was cancelled with its scope
    statuses = [m["status"] for m in (await sinch.get("/_smsproof/messages")).json()["messages"]]
    assert statuses == ["Delivered"]


async def test_accounts_do_not_see_each_others_batches(sinch):
    first = (await send(sinch)).json()
    other = await sinch.get(f"/xms/v1/SP2/batches/{first['id']}", headers={"Authorization": "Bearer T2"})
    assert other.status_code == 404
    assert (await sinch.get("/xms/v1/SP2/batches", headers={"Authorization": "Bearer T2"})).json()["count"] == 0


async def test_expire_at_default_is_three_days_after_send_at(sinch):
    sent = (await send(sinch, send_at="2026-01-06T10:00:00Z")).json()
    assert parse_iso(sent["expire_at"]) - parse_iso(sent["send_at"]) == timedelta(days=3)


async def test_binary_batches(sinch):
    body = base64.b64encode(b"\x01\x02hello").decode()
    sent = await send(sinch, type="mt_binary", body=body, udh="050003010201")
    assert sent.status_code == 201 and sent.json()["udh"] == "050003010201"
    assert sent.json()["type"] == "mt_binary"
    no_udh = await send(sinch, type="mt_binary", body=body)
    assert no_udh.status_code == 400 and no_udh.json()["code"] == "syntax_constraint_violation"
    too_long = await send(sinch, type="mt_binary", body=base64.b64encode(b"x" * 140).decode(),
                          udh="050003010201")
    assert too_long.status_code == 400
    not_base64 = await send(sinch, type="mt_binary", body="%%%", udh="00")
    assert not_base64.json()["code"] == "syntax_invalid_parameter_format"


async def test_an_internal_failure_is_a_sinch_500_body_not_a_traceback(sinch, app, monkeypatch):
    backend = app.state.network.providers["sinch"]

    def broken(account, query):
        raise RuntimeError("boom")

    monkeypatch.setattr(backend, "list_batches", broken)
    response = await sinch.get(f"{BASE}/batches", headers=AUTH)
    assert response.status_code == 500
    assert response.json() == {"code": "internal_error", "text": "Internal error"}


async def test_dlr_entries_are_journaled_per_account(sinch):
    await send(sinch, delivery_report="per_recipient_final")
    await send(sinch, plan="SP2", token="T2", delivery_report="per_recipient_final")
    await advance(sinch, 5)
    entries = (await sinch.get("/_smsproof/journal", params={"kind": "dlr", "account": "SP2"})).json()
    [entry] = entries["entries"]
    assert entry["url"] == "http://platform/SP2/dlr" and entry["payload"]["status"] == "Delivered"


async def test_wildcard_faults_and_probability(sinch):
    await sinch.post("/_smsproof/faults", json={"provider": "*", "endpoint": "*", "kind": "status",
                                                "status": 500, "probability": 0.5, "seed": 7})
    statuses = [(await send(sinch)).status_code for _ in range(20)]
    assert set(statuses) == {201, 500}
    [fault] = (await sinch.get("/_smsproof/faults")).json()["faults"]
    assert fault["fired"] == statuses.count(500)


async def test_binary_messages_are_journaled_as_one_binary_part(sinch):
    await send(sinch, type="mt_binary", body=base64.b64encode(b"x" * 100).decode(), udh="0500030102")
    [message] = (await sinch.get("/_smsproof/messages")).json()["messages"]
    assert (message["encoding"], message["segment_count"]) == ("BINARY", 1)


async def test_update_validates_its_body(sinch):
    sent = (await send(sinch, send_at="2026-01-05T12:00:00Z")).json()
    url = f"{BASE}/batches/{sent['id']}"
    assert (await sinch.post(url, headers=AUTH, json={"to_add": "+34600000012"})).status_code == 400
    bad_msisdn = await sinch.post(url, headers=AUTH, json={"to_add": ["12"]})
    assert bad_msisdn.json()["code"] == "syntax_invalid_parameter_format"
    assert (await sinch.get(url, headers=AUTH)).json() == sent  # unchanged


@pytest.mark.parametrize("change,parameter", [({"to_remove": [5]}, "to_remove[0]"),
                                              ({"to_remove": ["+34600000010", {}]}, "to_remove[1]"),
                                              ({"to_add": [None]}, "to_add[0]"),
                                              ({"to_add": ["+34600000012", 7]}, "to_add[1]")])
async def test_update_with_a_recipient_that_is_not_a_string_is_a_syntax_error(sinch, change, parameter):
    sent = (await send(sinch, send_at="2026-01-05T12:00:00Z")).json()
    url = f"{BASE}/batches/{sent['id']}"
    refused = await sinch.post(url, headers=AUTH, json=change)
    assert refused.status_code == 400
    assert refused.json()["code"] == "syntax_invalid_parameter_format"
    assert f"parameter '{parameter}'" in refused.json()["text"]
    assert (await sinch.get(url, headers=AUTH)).json() == sent


@pytest.mark.parametrize("query,parameter", [({"page_size": "x"}, "page_size"), ({"page": "x"}, "page"),
                                             ({"page": "-1"}, "page"), ({"page_size": "0"}, "page_size")])
async def test_a_bad_paging_parameter_is_named_in_the_error(sinch, query, parameter):
    refused = await sinch.get(f"{BASE}/batches", params=query, headers=AUTH)
    assert refused.status_code == 400 and f"parameter '{parameter}'" in refused.json()["text"]


async def test_a_udh_that_is_not_hex_is_reported_as_udh(sinch):
    body = base64.b64encode(b"hello").decode()
    refused = await send(sinch, type="mt_binary", body=body, udh="zz")
    assert refused.status_code == 400
    assert refused.json() == {"code": "syntax_invalid_parameter_format",
                              "text": "The format of parameter 'udh' is invalid; value 'zz' is not valid hex"}


async def test_an_outcome_after_expire_at_is_expired(sinch):
    await sinch.put("/_smsproof/outcomes/+34600000010", json={"outcome": "delivered",
                                                              "delay_seconds": 7200})
    sent = (await send(sinch, expire_at="2026-01-05T11:00:00Z")).json()
    await advance(sinch, 7200)
    report = (await sinch.get(f"{BASE}/batches/{sent['id']}/delivery_report/34600000010",
                              headers=AUTH)).json()
    assert (report["status"], report["code"]) == ("Expired", 406)
    [message] = (await sinch.get("/_smsproof/messages")).json()["messages"]
    assert message["status"] == "Expired"


async def test_oauth_token_on_the_auth_host(sinch):
    await sinch.put("/_smsproof/accounts/sinch/PRJ", json={"key_id": "K", "key_secret": "S"})
    token = await sinch.post("/oauth2/token", data={"grant_type": "client_credentials"},
                             headers={"Host": "auth.sinch.com",
                                      "Authorization": "Basic " + base64.b64encode(b"K:S").decode()})
    assert token.status_code == 200 and token.json()["token_type"] == "Bearer"
