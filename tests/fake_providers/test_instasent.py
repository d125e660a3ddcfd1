"""The Instasent fake: send, bulk, get and list with their errors, the entity, paging (also the
official client's malformed query), DLR and inbound webhooks with retries, faults and isolation
(providers.md §3)."""
import json
import re

import httpx
import pytest

from fake_providers.app import create_app
from fake_providers.instasent import DLR_STATUSES
from fake_providers.network import Network

pytestmark = pytest.mark.anyio
AUTH = {"Authorization": "Bearer ITOKEN"}
OTHER = {"Authorization": "Bearer OTOKEN"}
HEX_ID = re.compile(r"^[0-9a-f]{24}$")


@pytest.fixture
async def instasent(virtual):
    """ITOKEN (one webhook URL for both kinds, as Instasent has) and OTOKEN."""
    for token, number in (("ITOKEN", "+34911234567"), ("OTOKEN", "+34911234568")):
        response = await virtual.put(f"/_smsproof/accounts/instasent/{token}", json={
            "mo_callback_url": f"http://platform/{token}/hook", "dlr_callback_url": f"http://platform/{token}/hook",
            "numbers": [{"number": number}]})
        assert response.status_code == 200
    return virtual


async def send(client, headers=AUTH, path="/sms", **fields):
    return await client.post(path, json={"from": "Shop", "to": "+34600000010", "text": "Hello"} | fields,
                             headers=headers)


async def advance(client, seconds):
    return (await client.post("/_smsproof/clock/advance", json={"seconds": seconds})).json()


def hooks(receiver, token="ITOKEN"):
    return [json.loads(body) for body in receiver.bodies(f"/{token}/hook")]


async def messages(client, **filters):
    return (await client.get("/_smsproof/messages",
                             params={"provider": "instasent", **filters})).json()["messages"]


# -- send and the entity --------------------------------------------------------------------------
async def test_send_returns_201_with_the_entity(instasent):
    response = await send(instasent, clientId="order-1")
    assert response.status_code == 201
    entity = response.json()["entity"]
    assert HEX_ID.match(entity.pop("id"))
    assert entity == {"clientId": "order-1", "from": "Shop", "to": "+34600000010", "text": "Hello",
                      "status": "enqueued", "chunks": 1, "charsCount": 5, "encoding": "GSM",
                      "createdAt": "2026-01-05T10:00:00Z"}


async def test_sent_message_is_journaled_and_its_status_follows_delivery(instasent):
    sms = (await send(instasent, to="0034600000010", text="€" * 81)).json()["entity"]
    assert (sms["chunks"], sms["charsCount"], sms["to"]) == (2, 162, "+34600000010")
    [message] = await messages(instasent)
    assert (message["encoding"], message["segment_count"], message["status"]) == ("GSM", 2, "Queued")
    assert message["provider_message_id"] == sms["id"] and message["account"] == "ITOKEN"
    await advance(instasent, 0)
    got = await instasent.get(f"/sms/{sms['id']}", headers=AUTH)
    assert got.json()["entity"]["status"] == "sent" and (await messages(instasent))[0]["status"] == "Dispatched"
    await advance(instasent, 5)
    assert (await instasent.get(f"/sms/{sms['id']}", headers=AUTH)).json()["entity"]["status"] == "delivered"
    assert (await messages(instasent))[0]["status"] == "Delivered"


async def test_allow_unicode_keeps_the_text_as_ucs2(instasent):
    entity = (await send(instasent, text="Grüße 😀 ok", allowUnicode=True)).json()["entity"]
    assert (entity["text"], entity["encoding"], entity["charsCount"], entity["chunks"]) == (
        "Grüße 😀 ok", "UCS2", 11, 1)
    assert (await messages(instasent))[0]["encoding"] == "UCS2"


async def test_without_allow_unicode_the_text_is_sent_as_gsm(instasent):
    entity = (await send(instasent, text="Grüße 😀 Łódź")).json()["entity"]
    assert (entity["text"], entity["encoding"]) == ("Grüße ? Lodz", "GSM")
    assert (await messages(instasent))[0]["body"] == "Grüße ? Lodz"


@pytest.mark.parametrize("path", ["/sms", "/sms/", "/transactional/v1/sms", "/transactional/v1/sms/",
                                  "/instasent/sms/", "/instasent/transactional/v1/sms"])
async def test_send_paths(instasent, path):
    assert (await send(instasent, path=path)).status_code == 201


