"""Bad input never gets a traceback: whatever JSON arrives, the fakes answer with the provider's
own error body (or accept it), never a 500."""
import asyncio
import json
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, example, given, settings, strategies as st

from fake_providers.app import create_app
from fake_providers.journal import MessageFilter
from fake_providers.network import Network

# Any code point, lone UTF-16 surrogates too (json.dumps writes them as \\udxxx escapes).
TEXT = st.characters(categories=["Cs"]) | st.characters()
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(TEXT, max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12)
send_fields = st.fixed_dictionaries({}, optional={
    "to": st.one_of(json_values, st.lists(st.sampled_from(["+34600000010", "0034600000011", "+1", "x"]))),
    "from": st.one_of(json_values, st.just("Shop")),
    "body": st.one_of(json_values, st.text(max_size=200)),
    "type": st.one_of(json_values, st.sampled_from(["mt_text", "mt_binary"])),
    "delivery_report": st.one_of(json_values, st.sampled_from(["none", "full", "per_recipient"])),
    "parameters": json_values, "send_at": json_values, "expire_at": json_values,
    "max_number_of_message_parts": json_values, "udh": json_values, "callback_url": json_values,
    "client_reference": json_values, "flash_message": json_values,
})


owned_number = st.fixed_dictionaries({}, optional={
    "number": st.one_of(json_values, st.sampled_from(["+4915112348765", "004915112348765", "11221", "x"])),
    "type": st.one_of(json_values, st.sampled_from(["long_code", "short_code", "shared_short_code"])),
    "keywords": st.one_of(json_values, st.lists(st.one_of(json_values, st.sampled_from(["baby", " "])), max_size=3)),
})
account_settings = st.fixed_dictionaries({}, optional={
    name: st.one_of(json_values, st.just("http://p/x"))
    for name in ("api_token", "key_id", "key_secret", "mo_callback_url", "dlr_callback_url", "webhook_secret")
} | {"numbers": st.one_of(json_values, st.lists(st.one_of(owned_number, json_values), max_size=3))})
recipients = st.one_of(json_values, st.lists(st.one_of(json_values, st.sampled_from(["+34600000010", "34600000012", "x"])),
                                             max_size=3))
batch_update = st.fixed_dictionaries({}, optional={"to_add": recipients, "to_remove": recipients}) | send_fields


def run(requests):
    network = Network()
    network.accounts.put("sinch", "SP1", {"api_token": "T", "dlr_callback_url": "http://p/dlr"})

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(create_app(network)),
                                     base_url="http://fakes.test") as client:
            return [await client.request(
                        method, url, params=params,
                        content=None if method == "GET" else json.dumps(body),
                        headers={"Authorization": "Bearer T", "Content-Type": "application/json"})
                    for method, url, body, params in requests]
    return asyncio.run(go())


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(send_fields, json_values))
def test_sinch_send_and_dry_run_never_fail_with_500(body):
    sent, dry = run([("POST", "/xms/v1/SP1/batches", body, None),
                     ("POST", "/xms/v1/SP1/batches/dry_run", body, {"per_recipient": "true"})])
    for response, ok, key in ((sent, 201, "id"), (dry, 200, "number_of_messages")):
        if response.status_code == ok:
            assert key in response.json()
        else:
            assert response.status_code in (400, 403), response.text
            assert set(response.json()) == {"code", "text"}


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from(["page", "page_size", "start_date", "end_date", "status",
                                        "code", "from", "to", "type"]),
                       st.text(max_size=12), max_size=4))
def test_sinch_queries_never_fail_with_500(params):
    paths = ["/xms/v1/SP1/batches", "/xms/v1/SP1/delivery_reports", "/xms/v1/SP1/inbounds"]
    for response in run([("GET", path, None, params) for path in paths]):
        assert response.status_code in (200, 400), response.text


numbers = st.one_of(json_values, st.integers(-3, 3), st.floats(allow_nan=True))
control_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({"provider": st.just("sinch"), "kind": st.sampled_from(["status", "latency"])},
                          optional={name: numbers for name in ("status", "times", "latency_ms", "retry_after",
                                                               "probability", "seed")}),
    st.fixed_dictionaries({"seconds": numbers}),
    st.fixed_dictionaries({"mode": st.sampled_from(["virtual", "real"])}, optional={"now": json_values}))


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["/_smsproof/faults", "/_smsproof/inbound", "/_smsproof/clock",
                        "/_smsproof/clock/advance", "/_smsproof/messages/verify", "/_smsproof/reset"]),
       control_bodies)
