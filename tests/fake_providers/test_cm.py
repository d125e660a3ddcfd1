"""The CM.com fake: POST /v1.0/message with its token dialects, partial success and error codes,
the parts limits, status reports and incoming messages with CM's retries, faults and isolation
(providers.md §2)."""
import json
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_providers.cm import MO_RETRY, STATUS_REPORT_RETRY, Backend, CmError
from fake_providers.network import Network

pytestmark = pytest.mark.anyio
TOKEN = "00000000-0000-0000-0000-0000000000c1"
OTHER = "00000000-0000-0000-0000-0000000000c2"
PHONE = "0034600000010"


@pytest.fixture
async def cm(virtual):
    """Two CM accounts with callback URLs to the receiver (TOKEN owns +3197010000000 and 3010)."""
    for token, number in ((TOKEN, "+3197010000000"), (OTHER, "+3197010000001")):
        response = await virtual.put(f"/_smsproof/accounts/cm/{token}", json={
            "mo_callback_url": f"http://platform/{token[-2:]}/mo",
            "dlr_callback_url": f"http://platform/{token[-2:]}/dlr",
            "numbers": [{"number": number}, {"number": "3010" if token == TOKEN else "3011",
                                            "type": "short_code"}]})
        assert response.status_code == 200
    return virtual


def msg(**fields):
    return {"from": "Shop", "to": [{"number": PHONE}], "body": {"type": "auto", "content": "Hello"},
            **fields}


async def send(client, *msgs, token=TOKEN, headers=None, dialect="producttoken"):
    body = {"messages": {"msg": list(msgs) or [msg()]}}
    if token is not None:
        body["messages"]["authentication"] = {dialect: token}
    return await client.post("/v1.0/message", json=body, headers=headers or {})


async def advance(client, seconds):
    return (await client.post("/_smsproof/clock/advance", json={"seconds": seconds})).json()


def posted(receiver, path):
    return [json.loads(body) for body in receiver.bodies(path)]


async def messages(client, **filters):
    return (await client.get("/_smsproof/messages", params={"provider": "cm", **filters})).json()["messages"]


# -- sending --------------------------------------------------------------------------------------
async def test_accepted_message_has_the_documented_response(cm):
    response = await send(cm, msg(reference="r1"))
    assert response.status_code == 200
    assert response.json() == {"details": "Created 1 message(s)", "errorCode": 0, "messages": [
        {"to": PHONE, "status": "Accepted", "reference": "r1", "parts": 1,
         "messageDetails": None, "messageErrorCode": 0}]}


async def test_accepted_message_is_journaled_and_delivered(cm):
    await send(cm, msg(body={"type": "auto", "content": "Κείμενο " * 10}, reference="r1"))
    [message] = await messages(cm)
    assert (message["to"], message["from"], message["account"]) == (PHONE, "Shop", TOKEN)
    assert (message["encoding"], message["segment_count"], message["status"]) == ("UCS2", 2, "Queued")
    assert message["provider_message_id"] == "r1"
    await advance(cm, 0)
    assert (await messages(cm))[0]["status"] == "Dispatched"
    await advance(cm, 5)
    assert (await messages(cm))[0]["status"] == "Delivered"


@pytest.mark.parametrize("dialect", ["producttoken", "productToken", "PRODUCTTOKEN"])
async def test_token_in_the_body_in_any_case(cm, dialect):
    assert (await send(cm, dialect=dialect)).json()["errorCode"] == 0


async def test_token_in_the_header_without_authentication(cm):
    response = await send(cm, token=None, headers={"X-CM-PRODUCTTOKEN": TOKEN})
    assert response.status_code == 200
    [entry] = (await cm.get("/_smsproof/journal", params={"kind": "mt_request"})).json()["entries"]
    assert entry["account"] == TOKEN and entry["endpoint"] == "send" and entry["status"] == 200