async def test_served_by_host_name(instasent):
    response = await send(instasent, headers={**AUTH, "Host": "api.instasent.com"})
    assert response.status_code == 201
    assert (await instasent.get("/_smsproof/health", headers={"Host": "api.instasent.com"})).status_code == 404


# -- errors ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Bearer "},
                                     {"Authorization": "Basic ITOKEN"}, {"Authorization": "ITOKEN"}])
async def test_401_has_a_json_body(instasent, headers):
    for response in (await send(instasent, headers=headers), await instasent.get("/sms/", headers=headers),
                     await instasent.post("/sms/bulk", json=[], headers=headers)):
        assert response.status_code == 401 and "message" in response.json()
    assert await messages(instasent) == []


async def test_400_problems_parsing_json_and_not_an_object(instasent):
    broken = await instasent.post("/sms", content=b'{"from": ', headers=AUTH)
    assert (broken.status_code, broken.json()) == (400, {"message": "Problems parsing JSON"})
    array = await instasent.post("/sms", json=[{"from": "Shop"}], headers=AUTH)
    assert (array.status_code, array.json()) == (400, {"message": "Body should be a JSON object"})


@pytest.mark.parametrize(("fields", "field"), [
    ({"from": ""}, "from"), ({"from": None}, "from"), ({"from": "TwelveLetter"}, "from"),
    ({"from": "+3491123456789012"}, "from"), ({"to": "12"}, "to"), ({"to": "600000010x"}, "to"),
    ({"to": None}, "to"), ({"text": ""}, "text"), ({"text": 5}, "text"), ({"clientId": "c" * 41}, "clientId"),
    ({"clientId": 7}, "clientId"), ({"allowUnicode": "yes"}, "allowUnicode")])
async def test_400_validation_errors_name_the_field(instasent, fields, field):
    response = await send(instasent, **fields)
    assert response.status_code == 400
    assert response.json()["message"] == "Validation failed" and list(response.json()["errors"]) == [field]
    assert await messages(instasent) == []


async def test_valid_long_numeric_sender(instasent):
    assert (await send(instasent, **{"from": "+34911234567"})).status_code == 201


async def test_client_id_is_unique_per_token(instasent):
    assert (await send(instasent, clientId="c1")).status_code == 201
    again = await send(instasent, clientId="c1")
    assert again.status_code == 400 and again.json()["errors"] == {"clientId": ["This value is already used."]}
    assert (await send(instasent, headers=OTHER, clientId="c1")).status_code == 201


async def test_404_unknown_sms_and_another_tokens_sms(instasent):
    mine = (await send(instasent)).json()["entity"]["id"]
    for path, headers in ((f"/sms/{'0' * 24}", AUTH), (f"/sms/{mine}", OTHER)):
        response = await instasent.get(path, headers=headers)
        assert response.status_code == 404 and "message" in response.json()
    assert (await instasent.get(f"/transactional/v1/sms/{mine}/", headers=AUTH)).status_code == 200


# -- bulk -----------------------------------------------------------------------------------------
async def test_bulk_partial_success(instasent):
    items = [{"from": "Shop", "to": "+34600000011", "text": "one", "clientId": "b1"},
             {"from": "Shop", "to": "bad", "text": "two", "clientId": "b2"},
             {"from": "Shop", "to": "+34600000013", "text": "three", "clientId": "b1"},
             "not an object",
             {"from": "Shop", "to": "+34600000014", "text": "four"}]
    response = await instasent.post("/sms/bulk", json=items, headers=AUTH)
    assert response.status_code == 201
    body = response.json()
    assert [(e["to"], e["clientId"]) for e in body["entities"]] == [("+34600000011", "b1"), ("+34600000014", None)]
    assert all(HEX_ID.match(e["id"]) for e in body["entities"])
    assert body["errors"] == [
        {"index": 1, "clientId": "b2", "errors": {"to": ["This value is not a valid phone number."]}},
        {"index": 2, "clientId": "b1", "errors": {"clientId": ["This value is already used."]}},
        {"index": 3, "clientId": None, "errors": {"item": ["Body should be a JSON object"]}}]
    assert [m["to"] for m in await messages(instasent)] == ["+34600000011", "+34600000014"]