def test_control_api_answers_errors_not_tracebacks(path, body):
    [response] = run([("POST", path, body, None)])
    assert response.status_code in (200, 201, 204, 400, 404, 422), response.text
    if response.status_code >= 400:
        assert set(response.json()) == {"error", "message"}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(batch_update, json_values))
def test_sinch_batch_update_and_replace_never_fail_with_500(change):
    network = Network()
    network.accounts.put("sinch", "SP1", {"api_token": "T"})
    scheduled = {"to": ["+34600000010"], "from": "Shop", "body": "Hi", "send_at": "2099-01-01T00:00:00Z"}

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(create_app(network)), base_url="http://fakes.test",
                                     headers={"Authorization": "Bearer T", "Content-Type": "application/json"}) as client:
            batch = f"/xms/v1/SP1/batches/{(await client.post('/xms/v1/SP1/batches', json=scheduled)).json()['id']}"
            return [await client.request(method, batch, content=json.dumps(change)) for method in ("POST", "PUT")]
    for response in asyncio.run(go()):
        if response.status_code != 200:
            assert response.status_code in (400, 403), response.text
            assert set(response.json()) == {"code", "text"}


keywords = st.one_of(json_values, st.fixed_dictionaries({}, optional={
    word: st.one_of(json_values, st.sampled_from(["JOIN", "join", "two words", " STOP", ""]))
    for word in ("first_word", "second_word")}))
auto_update = st.one_of(json_values, st.fixed_dictionaries({}, optional={
    "to": st.one_of(json_values, st.sampled_from(["+4915112348765", "004915112348765", "11221", "x"])),
    "add": keywords, "remove": keywords}))
group_fields = st.fixed_dictionaries({}, optional={
    "name": st.one_of(json_values, st.just("vip")), "members": recipients, "add": recipients,
    "remove": recipients, "child_groups": json_values, "add_from_group": json_values,
    "remove_from_group": json_values, "auto_update": auto_update})


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(group_fields, json_values), st.one_of(group_fields, json_values),
       st.text(TEXT, max_size=20) | st.sampled_from(["JOIN", "join me", "STOP"]))
@example(create={"auto_update": {"to": "+4915112348765", "add": {"first_word": "JOIN"}}},
         change={"auto_update": {"remove": {"first_word": "STOP"}}}, reply="join me")
def test_sinch_groups_and_their_keyword_replies_never_fail_with_500(create, change, reply):
    network = Network()
    network.accounts.put("sinch", "SP1", {"api_token": "T", "numbers": [
        {"number": "+4915112348765"}, {"number": "11221", "type": "short_code"}]})

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(create_app(network)), base_url="http://fakes.test",
                                     headers={"Authorization": "Bearer T", "Content-Type": "application/json"}) as client:
            made = await client.post("/xms/v1/SP1/groups", content=json.dumps(create))
            group = f"/xms/v1/SP1/groups/{made.json()['id']}" if made.status_code == 201 else "/xms/v1/SP1/groups/x"
            changed = [await client.request(method, group, content=json.dumps(change)) for method in ("POST", "PUT")]
            replies = [await client.post("/_smsproof/inbound", content=json.dumps({
                "provider": "sinch", "from": "+34600000010", "to": to, "body": reply}))
                for to in ("+4915112348765", "11221")]
            return [made, *changed], replies
    answers, replies = asyncio.run(go())
    for response in answers:
        if response.status_code not in (200, 201):
            assert response.status_code in (400, 403, 404), response.text
            assert set(response.json()) == {"code", "text"}
    for response in replies:
        assert response.status_code in (201, 400), response.text


@settings(max_examples=50, deadline=None)
@given(st.one_of(account_settings, json_values))
def test_account_put_answers_the_account_or_an_error_body(settings_):
    [response] = run([("PUT", "/_smsproof/accounts/sinch/SP9", settings_, None)])
    assert response.status_code in (200, 400, 422), response.text
    if response.status_code == 200:
        assert response.json()["account"] == "SP9"
    else:
        assert set(response.json()) == {"error", "message"}


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.text(min_size=1, max_size=12).filter(lambda t: "/" not in t), st.just("+34600000010")),
       st.one_of(st.fixed_dictionaries({"outcome": st.sampled_from(["failed", "lost"])},
                                       optional={"delay_seconds": json_values}), json_values))