async def test_keys_and_body_type_in_any_case(cm):
    body = {"MESSAGES": {"Authentication": {"ProductToken": TOKEN.upper()}, "Msg": [
        {"FROM": "Shop", "To": [{"Number": PHONE}], "Body": {"Type": "AUTO", "Content": "a"}},
        {"from": "Shop", "to": [{"number": PHONE}], "body": {"type": "Text", "content": "b"},
         "minimumNumberOfMessageParts": 1, "MAXIMUMNUMBEROFMESSAGEPARTS": 2}]}}
    response = await cm.post("/v1.0/message", json=body)
    assert response.status_code == 200 and response.json()["details"] == "Created 2 message(s)"
    assert [m["body"] for m in await messages(cm)] == ["a", "b"]


@pytest.mark.parametrize("number", ["0034600000010", "+34600000010", "34600000010"])
async def test_numbers_in_00_plus_and_bare_form(cm, number):
    response = await send(cm, msg(to=[{"number": number}]))
    assert response.json()["messages"][0]["to"] == number
    assert (await messages(cm))[0]["to"] == "0034600000010"


async def test_each_recipient_and_msg_gives_one_result(cm):
    response = await send(cm, msg(to=[{"number": "0034600000010"}, {"number": "0034600000011"}]),
                          msg(reference="second"))
    assert [(m["to"], m["reference"]) for m in response.json()["messages"]] == [
        ("0034600000010", None), ("0034600000011", None), (PHONE, "second")]
    assert len(await messages(cm)) == 3


# -- partial success and errors -------------------------------------------------------------------
async def test_partial_success_is_200_with_error_code_201(cm):
    response = await send(cm, msg(reference="your_reference_A"),
                          msg(reference="your_reference_B", body={"type": "auto", "content": ""}))
    assert response.status_code == 200
    assert response.json() == {"details": "Created 1 message(s)", "errorCode": 201, "messages": [
        {"to": PHONE, "status": "Accepted", "reference": "your_reference_A", "parts": 1,
         "messageDetails": None, "messageErrorCode": 0},
        {"to": PHONE, "status": "Rejected", "reference": "your_reference_B", "parts": 0,
         "messageDetails": "A body without content was found", "messageErrorCode": 304}]}
    assert len(await messages(cm)) == 1


async def test_nothing_accepted_is_400(cm):
    response = await send(cm, msg(to=[{"number": "0044791112345a"}], reference="your_reference_A"))
    assert response.status_code == 400
    assert response.json() == {"details": "Created 0 message(s)", "errorCode": 201, "messages": [
        {"to": "0044791112345a", "status": "Rejected", "reference": "your_reference_A", "parts": 0,
         "messageDetails": "Gsm '0044791112345a' is not a number.", "messageErrorCode": 303}]}
    assert await messages(cm) == []


@pytest.mark.parametrize(("fields", "code"), [
    ({"from": None}, 301), ({"from": "TwelveLetter"}, 301), ({"from": "1" * 17}, 301),
    ({"from": "Shop!"}, 301),
    ({"to": []}, 302), ({"to": None}, 302), ({"to": [{"number": PHONE}] * 1001}, 302),
    ({"to": [{"number": "12"}]}, 303), ({"to": [{"number": 34600000010}]}, 303),
    ({"to": [{"number": "0612345678"}]}, 303),
    ({"body": None}, 304), ({"body": {"type": "auto"}}, 304), ({"body": "Hello"}, 304),
    ({"body": {"type": "binary", "content": "AAEC"}}, 305),
    ({"body": {"type": "html", "content": "x"}}, 305),
    ({"minimumNumberOfMessageParts": 3, "maximumNumberOfMessageParts": 2}, 305),
    ({"maximumNumberOfMessageParts": 9}, 305), ({"minimumNumberOfMessageParts": 0}, 305),
    ({"maximumNumberOfMessageParts": "8"}, 305), ({"maximumNumberOfMessageParts": True}, 305),
    ({"reference": "r" * 33}, 305), ({"reference": 12}, 305),
    ({"customGrouping3": "g" * 101}, 305), ({"allowedChannels": ["WhatsApp"]}, 305),
    ({"dcs": 4}, 305),
])
async def test_per_message_error_codes(cm, fields, code):
    response = await send(cm, msg(**fields), msg(reference="ok"))
    assert response.status_code == 200 and response.json()["errorCode"] == 201
    rejected, accepted = response.json()["messages"][0], response.json()["messages"][-1]
    assert (rejected["status"], rejected["messageErrorCode"], rejected["parts"]) == ("Rejected", code, 0)
    assert rejected["messageDetails"]
    assert accepted["status"] == "Accepted"


