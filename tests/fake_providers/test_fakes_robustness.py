"""Bad input never gets a traceback: whatever JSON arrives, the fakes answer with the provider's
own error body (or accept it), never a 500."""
import asyncio
import json
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings, strategies as st

from fake_providers.app import create_app
from fake_providers.network import Network

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20),
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