def test_outcome_put_answers_the_outcome_or_an_error_body(msisdn, body):
    [response] = run([("PUT", f"/_smsproof/outcomes/{quote(msisdn, safe='')}", body, None)])
    assert response.status_code in (200, 400, 404, 422), response.text  # 404: no route (a control character)
    if response.status_code >= 400:
        assert set(response.json()) == {"error", "message"}


# -- hostile input: the class of document no handler may see --------------------------------
DEEP = "[" * 3000 + "]" * 3000
CM_TOKEN = "00000000-0000-0000-0000-0000000000c1"
SEND_PATHS = {  # path -> (headers, a valid body with a hole "{}" for the hostile value)
    "sinch": ("/xms/v1/SP1/batches", {"Authorization": "Bearer T"},
              '{"from": "Shop", "to": ["+34600000010"], "body": %s, "from_ton": %s}'),
    "cm": ("/v1.0/message", {},
           '{"messages": {"authentication": {"producttoken": "%s"}, "msg": [{"from": "Shop", '
           '"to": [{"number": "0034600000010"}], "body": {"content": %%s}, "reference": %%s}]}}' % CM_TOKEN),
    "instasent": ("/sms", {"Authorization": "Bearer IT"},
                  '{"from": "Shop", "to": "+34600000010", "text": %s, "clientId": %s}'),
}
hostile_values = st.sampled_from(['"\\ud800"', '"\\udfff x"', "1e400", "-1e999", "NaN", "Infinity",
                                  "[" * 70 + "]" * 70, DEEP, '{"a": ' * 600 + "1" + "}" * 600])


def hostile_run(requests, **account_settings):
    network = Network()
    network.accounts.put("sinch", "SP1", {"api_token": "T", "dlr_callback_url": "http://p/dlr",
                                          "mo_callback_url": "http://p/mo",
                                          "numbers": [{"number": "+4915112348765"}], **account_settings})
    network.accounts.put("cm", CM_TOKEN, {})
    network.accounts.put("instasent", "IT", {})

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(create_app(network)),
                                     base_url="http://fakes.test") as client:
            return [await client.request(method, url, content=content,
                                         headers={"Content-Type": "application/json", **headers})
                    for method, url, content, headers in requests]
    return network, asyncio.run(go())


ERROR_KEYS = {"sinch": {"code", "text"}, "cm": {"details", "errorCode", "messages"},
              "instasent": {"message"}}


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(SEND_PATHS)), hostile_values, st.booleans())
def test_hostile_json_in_a_send_gets_the_providers_400_not_a_500(provider, value, in_second_field):
    path, headers, template = SEND_PATHS[provider]
    body = template % (('"Hi"', value) if in_second_field else (value, "null"))
    _, [response] = hostile_run([("POST", path, body.encode(), headers)])
    assert response.status_code == 400, response.text
    assert set(response.json()) == ERROR_KEYS[provider]


@settings(max_examples=20, deadline=None)
@given(hostile_values, st.sampled_from(["provider", "from", "body"]))
def test_hostile_json_on_inbound_is_refused_not_a_500(value, field_):
    fields = {"provider": '"sinch"', "from": '"+34600000010"', "to": '"+4915112348765"', "body": '"Hi"'}
    fields[field_] = value
    body = "{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}"
    _, [response] = hostile_run([("POST", "/_smsproof/inbound", body.encode(), {})])
    assert response.status_code in (400, 422), response.text  # 422: a number where a string goes
    assert response.json()["error"] in ("invalid_json", "invalid_inbound")


def test_a_non_ascii_bearer_token_is_a_401_not_a_500():
    _, responses = hostile_run([
        ("POST", "/xms/v1/SP1/batches", b'{"from":"Shop","to":["+34600000010"],"body":"Hi"}',
         {"Authorization": "Bearer d\u00e9mo".encode()}),
        ("GET", "/sms", b"", {"Authorization": "Bearer d\u00e9mo".encode()})])
    assert [r.status_code for r in responses] == [401, 401]
    assert set(responses[0].json()) == {"code", "text"}


def test_a_body_past_the_size_limit_is_refused_unread():
    from fake_providers.provider import MAX_BODY_BYTES
    body = b'{"from":"Shop","to":["+34600000010"],"body":"' + b"x" * MAX_BODY_BYTES + b'"}'
    network, [response] = hostile_run([("POST", "/xms/v1/SP1/batches", body, {"Authorization": "Bearer T"})])
    assert response.status_code == 413
    assert network.journal.find(MessageFilter()) == []