@pytest.mark.parametrize("sender", ["Shop", "ElevenChars", "My Shop", "1234567890123456", "+3197010000000"])
async def test_valid_senders(cm, sender):
    assert (await send(cm, msg(**{"from": sender}))).json()["errorCode"] == 0


async def test_a_msg_without_recipients_is_one_rejection_without_to(cm):
    [result] = (await send(cm, msg(to=[]))).json()["messages"]
    assert result["to"] is None and result["messageErrorCode"] == 302


@pytest.mark.parametrize(("body", "headers", "code", "details"), [
    ({"messages": {"authentication": {"producttoken": "00000000-0000-0000-0000-00000000dead"},
                   "msg": [msg()]}}, {}, 101, "No account found for the given authentication"),
    ({"messages": {"msg": [msg()]}}, {}, 101, "No account found for the given authentication"),
    ({"messages": {"msg": [msg()]}}, {"X-CM-PRODUCTTOKEN": "not-a-token"}, 103, "Invalid product token."),
    ({"messages": {"authentication": {"producttoken": "wrong"}, "msg": [msg()]}}, {}, 103,
     "Invalid product token."),
    ({"message": {}}, {"X-CM-PRODUCTTOKEN": TOKEN}, 202, None),
    ([1, 2], {"X-CM-PRODUCTTOKEN": TOKEN}, 202, None),
    ({"messages": {}}, {"X-CM-PRODUCTTOKEN": TOKEN}, 203, None),
    ({"messages": {"msg": []}}, {"X-CM-PRODUCTTOKEN": TOKEN}, 203, None),
    ({"messages": {"msg": ["text"]}}, {"X-CM-PRODUCTTOKEN": TOKEN}, 203, None),
    ({"messages": {"msg": [msg()] * 1001}}, {"X-CM-PRODUCTTOKEN": TOKEN}, 203, None),
])
async def test_request_level_errors_are_400_without_messages(cm, body, headers, code, details):
    response = await cm.post("/v1.0/message", json=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["errorCode"] == code and response.json()["messages"] == []
    if details:
        assert response.json()["details"] == details
    assert await messages(cm) == []


async def test_invalid_json_is_202(cm):
    response = await cm.post("/v1.0/message", content=b'{"messages": {', headers={"X-CM-PRODUCTTOKEN": TOKEN})
    assert response.status_code == 400 and response.json()["errorCode"] == 202


async def test_a_single_msg_object_is_read_as_a_list_of_one(cm):
    response = await cm.post("/v1.0/message", json={"messages": {
        "authentication": {"producttoken": TOKEN}, "msg": msg()}})
    assert response.json()["errorCode"] == 0


@settings(max_examples=60, deadline=None)
@given(element=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                            lambda inner: st.lists(inner, max_size=3)
                            | st.dictionaries(st.sampled_from(["from", "to", "body", "number", "content",
                                                               "type", "reference", "dcs"]), inner,
                                              max_size=4), max_leaves=12))
def test_any_msg_element_gets_a_cm_answer(element):
    backend = Backend(Network())
    backend.network.accounts.put("cm", TOKEN, {})
    raw = json.dumps({"messages": {"authentication": {"producttoken": TOKEN}, "msg": [element]}})
    try:
        answer = backend.send(raw.encode(), None)
    except CmError as error:
        assert error.code == 203
    else:
        assert answer["messages"] and answer["errorCode"] in (0, 201)