@pytest.mark.parametrize("path", ["/sms/bulk", "/sms/bulk/", "/transactional/v1/sms/bulk"])
async def test_bulk_of_100_is_accepted(instasent, path):
    items = [{"from": "Shop", "to": f"+346000001{n:02d}", "text": "hi"} for n in range(100)]
    response = await instasent.post(path, json=items, headers=AUTH)
    assert response.status_code == 201 and len(response.json()["entities"]) == 100


async def test_bulk_above_100_is_413(instasent):
    items = [{"from": "Shop", "to": "+34600000010", "text": "hi"}] * 101
    response = await instasent.post("/sms/bulk", json=items, headers=AUTH)
    assert response.status_code == 413 and "100" in response.json()["message"]
    assert await messages(instasent) == []


@pytest.mark.parametrize("body", [[], {"from": "Shop", "to": "+34600000010", "text": "hi"}, "x"])
async def test_bulk_needs_a_non_empty_array(instasent, body):
    response = await instasent.post("/sms/bulk", json=body, headers=AUTH)
    assert response.status_code == 400 and "array" in response.json()["message"]


# -- list -----------------------------------------------------------------------------------------
async def test_list_is_newest_first_and_paged(instasent):
    ids = [(await send(instasent, text=f"m{n}")).json()["entity"]["id"] for n in range(5)]
    await send(instasent, headers=OTHER)

    async def page(query):
        response = await instasent.get(f"/sms/?{query}", headers=AUTH)
        assert response.status_code == 200
        return [e["id"] for e in response.json()["entities"]]

    assert await page("") == ids[::-1]
    assert await page("page=1&per_page=2") == ids[4:2:-1]
    assert await page("page=3&per_page=2") == ids[:1]
    assert await page("page=2per_page=2") == ids[2:0:-1]  # the official client's query
    assert await page("page=4&per_page=2") == []
    assert (await instasent.get("/transactional/v1/sms", headers=AUTH)).json()["entities"][0]["id"] == ids[-1]


@pytest.mark.parametrize("query", ["page=0", "per_page=0", "per_page=101", "page=1per_page=500"])
async def test_list_rejects_bad_paging(instasent, query):
    response = await instasent.get(f"/sms?{query}", headers=AUTH)
    assert response.status_code == 400 and "per_page" in response.json()["message"]


# -- DLR and inbound webhooks ---------------------------------------------------------------------
async def test_dlrs_sent_then_delivered(instasent, receiver):
    sms = (await send(instasent, clientId="order-1")).json()["entity"]
    await advance(instasent, 5)
    assert hooks(receiver) == [
        {"id": sms["id"], "clientId": "order-1", "status": "sent", "code": 0, "eventAt": "2026-01-05T10:00:00Z"},
        {"id": sms["id"], "clientId": "order-1", "status": "delivered", "code": 0,
         "eventAt": "2026-01-05T10:00:05Z"}]
    assert len((await instasent.get("/_smsproof/journal", params={"kind": "dlr"})).json()["entries"]) == 2


@pytest.mark.parametrize(("suffix", "status", "code", "journal_status"), [
    ("0001", "failed", 1, "Failed"), ("0002", "expired", 2, "Expired"), ("0003", "rejected", 3, "Rejected"),
    ("0004", "failed", 4, "Bounced")])
async def test_magic_numbers_give_their_dlr(instasent, receiver, suffix, status, code, journal_status):
    sms = (await send(instasent, to="+3460000" + suffix)).json()["entity"]
    await advance(instasent, 5)
    final = hooks(receiver)[-1]
    assert (final["status"], final["code"], final["clientId"]) == (status, code, None)
    assert (await instasent.get(f"/sms/{sms['id']}", headers=AUTH)).json()["entity"]["status"] == status
    assert (await messages(instasent))[0]["status"] == journal_status


async def test_dlrs_go_to_the_dlr_url_and_fall_back_on_the_mo_url(instasent, receiver):
    await instasent.put("/_smsproof/accounts/instasent/ITOKEN", json={
        "mo_callback_url": "http://platform/only-mo", "numbers": [{"number": "+34911234567"}]})
    await send(instasent)
    await advance(instasent, 5)
    assert [json.loads(b)["status"] for b in receiver.bodies("/only-mo")] == ["sent", "delivered"]