def test_one_cm_request_cannot_create_a_million_messages():
    from fake_providers.cm import MAX_MESSAGES_PER_REQUEST
    recipients = [{"number": f"00346{i:08d}"} for i in range(100)]
    elements = [{"from": "Shop", "to": recipients, "body": {"content": "Hi"}}] * (MAX_MESSAGES_PER_REQUEST // 100 + 1)
    body = json.dumps({"messages": {"authentication": {"producttoken": CM_TOKEN}, "msg": elements}})
    network, [response] = hostile_run([("POST", "/v1.0/message", body.encode(), {})])
    assert response.status_code == 400 and response.json()["errorCode"] == 203
    assert network.journal.find(MessageFilter()) == []


bad_urls = st.sampled_from(["http://p:70000/mo", "http://p/\x01mo", "http://p:0/mo", "ftp://p/mo",
                            "mo", "http:///mo", "http://[::1/mo", "http://p:-1/mo"])


@settings(max_examples=10, deadline=None)
@given(bad_urls)
def test_a_bad_callback_url_is_refused_where_it_is_set(url):
    _, [response] = hostile_run([("PUT", "/_smsproof/accounts/sinch/SP2",
                                  json.dumps({"mo_callback_url": url}).encode(), {})])
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_account"


@settings(max_examples=10, deadline=None)
@given(bad_urls)
def test_a_bad_callback_url_on_a_batch_fails_visibly_and_the_report_exists(url):
    """A per-batch callback_url is not checked where it is set (Sinch takes any string): each
    delivery report is still created and its callback is failed with the reason, not pending."""
    send = json.dumps({"from": "Shop", "to": ["+34600000010", "+34600000011"], "body": "Hi",
                       "delivery_report": "per_recipient", "callback_url": url}).encode()
    network, [sent, advanced, listed] = hostile_run([
        ("POST", "/xms/v1/SP1/batches", send, {"Authorization": "Bearer T"}),
        ("POST", "/_smsproof/clock/advance", b'{"seconds": 3600}', {}),
        ("GET", "/_smsproof/callbacks", b"", {})])
    assert sent.status_code == 201 and advanced.status_code == 200, advanced.text
    callbacks = [c for c in listed.json()["callbacks"] if c["kind"] == "dlr"]
    assert {c["payload"]["recipient"].lstrip("+") for c in callbacks} == {"34600000010", "34600000011"}
    assert all(c["state"] == "failed" and "callback URL" in c["error"] for c in callbacks)


def test_the_callback_host_allow_list_fails_other_hosts_visibly():
    network = Network()
    network.outbox.allowed_hosts = ("*.example.test",)
    network.accounts.put("sinch", "SP1", {"mo_callback_url": "http://169.254.169.254/admin",
                                          "numbers": [{"number": "+4915112348765"}]})

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(create_app(network)),
                                     base_url="http://fakes.test") as client:
            return await client.post("/_smsproof/inbound", json={
                "provider": "sinch", "from": "+34600000010", "to": "+4915112348765", "body": "STOP"})
    response = asyncio.run(go())
    assert response.status_code == 201
    assert response.json()["callback"]["state"] == "failed"
    assert "allow-list" in response.json()["callback"]["error"]


def test_a_drop_connection_fault_on_callbacks_drops_the_attempt_and_it_is_retried():
    delivered = []

    async def platform(scope, receive, send):
        delivered.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    network = Network(client_factory=lambda: httpx.AsyncClient(transport=httpx.ASGITransport(platform)))
    network.accounts.put("sinch", "SP1", {"mo_callback_url": "http://platform.test/mo",
                                          "numbers": [{"number": "+4915112348765"}]})

    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(create_app(network)),
                                     base_url="http://fakes.test") as client:
            await client.post("/_smsproof/clock", json={"mode": "virtual"})
            fault = await client.post("/_smsproof/faults", json={
                "provider": "sinch", "endpoint": "callback", "kind": "drop_connection", "times": 1})
            assert fault.status_code == 201, fault.text
            first = await client.post("/_smsproof/inbound", json={
                "provider": "sinch", "from": "+34600000010", "to": "+4915112348765", "body": "STOP"})
            before = list(delivered)
            await client.post("/_smsproof/clock/advance", json={"seconds": 60})
            return first.json()["callback"], before
    callback, before = asyncio.run(go())
    assert callback["state"] == "pending" and "dropped" in callback["error"]
    assert before == [] and delivered == ["/mo"]  # not delivered by the dropped attempt; by the retry