# -- message parts ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "maximum", "accepted", "parts"), [
    ("a" * 160, 1, True, 1), ("a" * 161, 1, False, 0), ("a" * 161, 2, True, 2),
    ("a" * 306, 2, True, 2), ("a" * 307, 2, False, 0), ("ç" * 70, 1, True, 1), ("ç" * 71, 1, False, 0),
    ("a" * 153 * 8, None, True, 8), ("a" * (153 * 8 + 1), None, False, 0),
], ids=["160-max1", "161-max1", "161-max2", "306-max2", "307-max2", "70ucs2-max1", "71ucs2-max1",
        "8parts-default", "9parts-default"])
async def test_maximum_number_of_message_parts(cm, text, maximum, accepted, parts):
    limits = {} if maximum is None else {"minimumNumberOfMessageParts": 1,
                                         "maximumNumberOfMessageParts": maximum}
    [result] = (await send(cm, msg(body={"type": "auto", "content": text}, **limits))).json()["messages"]
    assert (result["status"] == "Accepted", result["parts"]) == (accepted, parts)
    if not accepted:
        assert result["messageErrorCode"] == 304 and "maximumNumberOfMessageParts" in result["messageDetails"]


async def test_a_text_shorter_than_the_minimum_goes_as_it_is(cm):
    [result] = (await send(cm, msg(minimumNumberOfMessageParts=3, maximumNumberOfMessageParts=8))).json()["messages"]
    assert (result["status"], result["parts"]) == ("Accepted", 1)


async def test_parts_limit_rejects_only_that_recipient_text(cm):
    response = await send(cm, msg(body={"type": "auto", "content": "a" * 200}, maximumNumberOfMessageParts=1),
                          msg(body={"type": "auto", "content": "short"}, maximumNumberOfMessageParts=1))
    assert [m["status"] for m in response.json()["messages"]] == ["Rejected", "Accepted"]


# -- status reports -------------------------------------------------------------------------------
async def test_status_reports_accepted_then_delivered_in_the_json_template(cm, receiver):
    await send(cm, msg(reference="r1"))
    await advance(cm, 5)
    assert posted(receiver, "/c1/dlr") == [
        {"messages": {"msg": {"received": "2026-01-05T10:00:00", "to": PHONE, "reference": "r1",
                              "status": {"code": "0", "errorCode": "", "errorDescription": ""},
                              "operator": "21401"}}},
        {"messages": {"msg": {"received": "2026-01-05T10:00:05", "to": PHONE, "reference": "r1",
                              "status": {"code": "2", "errorCode": "", "errorDescription": ""},
                              "operator": "21401"}}}]
    assert receiver.received[0]["headers"]["content-type"] == "application/json"
    dlrs = (await cm.get("/_smsproof/journal", params={"account": TOKEN, "kind": "dlr"})).json()["entries"]
    assert len(dlrs) == 2


async def test_one_status_report_per_message(cm, receiver):
    await send(cm, msg(to=[{"number": "0034600000010"}, {"number": "0034600000011"}]))
    await advance(cm, 5)
    reports = posted(receiver, "/c1/dlr")
    assert sorted((r["messages"]["msg"]["to"], r["messages"]["msg"]["status"]["code"]) for r in reports) == [
        ("0034600000010", "0"), ("0034600000010", "2"), ("0034600000011", "0"), ("0034600000011", "2")]
    assert all(r["messages"]["msg"]["reference"] == "" for r in reports)


@pytest.mark.parametrize(("suffix", "journal_status", "code", "error_code"), [
    ("0001", "Failed", "3", "5"), ("0002", "Expired", "3", "6"), ("0003", "Rejected", "1", "12"),
    ("0004", "Bounced", "3", "9")])
