"""`python -m fake_providers` / `fake_providers.server.run`: banner, demo accounts, clean errors."""
import socket
import subprocess
import sys
import time

import httpx

from fake_providers.app import create_app
from fake_providers.network import Network
from fake_providers.server import add_demo_accounts, banner


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
