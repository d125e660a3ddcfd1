"""Safe to expose: a non-loopback host is warned about, a control token guards /_smsproof/, and
callbacks can be limited to an allow-list of hosts."""
import base64
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from fake_providers.app import create_app
from fake_providers.network import Network
from fake_providers.server import ControlToken, exposure_warnings


@pytest.fixture
async def guarded():
    network = Network()
    network.accounts.put("sinch", "SP1", {"api_token": "T"})
    app = ControlToken(create_app(network), "s3cret")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://fakes.test") as client:
        yield client


@pytest.mark.anyio
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer "},
                                     {"Authorization": "Basic !!"}, {"Authorization": "Token s3cret"},
                                     {"Authorization": "Basic " + base64.b64encode(b"u:wrong").decode()}])
@pytest.mark.parametrize("path", ["/_smsproof/health", "/_smsproof", "/_smsproof/accounts/sinch/SP1"])
async def test_the_control_api_needs_the_token(guarded, headers, path):
    response = await guarded.get(path, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Basic")


@pytest.mark.anyio
@pytest.mark.parametrize("authorization", ["Bearer s3cret", "Basic " + base64.b64encode(b"any:s3cret").decode()])
async def test_the_token_opens_the_control_api_and_providers_keep_their_own_auth(guarded, authorization):
    assert (await guarded.get("/_smsproof/health", headers={"Authorization": authorization})).status_code == 200
    sent = await guarded.post("/xms/v1/SP1/batches", headers={"Authorization": "Bearer T"},
                              json={"from": "Shop", "to": ["+34600000010"], "body": "Hi"})
    assert sent.status_code == 201


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_needs_no_warning(host):
    assert exposure_warnings(host, None, ()) == []


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "fakes.internal"])
def test_any_other_host_warns_that_the_control_api_and_callbacks_are_open(host):
    control, callbacks = exposure_warnings(host, None, ())
    assert "control API /_smsproof/" in control and "--control-token" in control
    assert "--callback-host" in callbacks
    assert exposure_warnings(host, "t", ("*.test",)) == []


def test_the_server_takes_its_token_and_callback_hosts_from_the_environment():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "SMSPROOF_CONTROL_TOKEN": "envtoken", "SMSPROOF_CALLBACK_HOSTS": "hooks.test"}
    process = subprocess.Popen([sys.executable, "-m", "fake_providers", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        process.stdout.readline()
        deadline = time.monotonic() + 15
        while True:
            try:
                refused = httpx.get(f"{base}/_smsproof/health")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.05)
        token = {"Authorization": "Bearer envtoken"}
        assert refused.status_code == 401
        assert httpx.put(f"{base}/_smsproof/accounts/sinch/demo-service-plan", headers=token, json={
            "api_token": "demo-token", "mo_callback_url": "http://elsewhere.test/mo",
            "numbers": [{"number": "+4915112348765"}]}).status_code == 200
        inbound = httpx.post(f"{base}/_smsproof/inbound", headers=token, json={
            "provider": "sinch", "from": "+34600000010", "to": "+4915112348765", "body": "Hi"})
        assert inbound.json()["callback"]["state"] == "failed"
        assert "allow-list (hooks.test)" in inbound.json()["callback"]["error"]
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()
