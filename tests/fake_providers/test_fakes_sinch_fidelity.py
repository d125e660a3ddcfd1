"""The Sinch fake where production integrations break: report codes from Sinch's table, skipped
Dispatched, default originator, MSISDN format, mo_binary and the optional MO fields, groups."""
import base64
import json

import pytest

from tests.fake_providers.test_fakes_sinch import AUTH, BASE, advance, callbacks, send, sinch  # noqa: F401

pytestmark = pytest.mark.anyio


async def plan(client, **options):
    response = await client.put("/_smsproof/accounts/sinch/SP9", json={
        "api_token": "T9", "dlr_callback_url": "http://platform/SP9/dlr",
        "mo_callback_url": "http://platform/SP9/mo", "options": options,
        "numbers": [{"number": "+4915112340000"}]})
    assert response.status_code == 200
    return {"Authorization": "Bearer T9"}


async def send9(client, **body):
    payload = {"to": ["+34600000010"], "from": "Shop", "body": "Hello",
               "delivery_report": "per_recipient"} | body
    return await client.post("/xms/v1/SP9/batches", json=payload, headers={"Authorization": "Bearer T9"})


@pytest.mark.parametrize("suffix,status,code", [
    ("0001", "Failed", 404), ("0002", "Expired", 406), ("0003", "Rejected", 408),
    ("0004", "Failed", 402), ("0005", "Delivered", 0)])
async def test_report_codes_are_from_sinchs_code_table(sinch, receiver, suffix, status, code):
    assert (await send(sinch, to=[f"+3460000{suffix}"], delivery_report="per_recipient")).status_code == 201
    await advance(sinch, 60)
    codes = [(r["status"], r["code"]) for r in callbacks(receiver, "/SP1/dlr")]
    assert codes == [("Dispatched", 401), (status, code)]


async def test_dispatched_skipped_for_a_scripted_number(sinch, receiver):
    await sinch.put("/_smsproof/outcomes/+34600000010", json={"outcome": "delivered", "dispatched": False})
    await send(sinch, to=["+34600000010", "+34600000011"], delivery_report="per_recipient")
    await advance(sinch, 60)
    reports = [(r["recipient"], r["status"]) for r in callbacks(receiver, "/SP1/dlr")]
    assert reports == [("+34600000011", "Dispatched"), ("+34600000010", "Delivered"),
                       ("+34600000011", "Delivered")]


async def test_dispatched_skipped_for_an_account(virtual, receiver):
    await plan(virtual, dispatched_reports=False)
    batch = (await send9(virtual)).json()
    await advance(virtual, 1)
    report = (await virtual.get(f"/xms/v1/SP9/batches/{batch['id']}/delivery_report/+34600000010",
                                headers={"Authorization": "Bearer T9"})).json()
    assert (report["status"], report["code"]) == ("Queued", 400)
    await advance(virtual, 60)
    assert [r["status"] for r in callbacks(receiver, "/SP9/dlr")] == ["Delivered"]


async def test_from_optional_with_a_default_originator(virtual, receiver):
    await plan(virtual, default_originator="+4915112340000", report_operator=True,
               smart_encoding=True)
    response = await send9(virtual, **{"from": None})
    assert response.status_code == 201 and "from" not in response.json()
    await advance(virtual, 60)
    final = callbacks(receiver, "/SP9/dlr")[-1]
    assert final["applied_originator"] == "+4915112340000"
    assert final["operator"] == "21401" and final["encoding"] == "GSM"
    [message] = (await virtual.get("/_smsproof/messages", params={"provider": "sinch"})).json()["messages"]
    assert message["from"] == "+4915112340000"


async def test_from_required_without_a_default_originator(sinch):
    response = await send(sinch, **{"from": None})
    assert response.status_code == 400 and response.json()["code"] == "syntax_constraint_violation"
    assert "optional" not in response.json()


async def test_msisdns_are_e164_in_every_field(sinch, receiver):
    batch = (await send(sinch, to=["0034600000010", "34600000011"], **{"from": "0049151123487"},
                        delivery_report="full")).json()
    assert batch["to"] == ["+34600000010", "+34600000011"] and batch["from"] == "+49151123487"
    await advance(sinch, 60)
    [report] = callbacks(receiver, "/SP1/dlr")
    assert report["statuses"][0]["recipients"] == ["+34600000010", "+34600000011"]
    short = (await send(sinch, **{"from": "11221"})).json()
    assert short["from"] == "11221"


