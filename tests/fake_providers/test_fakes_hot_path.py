"""The send path's shortcuts answer exactly as the general code does: the shared JSON encoder and
decoder, the POST shortcut past the router, UTC timestamps, and the remembered Host routing; and
serve's collector policy."""
import gc
import json
import re
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from hypothesis import given, settings, strategies as st
from starlette import responses

from fake_providers import app as app_module, provider as provider_module
from fake_providers.app import ProviderHosts, create_app
from fake_providers.clock import iso_millis
from fake_providers.network import Network
from fake_providers.provider import MAX_BODY_BYTES, JSONResponse
from fake_providers.server import freeze_survivors

pytestmark = pytest.mark.anyio

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


@settings(max_examples=100)
@given(JSON, st.sampled_from([200, 201, 400, 503]))
def test_json_response_is_starlettes_byte_for_byte(content, status):
    ours, theirs = JSONResponse(content, status), responses.JSONResponse(content, status)
    assert ours.body == theirs.body and ours.raw_headers == theirs.raw_headers


def test_json_response_refuses_nan_like_starlette():
    with pytest.raises(ValueError):
        JSONResponse({"x": float("nan")})


@settings(max_examples=100)
@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_utc_timestamps_format_as_any_other_offset(moment):
    utc = moment.replace(tzinfo=timezone.utc)
    same_instant = utc.astimezone(timezone(timedelta(hours=2)))
    assert iso_millis(utc) == iso_millis(same_instant) == iso_millis(moment)
    assert iso_millis(utc) == moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


async def test_host_routing_is_remembered_per_host_and_survives_many_hosts(client):
    async def status(host: str) -> int:
        return (await client.get("/_smsproof/health", headers={"Host": host})).status_code

    for _ in range(2):  # cached answers stay per host
        assert await status("us.sms.api.sinch.com") == 404  # the provider's routes only
        assert await status("fakes.test") == 200
    for n in range(ProviderHosts.CACHE_SIZE + 10):  # the cache is bounded and refills
        assert await status(f"h{n}.test") == 200
    assert await status("US.SMS.API.SINCH.COM:443") == 404


def test_serve_freezes_what_survives_a_middle_generation_collection():
    frozen = gc.get_freeze_count()
    try:
        freeze_survivors("stop", {"generation": 0, "collected": 0, "uncollectable": 0})
        assert gc.get_freeze_count() == frozen  # young collections leave everything scannable
        freeze_survivors("stop", {"generation": 1, "collected": 0, "uncollectable": 0})
        assert gc.get_freeze_count() > frozen
    finally:
        if not frozen:
            gc.unfreeze()


# -- the POST shortcut in ProviderHosts answers exactly as the router does --------------------
CM_TOKEN = "0a7c6f84-2b3d-4a5e-9f10-123456789abc"
SEND = {"to": ["+34600000001"], "from": "Shop", "body": "Hi"}
JSON_HEADERS = {"Authorization": "Bearer T", "Content-Type": "application/json"}
POSTS = [  # (path, headers, body); Sinch plan SP1 with token T
    ("/xms/v1/SP1/batches", JSON_HEADERS, json.dumps(SEND).encode()),
    ("/xms/v1/SP1/batches", JSON_HEADERS, json.dumps({**SEND, "delivery_report": "full"}).encode()),
    ("/xms/v1/SP1/batches", JSON_HEADERS, b'{"to": ["+34600000001"], "body": 1}'),
    ("/xms/v1/SP1/batches", JSON_HEADERS, b"{not json"),
    ("/xms/v1/SP1/batches", JSON_HEADERS, b""),
    ("/xms/v1/SP1/batches", JSON_HEADERS, b"[" * 100 + b"]" * 100),
    ("/xms/v1/SP1/batches", JSON_HEADERS, b'{"to": ["+34600000001"], "from": "Shop", "body": "\\ud800"}'),
    ("/xms/v1/SP1/batches", JSON_HEADERS, b'{"to": ["+34600000001"], "from_ton": 1e400}'),
    ("/xms/v1/SP1/batches", JSON_HEADERS, b" " * (MAX_BODY_BYTES + 1)),
    ("/xms/v1/SP1/batches", {"Authorization": "Bearer démo".encode()}, b"{}"),
    ("/xms/v1/SP1/batches", {"Authorization": "Bearer wrong", "Content-Type": "application/json"}, b"{}"),
    ("/xms/v1/SP1/batches", {"Authorization": "Bearer T", "Content-Type": "text/plain"}, b"{}"),
    ("/xms/v1/NOPE/batches", JSON_HEADERS, json.dumps(SEND).encode()),
    ("/xms/v1/SP1/batches/", JSON_HEADERS, json.dumps(SEND).encode()),
    ("/xms/v1/SP1/batches/dry_run", JSON_HEADERS, json.dumps(SEND).encode()),
    ("/xms/v1/SP1/batches/01ARZ3NDEKTSV4RRFFQ69G5FAV", JSON_HEADERS, b"{}"),
    ("/sinch/xms/v1/SP1/batches", JSON_HEADERS, json.dumps(SEND).encode()),
    ("/xms/v1/SP1/nothing", JSON_HEADERS, b"{}"),
    ("/xms/v1/SP1/inbounds", JSON_HEADERS, b"{}"),  # a GET route: 405
    ("/v1.0/message", {"Content-Type": "application/json"}, json.dumps({"messages": {
        "authentication": {"producttoken": CM_TOKEN},
        "msg": [{"from": "Shop", "to": [{"number": "0034600000002"}], "body": {"content": "Hi"}}]}}).encode()),
    ("/v1.0/message/", {"Content-Type": "application/json"}, b"[1, 2"),
    ("/sms", {"Authorization": "Bearer IT", "Content-Type": "application/json"},
     json.dumps({"from": "Shop", "to": "+34600000003", "text": "Hi"}).encode()),
    ("/sms/abc", {"Authorization": "Bearer IT"}, b""),
    ("/transactional/v1/sms/bulk", {"Authorization": "Bearer IT", "Content-Type": "application/json"}, b"{}"),
    ("/_smsproof/inbound", {"Content-Type": "application/json"}, b"{}"),
    ("/nowhere", {}, b""),
]
HOSTS = ["fakes.test", "us.sms.api.sinch.com", "gw.messaging.cm.com", "api.instasent.com"]


