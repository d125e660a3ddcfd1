import asyncio
import json

import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from fake_providers.callbacks import SINCH_RETRY, AiohttpPoster, RetryPolicy
from fake_providers.clock import parse_iso
from fake_providers.network import Network
from fake_providers.testing import running_server

pytestmark = pytest.mark.anyio
T0 = parse_iso("2026-01-05T10:00:00Z")


@pytest.fixture
def outbox(network):
    network.clock.set_mode("virtual", T0)
    return network.outbox


async def test_delivered_on_first_attempt_and_journaled(outbox, receiver, network):
    callback = outbox.create("sinch", "SP1", "mo", "http://platform/mo", {"a": 1}, SINCH_RETRY)
    await outbox.send(callback)
    assert callback.state == "delivered" and callback.attempts == 1
    assert json.loads(receiver.bodies("/mo")[0]) == {"a": 1}
    [attempt] = network.journal.query(kind="callback_attempt")
    assert attempt["status"] == 200 and attempt["attempt"] == 1 and attempt["latency_ms"] >= 0


async def test_5xx_and_429_are_retried_with_doubling_backoff(outbox, receiver, network):
    receiver.statuses = [503, 500, 429]
    callback = outbox.create("sinch", "SP1", "dlr", "http://platform/dlr", {}, SINCH_RETRY)
    await outbox.send(callback)
    assert callback.state == "pending"
    assert callback.next_attempt_at == parse_iso("2026-01-05T10:00:05Z")
    await network.clock.advance(5)
    assert callback.attempts == 2 and callback.next_attempt_at == parse_iso("2026-01-05T10:00:15Z")
    await network.clock.advance(10)
    await network.clock.advance(20)
    assert callback.state == "delivered" and callback.attempts == 4
    attempts = network.journal.query(kind="callback_attempt")
    assert [a["status"] for a in attempts] == [503, 500, 429, 200]
    assert [a["at"] for a in attempts] == ["2026-01-05T10:00:00.000Z", "2026-01-05T10:00:05.000Z",
                                           "2026-01-05T10:00:15.000Z", "2026-01-05T10:00:35.000Z"]


async def test_other_4xx_are_not_retried_and_stay_visible(outbox, receiver):
    receiver.statuses = [404]
    callback = outbox.create("sinch", "SP1", "dlr", "http://platform/dlr", {}, SINCH_RETRY)
    await outbox.send(callback)
    assert callback.state == "failed" and callback.last_status == 404
    assert outbox.list("failed") == [callback]


async def test_gives_up_after_the_last_backoff_of_81920_seconds(outbox, receiver, network):
    receiver.statuses = [500] * 100
    callback = outbox.create("sinch", "SP1", "dlr", "http://platform/dlr", {}, SINCH_RETRY)
    await outbox.send(callback)
    await network.clock.advance(200_000)
    assert callback.state == "failed" and callback.attempts == 16
    delays = [b["at"] for b in network.journal.query(kind="callback_attempt")]
    assert len(delays) == 16


async def test_connection_errors_are_retried(network, outbox):
    network.outbox._client_factory = __import__("httpx").AsyncClient  # a real client: nothing listens
    callback = outbox.create("sinch", "SP1", "mo", "http://127.0.0.1:9/mo", {}, SINCH_RETRY)
    await outbox.send(callback)
    assert callback.state == "pending" and callback.last_status is None
    assert "ConnectError" in callback.last_error


async def test_without_url_the_callback_stays_queued(outbox):
    callback = outbox.create("sinch", "SP1", "mo", None, {"x": 1}, SINCH_RETRY)
    await outbox.send(callback)
    assert callback.state == "pending" and callback.attempts == 0
    assert outbox.list("pending") == [callback]


async def test_signer_headers_are_sent(outbox, receiver):
    signer = lambda body, now: {"X-Sig": f"{len(body)}@{int(now.timestamp())}"}
    callback = outbox.create("sinch", "SP1", "mo", "http://platform/mo", {"a": 1}, SINCH_RETRY,
                             signer)
    await outbox.send(callback)
    assert receiver.received[0]["headers"]["x-sig"] == f"7@{int(T0.timestamp())}"


async def test_reset_forgets_only_that_scope(outbox):
    a = outbox.create("sinch", "A", "mo", None, {}, SINCH_RETRY)
    b = outbox.create("sinch", "B", "mo", None, {}, SINCH_RETRY)
    outbox.reset("sinch", "A")
    assert outbox.list() == [b] and a not in outbox.list()