async def test_webhook_retried_with_exponential_backoff_on_any_non_2xx(instasent, receiver):
    await instasent.put("/_smsproof/outcomes/+34600000010", json={"outcome": "delivered", "delay_seconds": 3600})
    receiver.statuses = [500, 404, 429]
    await send(instasent)
    await advance(instasent, 300)
    attempts = (await instasent.get("/_smsproof/journal", params={"kind": "callback_attempt"})).json()["entries"]
    assert [(a["status"], a["at"]) for a in attempts] == [
        (500, "2026-01-05T10:00:00.000Z"), (404, "2026-01-05T10:00:30.000Z"),
        (429, "2026-01-05T10:01:30.000Z"), (200, "2026-01-05T10:03:30.000Z")]


async def test_webhook_gives_up_after_eight_retries_and_stays_visible(instasent, receiver):
    await instasent.put("/_smsproof/outcomes/+34600000010", json={"outcome": "delivered", "delay_seconds": 86400})
    receiver.statuses = [503] * 20
    await send(instasent)
    await advance(instasent, 30 * 255)
    [failed] = (await instasent.get("/_smsproof/callbacks", params={"state": "failed"})).json()["callbacks"]
    assert failed["attempts"] == 9 and failed["status"] == 503 and failed["payload"]["status"] == "sent"


async def test_inbound_webhook(instasent, receiver):
    response = await instasent.post("/_smsproof/inbound", json={
        "provider": "instasent", "from": "0034600000010", "to": "+34911234567", "body": "Hola"})
    assert response.status_code == 201 and response.json()["account"] == "ITOKEN"
    [inbound] = hooks(receiver)
    assert HEX_ID.match(inbound.pop("id"))
    assert inbound == {"clientId": None, "from": "+34600000010", "to": "+34911234567", "message": "Hola",
                       "status": "inbound", "code": 0, "eventAt": "2026-01-05T10:00:00Z"}
    [mo] = await messages(instasent, direction="mo")
    assert (mo["from"], mo["body"], mo["status"]) == ("+34600000010", "Hola", "Received")


async def test_inbound_carries_every_field_of_the_documented_dlr_payload_and_message(instasent, receiver):
    """The DLR page: every call carries id, clientId, status, code and eventAt; an inbound
    also carries message."""
    await instasent.post("/sms", headers=AUTH, json={"from": "Shop", "to": "+34600000010", "text": "Hi"})
    await advance(instasent, 1)  # dispatched: the `sent` DLR
    await instasent.post("/_smsproof/inbound", json={"provider": "instasent", "from": "+34600000010",
                                                     "to": "+34911234567", "body": "Hola"})
    dlr, inbound = hooks(receiver)
    assert set(dlr) == {"id", "clientId", "status", "code", "eventAt"}
    assert set(dlr) | {"message"} <= set(inbound) and "message" not in dlr


@pytest.mark.parametrize("body", ["STOP", "baja por favor", "Stop it"])
async def test_opt_out_inbound_has_status_stop(instasent, receiver, body):
    await instasent.post("/_smsproof/inbound", json={"provider": "instasent", "from": "+34600000010",
                                                     "to": "+34911234567", "body": body})
    assert hooks(receiver)[0]["status"] == "stop"


async def test_inbound_goes_to_the_dlr_url_when_no_mo_url(instasent, receiver):
    await instasent.put("/_smsproof/accounts/instasent/ITOKEN", json={
        "dlr_callback_url": "http://platform/only-dlr", "numbers": [{"number": "+34911234567"}]})
    await instasent.post("/_smsproof/inbound", json={"provider": "instasent", "from": "+34600000010",
                                                     "to": "+34911234567", "body": "hi"})
    assert json.loads(receiver.bodies("/only-dlr")[0])["message"] == "hi"


# -- faults and isolation -------------------------------------------------------------------------
async def test_429_fault_has_an_empty_body_and_rate_limit_headers(instasent):
    await instasent.post("/_smsproof/faults", json={"provider": "instasent", "account": "ITOKEN",
                                                    "endpoint": "list", "kind": "status", "status": 429,
                                                    "retry_after": 2, "times": 1})
    limited = await instasent.get("/sms", headers=AUTH)
    assert limited.status_code == 429 and limited.content == b""
    assert limited.headers["retry-after"] == "2"
    assert limited.headers["x-ratelimit-reset"] == str(1767607200 + 2)  # T0 + 2 s, epoch seconds
    assert (await instasent.get("/sms", headers=OTHER)).status_code == 200
    assert (await instasent.get("/sms", headers=AUTH)).status_code == 200