async def test_magic_numbers_give_their_status_report(cm, receiver, suffix, journal_status, code, error_code):
    await send(cm, msg(to=[{"number": "003460000" + suffix}]))
    await advance(cm, 5)
    final = posted(receiver, "/c1/dlr")[-1]["messages"]["msg"]["status"]
    assert (final["code"], final["errorCode"]) == (code, error_code) and final["errorDescription"]
    assert (await messages(cm))[0]["status"] == journal_status


async def test_scripted_outcome_and_delay(cm, receiver):
    await cm.put("/_smsproof/outcomes/+34600000010", json={"outcome": "failed", "delay_seconds": 60})
    await send(cm)
    await advance(cm, 59)
    assert len(posted(receiver, "/c1/dlr")) == 1
    await advance(cm, 1)
    assert posted(receiver, "/c1/dlr")[-1]["messages"]["msg"]["status"]["code"] == "3"


async def test_status_reports_are_retried_every_five_minutes_on_any_non_2xx(cm, receiver):
    await cm.put("/_smsproof/outcomes/+34600000010", json={"outcome": "delivered", "delay_seconds": 3600})
    receiver.statuses = [503, 404]
    await send(cm)
    await advance(cm, 0)
    [pending] = (await cm.get("/_smsproof/callbacks", params={"state": "pending"})).json()["callbacks"]
    assert pending["next_attempt_at"] == "2026-01-05T10:05:00.000Z"
    await advance(cm, 600)
    attempts = (await cm.get("/_smsproof/journal", params={"kind": "callback_attempt"})).json()["entries"]
    assert [(a["status"], a["at"]) for a in attempts] == [(503, "2026-01-05T10:00:00.000Z"), (404, "2026-01-05T10:05:00.000Z"),
                        (200, "2026-01-05T10:10:00.000Z")]


def test_retry_windows_are_seven_days_for_reports_and_a_month_for_incoming():
    assert STATUS_REPORT_RETRY.delay(1) == STATUS_REPORT_RETRY.delay(9) == MO_RETRY.delay(5) == 300
    assert STATUS_REPORT_RETRY.max_retries * 300 == 7 * 24 * 3600
    assert MO_RETRY.max_retries * 300 == 30 * 24 * 3600


async def test_without_a_status_report_url_reports_stay_queued(cm):
    await cm.put(f"/_smsproof/accounts/cm/{TOKEN}", json={})
    await send(cm)
    await advance(cm, 5)
    pending = (await cm.get("/_smsproof/callbacks", params={"state": "pending"})).json()["callbacks"]
    assert [c["kind"] for c in pending] == ["dlr", "dlr"] and pending[0]["error"] == "no callback URL configured"


# -- incoming messages ----------------------------------------------------------------------------
async def test_incoming_message_in_cm_format_with_reference_of_the_last_mt(cm, receiver):
    await send(cm, msg(reference="first"))
    await send(cm, msg(reference="last", customGrouping="g1", customGrouping3="g3"))
    await advance(cm, 5)
    response = await cm.post("/_smsproof/inbound", json={"provider": "cm", "from": "+34600000010",
                                                         "to": "+3197010000000", "body": "STOP"})
    assert response.status_code == 201 and response.json()["account"] == TOKEN
    assert response.json()["callback"]["state"] == "delivered"
    assert posted(receiver, "/c1/mo") == [{
        "reference": "last", "messageContext": None, "from": {"number": "+34600000010", "name": None},
        "to": {"number": "+3197010000000"}, "message": {"text": "STOP"}, "groupings": ["g1", "", "g3"],
        "timeUtc": "2026-01-05T10:00:05", "channel": "SMS"}]
    [mo] = await messages(cm, direction="mo")
    assert (mo["from"], mo["to"], mo["body"], mo["status"]) == ("+34600000010", "+3197010000000", "STOP", "Received")


async def test_incoming_message_without_prior_mt_and_to_a_short_code(cm, receiver):
    response = await cm.post("/_smsproof/inbound", json={"provider": "cm", "from": "0034600000099",
                                                         "to": "3010", "body": "help"})
    assert response.status_code == 201
    [mo] = posted(receiver, "/c1/mo")
    assert mo["reference"] is None and mo["groupings"] == ["", "", ""]
    assert mo["from"]["number"] == "+34600000099" and mo["to"]["number"] == "3010"


