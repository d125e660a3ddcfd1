"""The official Sinch clients, unchanged apart from their base URL, against the fakes served by
uvicorn on 127.0.0.1; the sinch SDK's webhook parser and signature check on the callbacks the
fake emits (clients.md §1.1)."""
import json

import clx.xms
import httpx
import pytest
from sinch import SinchClient

from fake_providers.app import create_app
from fake_providers.testing import running_server

pytestmark = pytest.mark.sdk


@pytest.fixture
def served(network):
    with running_server(create_app(network)) as base:
        with httpx.Client(base_url=base) as control:
            control.post("/_smsproof/clock", json={"mode": "virtual",
                                                   "now": "2026-01-05T10:00:00.000Z"})
            control.put("/_smsproof/accounts/sinch/SP1", json={
                "api_token": "T1", "dlr_callback_url": "http://platform/dlr",
                "mo_callback_url": "http://platform/mo", "webhook_secret": "KayakingTheSwell",
                "numbers": [{"number": "+4915112348765"}]})
            control.put("/_smsproof/accounts/sinch/PRJ", json={"key_id": "K", "key_secret": "S"})
            yield base, control


def service_plan_client(base):
    client = SinchClient(service_plan_id="SP1", sms_api_token="T1", sms_region="us")
    client.configuration.sms_origin_with_service_plan_id = base
    return client


def test_sinch_sdk_service_plan_send_and_read_back(served):
    base, control = served
    sms = service_plan_client(base).sms
    batch = sms.batches.send_sms(to=["+34600000010", "+34600000011"], from_="Shop",
                                 body="Hi ${name}", delivery_report="full",
                                 client_reference="ref1",
                                 parameters={"name": {"+34600000010": "Tim", "default": "you"}})
    assert batch.id and batch.to == ["+34600000010", "+34600000011"] and batch.client_reference == "ref1"
    assert sms.batches.get(batch_id=batch.id).body == "Hi ${name}"
    assert [b.id for b in sms.batches.list(page_size=10).iterator()] == [batch.id]
    control.post("/_smsproof/clock/advance", json={"seconds": 10})
    report = sms.delivery_reports.get(batch_id=batch.id, report_type="full",
                                      status=["DELIVERED"], code=[0])
    assert report.total_message_count == 2
    assert sorted(report.statuses[0].recipients) == ["+34600000010", "+34600000011"]
    one = sms.delivery_reports.get_for_number(batch_id=batch.id, recipient="+34600000010")
    assert one.status == "Delivered" and one.code == 0
    assert sms.delivery_reports.list().content()[0].batch_id == batch.id
    dry = sms.batches.dry_run(to=["+34600000010"], from_="Shop", body="é" * 161,
                              per_recipient=True, number_of_recipients=10)
    assert dry.number_of_messages == 2 and dry.per_recipient[0].encoding == "GSM"
    bodies = {m["to"]: m["body"] for m in control.get("/_smsproof/messages").json()["messages"]}
    assert bodies == {"+34600000010": "Hi Tim", "+34600000011": "Hi you"}


def test_sinch_sdk_update_replace_cancel_and_inbounds(served):
    base, control = served
    sms = service_plan_client(base).sms
    later = sms.batches.send_sms(to=["+34600000010"], from_="Shop", body="later",
                                 send_at="2026-01-05T12:00:00Z")
    updated = sms.batches.update_sms(batch_id=later.id, body="changed", to_add=["+34600000012"])
    assert updated.body == "changed" and "+34600000012" in updated.to
    replaced = sms.batches.replace_sms(batch_id=later.id, to=["+34600000013"], from_="Shop",
                                      body="replaced")
    assert replaced.to == ["+34600000013"]
    assert sms.batches.cancel(batch_id=later.id).canceled is True
    control.post("/_smsproof/inbound", json={"provider": "sinch", "from": "+34600000010",
                                             "to": "+4915112348765", "body": "STOP"})
    inbound = sms.inbounds.list().content()[0]
    assert inbound.body == "STOP" and sms.inbounds.get(inbound_id=inbound.id).from_ == "+34600000010"


def test_sinch_sdk_groups(served):
    base, control = served
    groups = service_plan_client(base).sms.groups
    vip = groups.create(name="vip", members=["+34600000010", "+34600000011"])
    other = groups.create(name="other", members=["+34600000012"], auto_update={
        "to": "+4915112348765", "add": {"first_word": "JOIN"}, "remove": {"first_word": "LEAVE"}})
    assert other.auto_update.to == "+4915112348765" and other.auto_update.add.first_word == "JOIN"
    assert vip.size == 2 and groups.get(group_id=vip.id).name == "vip"
    assert [g.id for g in groups.list(page_size=10).iterator()] == [other.id, vip.id]
    # the SDK sends every unset field of an update as null: the name (and an auto_update) is
    # erased, as documented
    updated = groups.update(group_id=vip.id, add=["+34600000013"], remove=["+34600000010"],
                            add_from_group=other.id)
    assert updated.size == 3 and updated.name is None and updated.modified_at >= vip.modified_at
    assert list(groups.list_members(group_id=vip.id).iterator()) == [
        "+34600000011", "+34600000013", "+34600000012"]
    replaced = groups.replace(group_id=vip.id, name="vip2", members=["+34600000014"])
    assert replaced.name == "vip2" and replaced.size == 1
    batch = service_plan_client(base).sms.batches.send_sms(to=[vip.id], from_="Shop", body="hi")
    assert batch.to == ["+34600000014"]
    parent = groups.create(name="all", members=["+34600000015"], child_groups=[vip.id])
    assert parent.child_groups == [vip.id] and parent.size == 2
    assert groups.delete(group_id=other.id) is None
    assert [g.id for g in groups.list().iterator()] == [parent.id, vip.id]