async def test_send_fault_creates_nothing(instasent):
    await instasent.post("/_smsproof/faults", json={"provider": "instasent", "endpoint": "send",
                                                    "kind": "status", "status": 500, "times": 1})
    failed = await send(instasent)
    assert failed.status_code == 500 and failed.json() == {"message": "Injected fault"}
    assert await messages(instasent) == []
    [entry] = (await instasent.get("/_smsproof/journal", params={"kind": "mt_request"})).json()["entries"]
    assert (entry["account"], entry["status"], entry["note"]) == ("ITOKEN", 500, "fault")


async def test_reset_of_one_token_keeps_the_other(instasent, receiver):
    mine = (await send(instasent)).json()["entity"]["id"]
    theirs = (await send(instasent, headers=OTHER)).json()["entity"]["id"]
    await instasent.post("/_smsproof/reset", json={"provider": "instasent", "account": "ITOKEN"})
    assert (await instasent.get(f"/sms/{mine}", headers=AUTH)).status_code == 404
    assert (await instasent.get(f"/sms/{theirs}", headers=OTHER)).status_code == 200
    assert [m["account"] for m in await messages(instasent)] == ["OTOKEN"]
    await advance(instasent, 5)
    assert hooks(receiver) == [] and [h["status"] for h in hooks(receiver, "OTOKEN")] == ["sent", "delivered"]


# -- fidelity: rate limits, 402, DLR vocabulary, webhook timeout -----------------------------------
async def set_options(client, token="ITOKEN", **options):
    account = (await client.get(f"/_smsproof/accounts/instasent/{token}")).json()
    account["options"] = options
    assert (await client.put(f"/_smsproof/accounts/instasent/{token}", json=account)).status_code == 200


async def test_rate_limit_headers_count_for_real_per_token_and_endpoint(instasent):
    await set_options(instasent, rate_limit=3)
    answers = [await instasent.get("/sms", headers=AUTH) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a.headers["x-ratelimit-limit"] for a in answers} == {"3"}
    reset = int(answers[0].headers["x-ratelimit-reset"])
    assert reset == 1767607200 + 60 and answers[3].content == b""
    assert (await send(instasent)).status_code == 201  # another endpoint, another counter
    assert (await instasent.get("/sms", headers=OTHER)).headers["x-ratelimit-limit"] == "1200"
    await advance(instasent, 60)
    again = await instasent.get("/sms", headers=AUTH)
    assert again.status_code == 200 and again.headers["x-ratelimit-remaining"] == "2"


async def test_no_funds_is_402_with_a_message(instasent):
    await set_options(instasent, no_funds=True)
    response = await send(instasent)
    assert response.status_code == 402 and "message" in response.json()
    assert await messages(instasent) == []


@pytest.mark.parametrize("status,code", sorted(DLR_STATUSES.items()))
async def test_every_documented_dlr_status_can_be_scripted_per_number(instasent, receiver, status, code):
    await instasent.put("/_smsproof/outcomes/+34600000010",
                        json={"outcome": "failed", "report_status": status})
    await send(instasent)
    await advance(instasent, 10)
    reports = [(h["status"], h["code"]) for h in hooks(receiver)]
    assert reports == [("sent", 0), (status, code)]


async def test_webhook_attempts_time_out_after_5_seconds_and_back_off_exponentially():
    """Each attempt is posted with a 5 s timeout; a timed-out attempt is retried 30 s, then 60 s
    later (the transport stands in for a platform that never answers in time)."""
    timeouts = []

    def never_in_time(request: httpx.Request) -> httpx.Response:
        timeouts.append(request.extensions["timeout"]["read"])
        raise httpx.ReadTimeout("no answer in time", request=request)

    network = Network(client_factory=lambda: httpx.AsyncClient(transport=httpx.MockTransport(never_in_time)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(create_app(network)),
                                 base_url="http://fakes.test") as client:
        await client.post("/_smsproof/clock", json={"mode": "virtual", "now": "2026-01-05T10:00:00.000Z"})
        await client.put("/_smsproof/accounts/instasent/ITOKEN", json={"dlr_callback_url": "http://platform/hook"})
        await client.put("/_smsproof/outcomes/+34600000010", json={"outcome": "delivered", "delay_seconds": 86400})
        await send(client)
        await advance(client, 1)
        assert timeouts == [5.0]
        await advance(client, 30)
        await advance(client, 60)
        assert timeouts == [5.0, 5.0, 5.0]
        [callback] = (await client.get("/_smsproof/callbacks")).json()["callbacks"]
        assert callback["state"] == "pending" and "ReadTimeout" in callback["error"]