async def test_mt_media_is_refused_on_the_sms_api(sinch):
    response = await send(sinch, type="mt_media", body={"url": "https://example.com/a.jpg"})
    assert response.status_code == 400
    assert response.json()["code"] == "syntax_invalid_parameter_format"


async def test_mo_binary_with_udh_and_client_reference_of_the_answered_batch(sinch, receiver):
    await send(sinch, client_reference="order-7")
    payload = base64.b64encode(b"\x01\x02").decode()
    response = await sinch.post("/_smsproof/inbound", json={
        "provider": "sinch", "from": "+34600000010", "to": "+4915112348765", "body": payload,
        "details": {"udh": "050003CC0201", "sent_at": "2026-01-05T09:59:00Z"}})
    assert response.status_code == 201
    [mo] = callbacks(receiver, "/SP1/mo")
    assert mo["type"] == "mo_binary" and mo["body"] == payload and mo["udh"] == "050003cc0201"
    assert mo["client_reference"] == "order-7" and mo["sent_at"] == "2026-01-05T09:59:00.000Z"
    assert mo["operator_id"] == "21401"


async def test_operator_id_left_out_when_unknown(sinch, receiver):
    await sinch.post("/_smsproof/inbound", json={
        "provider": "sinch", "from": "+81312345678", "to": "+4915112348765", "body": "hi"})
    [mo] = callbacks(receiver, "/SP1/mo")
    assert "operator_id" not in mo and "client_reference" not in mo


async def test_groups_expand_in_to_and_unknown_group_is_403(sinch, receiver):
    created = await sinch.post(f"{BASE}/groups", headers=AUTH,
                               json={"name": "vip", "members": ["+34600000010", "0034600000011"]})
    assert created.status_code == 201
    group = created.json()
    assert group["size"] == 2 and group["name"] == "vip"
    members = (await sinch.get(f"{BASE}/groups/{group['id']}/members", headers=AUTH)).json()
    assert members == ["+34600000010", "+34600000011"]
    listed = (await sinch.get(f"{BASE}/groups", headers=AUTH)).json()
    assert listed["count"] == 1 and listed["groups"] == [group]
    batch = (await send(sinch, to=[group["id"], "+34600000012"])).json()
    assert batch["to"] == ["+34600000010", "+34600000011", "+34600000012"]
    unknown = await send(sinch, to=["01FC66621VHDBN119Z8PMV1QPU"])
    assert unknown.status_code == 403
    assert unknown.json() == {"code": "unknown_group",
                              "text": "Group '01FC66621VHDBN119Z8PMV1QPU' is unknown or deleted"}
    other_plan = await send(sinch, plan="SP2", token="T2", to=[group["id"]])
    assert other_plan.status_code == 403
    assert (await sinch.delete(f"{BASE}/groups/{group['id']}", headers=AUTH)).status_code == 204
    assert (await sinch.get(f"{BASE}/groups/{group['id']}", headers=AUTH)).status_code == 404
    assert (await sinch.post(f"{BASE}/groups", headers=AUTH,
                             json={"members": ["+1"]})).status_code == 400


async def test_429_body_is_the_documented_error_object(sinch):
    await sinch.post("/_smsproof/faults", json={"provider": "sinch", "endpoint": "send",
                                                "kind": "status", "status": 429})
    response = await send(sinch)
    assert response.status_code == 429
    assert json.loads(response.content) == {"code": "too_many_requests", "text": "Injected fault"}


@pytest.mark.parametrize("spec", [{"outcome": "delivered", "dispatched": "no"},
                                  {"outcome": "delivered", "rejection": 999},
                                  {"outcome": "delivered", "report_status": 5}])
async def test_invalid_network_fields_of_a_handset_script_are_422(sinch, spec):
    response = await sinch.put("/_smsproof/outcomes/+34600000010", json=spec)
    assert response.status_code == 422


async def test_handset_script_lists_its_network_fields(sinch):
    spec = {"outcome": "failed", "delay_seconds": 1.0, "dispatched": False,
            "report_status": "buffered", "rejection": 402}
    assert (await sinch.put("/_smsproof/outcomes/+34600000010", json=spec)).status_code == 200
    [listed] = (await sinch.get("/_smsproof/outcomes")).json()["outcomes"]
    assert listed == {"msisdn": "+34600000010", **spec}