async def test_duplicate_callback_fault_delivers_twice(outbox, receiver, network):
    network.faults.add({"provider": "sinch", "endpoint": "callback", "kind": "duplicate_callback",
                        "times": 1}, ["sinch"])
    callback = outbox.create("sinch", "SP1", "mo", "http://platform/mo", {"a": 1}, SINCH_RETRY)
    await outbox.send(callback)
    assert len(receiver.received) == 2 and receiver.bodies()[0] == receiver.bodies()[1]
    assert [a["attempt"] for a in network.journal.query(kind="callback_attempt")] == [1, 2]


async def test_drop_callback_fault_sends_nothing_and_says_so(outbox, receiver, network):
    network.faults.add({"provider": "sinch", "account": "SP1", "endpoint": "callback",
                        "kind": "drop_callback"}, ["sinch"])
    dropped = outbox.create("sinch", "SP1", "mo", "http://platform/mo", {}, SINCH_RETRY)
    other = outbox.create("sinch", "SP2", "mo", "http://platform/mo", {}, SINCH_RETRY)
    await outbox.send(dropped)
    await outbox.send(other)
    assert dropped.state == "failed" and dropped.last_error == "dropped by fault"
    assert other.state == "delivered" and len(receiver.received) == 1


async def test_status_fault_on_callbacks_drives_the_retry_policy(outbox, receiver, network):
    network.faults.add({"provider": "sinch", "endpoint": "callback", "kind": "status",
                        "status": 503, "times": 2}, ["sinch"])
    callback = outbox.create("sinch", "SP1", "dlr", "http://platform/dlr", {}, SINCH_RETRY)
    await outbox.send(callback)
    await network.clock.advance(15)
    assert callback.state == "delivered" and callback.attempts == 3
    assert len(receiver.received) == 1


def test_seeded_probability_replays_identically(network):
    def run():
        faults = type(network.faults)()
        fault = faults.add({"provider": "sinch", "kind": "status", "status": 500,
                            "probability": 0.5, "seed": 42}, ["sinch"])
        return [bool(list(faults.strike("sinch", "A", "send"))) for _ in range(40)], fault

    first, fault = run()
    second, _ = run()
    assert first == second and 5 < sum(first) < 35 and fault.fired == sum(first)


# -- `smsproof serve` posts with aiohttp: the same attempts as through httpx ------------------
def served_receiver():
    """A platform on a real socket: records what it gets; /redirect answers 302, /slow late."""
    seen = []

    async def record(request):
        seen.append((request.url.path, await request.body(),
                     {k: v for k, v in request.headers.items() if k.startswith(("content-type", "x-sinch"))}))
        if request.url.path == "/redirect":
            return Response(status_code=302, headers={"Location": "/ok"})
        if request.url.path == "/slow":
            await asyncio.sleep(1)
        return Response(status_code=503 if request.url.path == "/fail" else 200)

    return Starlette(routes=[Route("/{path:path}", record, methods=["POST"])]), seen


def signer(body: bytes, now) -> dict:
    return {"X-Sinch-Webhook-Signature": f"sig-{len(body)}", "X-Sinch-Webhook-Signature-Nonce": "n1"}


@pytest.mark.parametrize("path", ["/ok", "/redirect", "/fail", "/slow", "closed"])
def test_aiohttp_attempts_as_httpx_does(path):
    policy = RetryPolicy(first_delay=5, max_retries=3, retry_statuses=lambda s: s >= 500, timeout=0.3)
    app, seen = served_receiver()
    with running_server(app) as base_url:
        url = "http://127.0.0.1:9/mo" if path == "closed" else base_url + path
        outcomes = []
        for poster in (None, AiohttpPoster()):
            async def attempt():
                network = Network()
                network.outbox.poster = poster
                callback = network.outbox.create("sinch", "SP1", "mo", url, {"body": "STOP ü"},
                                                 policy, signer)
                await network.outbox.send(callback)
                await network.outbox.aclose()
                return callback
            callback = asyncio.run(attempt())
            outcomes.append((callback.state, callback.attempts, callback.last_status,
                             callback.last_error is None))
    assert outcomes[0] == outcomes[1]
    if path != "closed":
        assert len(seen) == 2 and seen[0] == seen[1]  # one request each (no redirect followed), alike
        assert seen[0][1] == '{"body":"STOP ü"}'.encode() and seen[0][2] == {
            "content-type": "application/json", "x-sinch-webhook-signature": "sig-18",
            "x-sinch-webhook-signature-nonce": "n1"}
