"""`python -m fake_providers` / `fake_providers.server.run`: banner, demo accounts, clean errors,
responses written whole."""
import asyncio
import socket
import subprocess
import sys
import time

import httpx

from fake_providers.app import create_app
from fake_providers.network import Network
from fake_providers.server import CoalescedWrites, add_demo_accounts, banner


def test_banner_prints_base_urls_and_sdk_settings():
    network = Network()
    create_app(network)
    text = banner(network, add_demo_accounts(network), "http://127.0.0.1:8010")
    assert "http://127.0.0.1:8010/_smsproof/" in text
    assert "http://127.0.0.1:8010/sinch" in text
    assert 'sms_origin_with_service_plan_id = "http://127.0.0.1:8010"' in text
    assert 'endpoint="http://127.0.0.1:8010/xms"' in text


def test_module_serves_with_demo_accounts_until_stopped():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "fake_providers", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first_line = process.stdout.readline()
        assert first_line.strip() == f"smsproof fake providers on http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/_smsproof/health")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.05)
        assert health.json()["status"] == "ok"
        sent = httpx.post(f"http://127.0.0.1:{port}/xms/v1/demo-service-plan/batches",
                          headers={"Authorization": "Bearer demo-token"},
                          json={"to": ["+34600000010"], "from": "Shop", "body": "hi"})
        assert sent.status_code == 201
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


def test_busy_port_is_a_one_line_error_and_non_zero_exit():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = subprocess.run([sys.executable, "-m", "fake_providers", "--port",
                                 str(busy.getsockname()[1])], capture_output=True, text=True,
                                timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: cannot serve on 127.0.0.1:")
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""


class Wire:
    """A transport that records each write and the order of the calls."""

    def __init__(self) -> None:
        self.calls: list = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(data)

    def close(self) -> None:
        self.calls.append("close")
        self.closing = True

    def abort(self) -> None:
        self.calls.append("abort")
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str):
        return ("127.0.0.1", 8010) if name == "sockname" else None


def test_writes_of_one_loop_step_go_out_as_one_in_order():
    async def scenario() -> list:
        wire = Wire()
        writes = CoalescedWrites(wire, asyncio.get_running_loop())
        writes.write(b"HTTP/1.1 201 Created\r\n\r\n")
        writes.writelines([b"{", b"}"])
        assert wire.calls == [] and writes.get_extra_info("sockname") == ("127.0.0.1", 8010)
        await asyncio.sleep(0)
        writes.write(b"HTTP/1.1 200 OK\r\n\r\n")
        writes.close()  # what is held goes out before the close
        writes.write(b"late")
        await asyncio.sleep(0)  # nothing is written to a closed transport
        return wire.calls

    assert asyncio.run(scenario()) == [b"HTTP/1.1 201 Created\r\n\r\n{}", b"HTTP/1.1 200 OK\r\n\r\n", "close"]


def test_an_aborted_transport_drops_what_is_held():
    async def scenario() -> list:
        wire = Wire()
        writes = CoalescedWrites(wire, asyncio.get_running_loop())
        writes.write(b"HTTP/1.1 200 OK\r\n\r\n")
        writes.abort()
        await asyncio.sleep(0)
        return wire.calls

    assert asyncio.run(scenario()) == ["abort"]


def test_serve_answers_keep_alive_requests_whole_and_drops_a_connection_when_told():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "fake_providers", "--port", str(port), "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/_smsproof/health")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.05)
        body = b'{"to": ["+34600000010"], "from": "Shop", "body": "hi"}'
        request = (b"POST /xms/v1/demo-service-plan/batches HTTP/1.1\r\nHost: x\r\n"
                   b"Authorization: Bearer demo-token\r\nContent-Type: application/json\r\n"
                   b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(request * 3)  # pipelined on one connection
            answers = b""
            while answers.count(b'"flash_message":false}') < 3:
                chunk = conn.recv(65536)
                assert chunk, f"the connection closed early: {answers!r}"
                answers += chunk
        heads = [part for part in answers.split(b"HTTP/1.1 ")[1:]]
        assert len(heads) == 3 and all(h.startswith(b"201 Created\r\n") for h in heads)
        assert all(h.endswith(b'"flash_message":false}') for h in heads)
        httpx.post(f"http://127.0.0.1:{port}/_smsproof/faults", json={
            "provider": "sinch", "endpoint": "send", "kind": "drop_connection", "times": 1})
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(request)
            received = b""
            while chunk := conn.recv(65536):
                received += chunk
        assert received.startswith(b"HTTP/1.1 200 OK\r\n") and received.endswith(b"\r\n\r\n")
        assert b"content-length: 64" in received  # the head, then the connection closes
    finally:
        process.terminate()
        process.wait(timeout=10)