def test_sinch_sdk_oauth_project_mode(served):
    base, control = served
    client = SinchClient(project_id="PRJ", key_id="K", key_secret="S", sms_region="eu")
    client.configuration.sms_origin = base
    client.configuration.auth_origin = base
    batch = client.sms.batches.send_sms(to=["+34600000010"], from_="Shop", body="via oauth")
    assert client.sms.batches.get(batch_id=batch.id).body == "via oauth"
    control.post("/_smsproof/clock/advance", json={"seconds": 3700})  # the token expires
    assert client.sms.batches.get(batch_id=batch.id).id == batch.id  # the SDK renews it
    tokens = [e for e in control.get("/_smsproof/journal").json()["entries"]
              if e.get("endpoint") == "oauth_token"]
    assert len(tokens) == 2 and all(t["account"] == "PRJ" for t in tokens)


def test_clx_sdk_send_and_read_back(served):
    base, control = served
    client = clx.xms.Client("SP1", "T1", endpoint=base + "/xms")
    batch = client.create_text_message("Shop", "+34600000010", "Hello from clx")
    assert batch.batch_id and batch.body == "Hello from clx"
    assert client.fetch_batch(batch.batch_id).recipients == {"+34600000010"}
    assert [b.batch_id for b in client.fetch_batches(page_size=5).get(0).content] == [batch.batch_id]
    create = clx.xms.api.MtBatchTextSmsCreate()
    create.sender, create.recipients, create.body = "Shop", {"+34600000010"}, "ç" * 71
    dry = client.create_batch_dry_run(create, 5)
    assert dry.number_of_messages == 2 and dry.per_recipient[0].encoding == "UNICODE"
    control.post("/_smsproof/clock/advance", json={"seconds": 10})
    report = client.fetch_delivery_report(batch.batch_id, "full")
    assert report.statuses[0].status == "Delivered" and report.statuses[0].recipients == {"+34600000010"}
    assert client.fetch_recipient_delivery_report(batch.batch_id, "+34600000010").code == 0
    client.cancel_batch(batch.batch_id)
    assert client.fetch_batch(batch.batch_id).canceled is True


def test_clx_sdk_errors(served):
    base, control = served
    wrong = clx.xms.Client("SP1", "nope", endpoint=base + "/xms")
    with pytest.raises(clx.xms.exceptions.UnauthorizedException):
        wrong.fetch_batch("x")
    client = clx.xms.Client("SP1", "T1", endpoint=base + "/xms")
    with pytest.raises(clx.xms.exceptions.NotFoundException):
        client.fetch_batch("01AAAAAAAAAAAAAAAAAAAAAAAA")
    with pytest.raises(clx.xms.exceptions.ErrorResponseException) as error:
        client.create_text_message("Shop", "+1", "x")
    assert error.value.error_code == "syntax_invalid_parameter_format"


def test_sdk_webhook_parser_and_signature_accept_emitted_callbacks(served, receiver):
    base, control = served
    sms = service_plan_client(base).sms
    sms.batches.send_sms(to=["+34600000010"], from_="Shop", body="hi", delivery_report="per_recipient")
    sms.batches.send_sms(to=["+34600000011"], from_="Shop", body="hi", delivery_report="full")
    control.post("/_smsproof/clock/advance", json={"seconds": 10})
    control.post("/_smsproof/inbound", json={"provider": "sinch", "from": "+34600000010",
                                             "to": "+4915112348765", "body": "AQI=",
                                             "details": {"udh": "0500030A0201"}})
    control.post("/_smsproof/inbound", json={"provider": "sinch", "from": "+34600000010",
                                             "to": "+4915112348765", "body": "STOP"})
    events = sms.sinch_events("KayakingTheSwell")
    kinds = []
    for request in receiver.received:
        assert events.validate_authentication_header(request["headers"], request["body"])
        event = events.parse_event(request["body"], request["headers"])
        kinds.append((json.loads(request["body"])["type"], type(event).__name__))
    assert ("recipient_delivery_report_sms", "RecipientDeliveryReport") in kinds
    assert ("delivery_report_sms", "BatchDeliveryReport") in kinds
    assert ("mo_text", "MOTextMessage") in kinds
    assert ("mo_binary", "MOBinaryMessage") in kinds
    mo = events.parse_event(receiver.received[-1]["body"], receiver.received[-1]["headers"])
    assert mo.body == "STOP" and mo.received_at.isoformat().startswith("2026-01-05T10:00:10")
    tampered = dict(receiver.received[-1]["headers"])
    assert not events.validate_authentication_header(tampered, receiver.received[-1]["body"] + b" ")


def test_drop_connection_fault_over_a_real_socket(served):
    base, control = served
    control.post("/_smsproof/faults", json={"provider": "sinch", "endpoint": "get",
                                            "kind": "drop_connection", "times": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(base + "/xms/v1/SP1/batches/x", headers={"Authorization": "Bearer T1"})
    after = httpx.get(base + "/xms/v1/SP1/batches/x", headers={"Authorization": "Bearer T1"})
    assert after.status_code == 404