async def test_incoming_message_to_a_shared_short_code_by_keyword(cm, receiver):
    await cm.put(f"/_smsproof/accounts/cm/{OTHER}", json={
        "mo_callback_url": "http://platform/c2/mo",
        "numbers": [{"number": "3333", "type": "shared_short_code", "keywords": ["toys"]}]})
    response = await cm.post("/_smsproof/inbound", json={"provider": "cm", "from": "+34600000010",
                                                         "to": "3333", "body": "TOYS stop"})
    assert response.json()["account"] == OTHER
    assert posted(receiver, "/c2/mo")[0]["message"]["text"] == "TOYS stop"
    unknown = await cm.post("/_smsproof/inbound", json={"provider": "cm", "from": "+34600000010",
                                                        "to": "3333", "body": "cars"})
    assert unknown.status_code == 404


async def test_incoming_messages_are_retried_on_anything_but_200(cm, receiver):
    receiver.statuses = [400, 204, 500]
    response = await cm.post("/_smsproof/inbound", json={"provider": "cm", "from": "+34600000010",
                                                         "to": "+3197010000000", "body": "hi"})
    assert response.json()["callback"] == {"id": response.json()["callback"]["id"], "state": "pending",
                                           "status": 400, "error": None}
    await advance(cm, 300)
    await advance(cm, 300)
    await advance(cm, 300)
    [done] = (await cm.get("/_smsproof/callbacks", params={"state": "delivered"})).json()["callbacks"]
    assert done["kind"] == "mo" and done["attempts"] == 4


# -- routing, faults, isolation --------------------------------------------------------------------
@pytest.mark.parametrize(("path", "host"), [
    ("/v1.0/message", "fakes.test"), ("/cm/v1.0/message", "fakes.test"),
    ("/v1.0/message", "gw.messaging.cm.com"), ("/v1.0/message", "gw.cmtelecom.com"),
    ("/v1.0/message", "gw-uk.cmtelecom.com:443"), ("/v1.0/message", "gw.cmtelecom.co.za"),
    ("/v1.0/message/", "fakes.test")])
async def test_served_at_root_under_prefix_and_by_host(cm, path, host):
    response = await cm.post(path, headers={"Host": host, "X-CM-PRODUCTTOKEN": TOKEN},
                             json={"messages": {"msg": [msg()]}})
    assert response.status_code == 200


async def test_status_fault_answers_with_a_cm_body(cm):
    await cm.post("/_smsproof/faults", json={"provider": "cm", "account": TOKEN, "endpoint": "send",
                                             "kind": "status", "status": 503, "retry_after": 3, "times": 1})
    faulted = await send(cm)
    assert faulted.status_code == 503 and faulted.headers["retry-after"] == "3"
    assert faulted.json() == {"details": "Injected fault", "errorCode": 500, "messages": []}
    assert (await send(cm, token=OTHER)).status_code == 200  # the fault is scoped to TOKEN
    assert (await send(cm)).status_code == 200  # times: 1
    assert [m["account"] for m in await messages(cm)] == [OTHER, TOKEN]


async def test_drop_callback_fault_leaves_the_report_failed_and_visible(cm, receiver):
    await cm.post("/_smsproof/faults", json={"provider": "cm", "endpoint": "callback",
                                             "kind": "drop_callback", "times": 1})
    await send(cm)
    await advance(cm, 5)
    [failed] = (await cm.get("/_smsproof/callbacks", params={"state": "failed"})).json()["callbacks"]
    assert failed["error"] == "dropped by fault"
    assert len(posted(receiver, "/c1/dlr")) == 1  # the delivered report still went out


