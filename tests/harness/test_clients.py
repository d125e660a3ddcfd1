"""The driver and control-API clients: requests they make, errors they raise, the transcript."""

import contextlib
import json
import socket
from typing import Iterator

import pytest

from harness import servers
from harness.driver.client import Driver, Refused, Unreachable, UnexpectedResponse, Workspace
from harness.fakes_client import Fakes

def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_unreachable_platform_is_one_clear_line():
    url = _closed_port_url()
    with pytest.raises(Unreachable) as caught:
        Driver(url, timeout=2).capabilities()
    message = str(caught.value)
    assert message.startswith(f"the platform at {url} is unreachable") and "\n" not in message


@contextlib.contextmanager
def canned(answers: dict[str, tuple[int, dict]]) -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    """A live server answering "METHOD /path?query" with (status, JSON body); yields its URL and the
    (method, path?query, body) of every request it was sent."""
    seen: list[tuple[str, str, bytes]] = []

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        target = scope["path"] + (f"?{scope['query_string'].decode()}" if scope["query_string"] else "")
        seen.append((scope["method"], target, body))
        status, answer = answers.get(f"{scope['method']} {target}", (599, {"error": "no canned answer"}))
        payload = json.dumps(answer).encode()
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": payload})

    with servers.serve(lambda _url: app, "canned") as url:
        yield url, seen


def test_workspace_calls_hit_the_contract_paths_and_are_recorded():
    with canned({"POST /driver/v1/workspaces": (201, {"workspace": "ws_1", "webhooks": {"sinch": {"mo": "m", "dlr": "d"}}}),
                 "PUT /driver/v1/workspaces/ws_1/config": (200, {"default_provider": "sinch"}),
                 "GET /driver/v1/workspaces/ws_1/events?type=consent": (200, {"events": [{"type": "consent"}]})}) as (url, seen):
        driver = Driver(url)
        ws = driver.create_workspace()
        assert (ws.id, ws.webhooks["sinch"]["mo"]) == ("ws_1", "m")
        assert ws.put_config({"default_provider": "sinch"}) == {"default_provider": "sinch"}
        assert ws.events(type="consent") == [{"type": "consent"}]
    assert seen == [("POST", "/driver/v1/workspaces", b""),
                    ("PUT", "/driver/v1/workspaces/ws_1/config", b'{"default_provider":"sinch"}'),
                    ("GET", "/driver/v1/workspaces/ws_1/events?type=consent", b"")]
    assert [(e.method, e.status) for e in driver.transcript] == [("POST", 201), ("PUT", 200), ("GET", 200)]
    assert driver.transcript[1].request == {"default_provider": "sinch"}
    assert driver.transcript[2].url == f"{url}/driver/v1/workspaces/ws_1/events?type=consent"


def test_422_on_a_refusable_call_is_refused_with_the_errors():
    errors = [{"path": "two_way.keywords[100]", "message": "at most 100 keywords"}]
    with canned({"PUT /driver/v1/workspaces/ws_1/config": (422, {"errors": errors}),
                 "GET /driver/v1/workspaces/ws_1/customers/c9": (404, {"error": "not_found", "message": "no c9"})}) as (url, _):
        workspace = Workspace(Driver(url), "ws_1", {})
        with pytest.raises(Refused) as refused:
            workspace.put_config({"two_way": {"keywords": ["k"] * 101}})
        assert refused.value.errors == errors and "two_way.keywords[100]" in str(refused.value)
        with pytest.raises(UnexpectedResponse) as unexpected:
            workspace.customer("c9")
    assert unexpected.value.status == 404 and "expected 200" in str(unexpected.value)


def test_fakes_client_maps_from_and_builds_inbound():
    inbound = {"message": {}, "account": "a", "callback": {"state": "delivered", "status": 200}}
    with canned({"GET /_smsproof/messages?from=11221&direction=mt&limit=1000": (200, {"messages": [], "next_cursor": None}),
                 "POST /_smsproof/inbound": (201, inbound)}) as (url, seen):
        fakes = Fakes(url)
        assert fakes.messages(from_="11221", direction="mt", to=None) == []
        fakes.inbound("sinch", "+4915112348765", "11221", "STOP")
    assert seen[-1] == ("POST", "/_smsproof/inbound",
                        b'{"provider":"sinch","from":"+4915112348765","to":"11221","body":"STOP"}')


def test_a_bool_parameter_is_sent_as_json_spells_it():
    with canned({"GET /driver/v1/x?flag=true": (200, {})}) as (url, seen):
        Driver(url).request("GET", "/driver/v1/x", params={"flag": True, "none": None})
    assert seen == [("GET", "/driver/v1/x?flag=true", b"")]


def test_embedded_fakes_answer_health_on_loopback():
    with servers.running_fakes() as url:
        assert url.startswith("http://127.0.0.1:")
        assert Fakes(url).health()["status"] == "ok"
    with pytest.raises(Unreachable):
        Fakes(url, timeout=2).health()


def test_platform_resolution_errors_are_clear():
    with pytest.raises(servers.PlatformSpecError, match="unknown platform 'nope'.*reference"):
        servers.resolve_platform("nope")
    with pytest.raises(servers.PlatformSpecError, match="not to a URL"):
        servers.resolve_platform("http://x", mutant="kw_case_sensitive")
    assert servers.resolve_platform("http://x:1/").url == "http://x:1"


def test_an_adapter_that_cannot_create_its_app_is_a_platform_error():
    class Broken:
        name = "broken"

        def mutants(self):
            return []

        def create_app(self, mutant=None, base_url=None):
            raise RuntimeError("no database")

    with pytest.raises(servers.PlatformSpecError, match="platform 'broken' could not create its app: RuntimeError: no database"):
        with servers.running_platform(servers.PlatformTarget("broken", adapter=Broken())):
            pass