def masked(body: bytes) -> bytes:
    """A body without what differs from run to run: the ids."""
    return re.sub(rb"[0-9A-HJKMNP-TV-Z]{26}|[0-9a-f]{24}", b"*", body)


async def answers(monkeypatch, shortcut: bool) -> list[tuple]:
    if not shortcut:
        monkeypatch.setattr(app_module, "provider_endpoint", lambda routes, scope: None)
    network = Network()
    network.clock.set_mode("virtual", datetime(2026, 1, 5, 10, tzinfo=timezone.utc))
    app = create_app(network)
    network.accounts.put("sinch", "SP1", {"api_token": "T"})
    network.accounts.put("cm", CM_TOKEN, {})
    network.accounts.put("instasent", "IT", {})
    seen = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://x") as client:
        fault = await client.post("/_smsproof/faults", json={
            "provider": "sinch", "endpoint": "send", "kind": "status", "status": 503,
            "retry_after": 2, "times": 1})
        assert fault.status_code == 201
        for host in HOSTS:
            for path, headers, body in POSTS:
                response = await client.post(path, content=body, headers={**headers, "Host": host})
                seen.append((host, path, response.status_code, sorted(response.headers.items()),
                             masked(response.content)))
    seen.append([(e["kind"], e.get("endpoint"), e.get("status"), e.get("note"))
                 for e in network.journal.query()])
    return seen


async def test_provider_posts_answer_as_through_the_router(monkeypatch):
    assert await answers(monkeypatch, shortcut=True) == await answers(monkeypatch, shortcut=False)


def test_the_shortcut_serves_provider_endpoints_only():
    app = create_app(Network())
    routes = app.router.routes

    def picked(path: str):
        scope = {"type": "http", "method": "POST", "path": path, "root_path": "", "headers": []}
        found = app_module.provider_endpoint(routes, scope)
        return found and (found[0].path, found[1])

    assert picked("/xms/v1/SP1/batches") == ("/xms/v1/{service_plan_id}/batches", {"service_plan_id": "SP1"})
    assert picked("/v1.0/message") == ("/v1.0/message", {})
    assert picked("/sms") == ("/sms", {})
    for elsewhere in ("/sinch/xms/v1/SP1/batches", "/xms/v1/SP1/nothing", "/_smsproof/inbound", "/nowhere"):
        assert picked(elsewhere) is None  # a Mount, Sinch's catch-all, the control API, no route


@settings(max_examples=300)
@given(st.one_of(JSON.map(json.dumps), st.text(), st.binary(),
                 st.tuples(JSON, st.sampled_from(["utf-8", "utf-16", "utf-32"])).map(
                     lambda v: json.dumps(v[0], ensure_ascii=False).encode(v[1], "surrogatepass")),
                 st.sampled_from(["\ufeff{}", b"\xef\xbb\xbf[1]", "1e400", "[NaN]", "-Infinity", "1.5"])))
def test_the_shared_decoder_reads_as_json_loads(raw):
    def outcome(parse):
        try:
            return "value", parse(raw)
        except ValueError as exc:
            return type(exc).__name__, str(exc)
    reference = outcome(lambda r: json.loads(r, parse_float=provider_module._finite,
                                             parse_constant=provider_module._not_json))
    assert outcome(provider_module._loads_finite) == reference