async def test_reset_of_one_account_keeps_the_other(cm, receiver):
    await send(cm, msg(reference="mine"))
    await send(cm, msg(reference="theirs"), token=OTHER)
    await cm.post("/_smsproof/reset", json={"provider": "cm", "account": TOKEN})
    assert [m["account"] for m in await messages(cm)] == [OTHER]
    await advance(cm, 5)
    assert posted(receiver, "/c1/dlr") == [] and len(posted(receiver, "/c2/dlr")) == 2
    await cm.post("/_smsproof/inbound", json={"provider": "cm", "from": "+34600000010",
                                              "to": "+3197010000000", "body": "hi"})
    assert posted(receiver, "/c1/mo")[0]["reference"] is None  # forgotten, and never OTHER's


async def test_accounts_do_not_share_references_in_incoming_messages(cm, receiver):
    await send(cm, msg(reference="theirs"), token=OTHER)
    await cm.post("/_smsproof/inbound", json={"provider": "cm", "from": "+34600000010",
                                              "to": "+3197010000000", "body": "hi"})
    assert posted(receiver, "/c1/mo")[0]["reference"] is None


# -- fidelity: formats per account, rejections -------------------------------------------------
async def set_options(client, token=TOKEN, **options):
    account = (await client.get(f"/_smsproof/accounts/cm/{token}")).json()
    account["options"] = options
    assert (await client.put(f"/_smsproof/accounts/cm/{token}", json=account)).status_code == 200


async def test_status_reports_in_the_xml_template(cm, receiver):
    await set_options(cm, status_report_format="xml")
    assert (await send(cm, msg(reference="r<1"))).status_code == 200
    await advance(cm, 10)
    [accepted, delivered] = [r for r in receiver.received if r["url"].endswith("/c1/dlr")]
    assert accepted["headers"]["content-type"] == "application/xml"
    root = ElementTree.fromstring(delivered["body"])
    record = root.find("MSG")
    assert record.get("RECEIVED") == "2026-01-05T10:00:05"
    assert (record.findtext("TO"), record.findtext("REFERENCE")) == (PHONE, "r<1")
    assert record.findtext("STATUS/CODE") == "2" and record.findtext("STATUS/ERRORCODE") == ""


async def test_incoming_message_in_the_legacy_flat_format(cm, receiver):
    await set_options(cm, mo_format="legacy")
    await send(cm, msg(reference="r1", customGrouping="g1"))
    await cm.post("/_smsproof/inbound", json={"provider": "cm", "from": "+34600000010",
                                             "to": "+3197010000000", "body": "STOP"})
    [mo] = posted(receiver, "/c1/mo")
    assert mo == {"reference": "r1", "from": "+34600000010", "to": "+3197010000000",
                  "body": "STOP", "groupings": ["g1", "", ""]}


async def test_insufficient_balance_refuses_the_whole_request(cm):
    await set_options(cm, rejection=102)
    response = await send(cm)
    assert response.status_code == 400
    assert response.json() == {"details": "Insufficient balance.", "errorCode": 102, "messages": []}
    assert await messages(cm) == []


@pytest.mark.parametrize("code", [401, 402, 403])
async def test_account_rejection_rejects_every_recipient(cm, code):
    await set_options(cm, rejection=code)
    response = await send(cm)
    assert response.status_code == 400
    [result] = response.json()["messages"]
    assert (result["status"], result["messageErrorCode"], result["parts"]) == ("Rejected", code, 0)


async def test_number_rejection_rejects_that_number_only(cm):
    await cm.put("/_smsproof/outcomes/0034600000011", json={"outcome": "delivered", "rejection": 402})
    response = await send(cm, msg(to=[{"number": PHONE}, {"number": "0034600000011"}]))
    assert response.status_code == 200 and response.json()["errorCode"] == 201
    codes = [(m["to"], m["messageErrorCode"]) for m in response.json()["messages"]]
    assert codes == [(PHONE, 0), ("0034600000011", 402)]
    assert [m["to"] for m in await messages(cm)] == [PHONE]
