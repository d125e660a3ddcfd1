"""The driver and control-API clients: requests they make, errors they raise, the transcript."""

import socket

import httpx
import pytest
import respx

from harness import servers
from harness.driver.client import Driver, Refused, Unreachable, UnexpectedResponse, Workspace
from harness.fakes_client import Fakes

BASE = "http://platform.test"


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


@respx.mock
def test_workspace_calls_hit_the_contract_paths_and_are_recorded():
    respx.post(f"{BASE}/driver/v1/workspaces").respond(201, json={"workspace": "ws_1", "webhooks": {"sinch": {"mo": "m", "dlr": "d"}}})
    config = respx.put(f"{BASE}/driver/v1/workspaces/ws_1/config").respond(200, json={"default_provider": "sinch"})
    events = respx.get(f"{BASE}/driver/v1/workspaces/ws_1/events", params={"type": "consent"}).respond(200, json={"events": [{"type": "consent"}]})
    driver = Driver(BASE)
    ws = driver.create_workspace()
    assert (ws.id, ws.webhooks["sinch"]["mo"]) == ("ws_1", "m")
    assert ws.put_config({"default_provider": "sinch"}) == {"default_provider": "sinch"}
    assert config.calls.last.request.content == b'{"default_provider":"sinch"}'
    assert ws.events(type="consent") == [{"type": "consent"}]
    assert events.called
    assert [(e.method, e.status) for e in driver.transcript] == [("POST", 201), ("PUT", 200), ("GET", 200)]
    assert driver.transcript[1].request == {"default_provider": "sinch"}


@respx.mock
def test_422_on_a_refusable_call_is_refused_with_the_errors():
    errors = [{"path": "two_way.keywords[100]", "message": "at most 100 keywords"}]
    respx.put(f"{BASE}/driver/v1/workspaces/ws_1/config").respond(422, json={"errors": errors})
    respx.get(f"{BASE}/driver/v1/workspaces/ws_1/customers/c9").respond(404, json={"error": "not_found", "message": "no c9"})
    workspace = Workspace(Driver(BASE), "ws_1", {})
    with pytest.raises(Refused) as refused:
        workspace.put_config({"two_way": {"keywords": ["k"] * 101}})
    assert refused.value.errors == errors and "two_way.keywords[100]" in str(refused.value)
    with pytest.raises(UnexpectedResponse) as unexpected:
        workspace.customer("c9")
    assert unexpected.value.status == 404 and "expected 200" in str(unexpected.value)


@respx.mock
def test_fakes_client_maps_from_and_builds_inbound():
    messages = respx.get("http://fakes.test/_smsproof/messages", params={"from": "11221", "direction": "mt"}).respond(200, json={"messages": []})
    inbound = respx.post("http://fakes.test/_smsproof/inbound").respond(201, json={"message": {}, "account": "a", "callback": {"state": "delivered", "status": 200}})
    fakes = Fakes("http://fakes.test")
    assert fakes.messages(from_="11221", direction="mt", to=None) == []
    assert messages.called
    fakes.inbound("sinch", "+4915112348765", "11221", "STOP")
    assert inbound.calls.last.request.read() == b'{"provider":"sinch","from":"+4915112348765","to":"11221","body":"STOP"}'


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
