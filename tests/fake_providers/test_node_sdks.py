"""The official Node SDKs of Sinch (@sinch/sdk-core + @sinch/sms) and CM.com (@cmdotcom/text-sdk),
unchanged, against `smsproof serve` with its demo accounts. The SDKs are installed into
tests/node by `.ci/run` (`npm ci`); without node or without them the tests skip and say why."""
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
pytestmark = pytest.mark.sdk


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the Node SDK checks need Node.js 18 or later")
    for package in ("@sinch/sdk-core", "@sinch/sms", "@cmdotcom/text-sdk"):
        if not (NODE_DIR / "node_modules" / package).is_dir():
            pytest.skip(f"{package} is not installed: run `npm ci` in tests/node (.ci/run does)")
    return node


@pytest.fixture(scope="module")
def served():
    """`smsproof serve` on a free loopback port; its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())",
                               "serve", "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/_smsproof/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"smsproof serve did not start: {server.stderr.read().decode()[-500:]}")
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def run(node: str, script: str, *args: str) -> dict:
    done = subprocess.run([node, script, *args], cwd=NODE_DIR, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_sinch_node_sdk_sends_reads_back_and_sees_the_documented_errors(served):
    node = node_or_skip()
    result = run(node, "sinch.mjs", served, "demo-service-plan", "demo-token")
    assert result["sent"]["to"] == ["+34600000010"] and result["got"] == result["sent"]
    assert result["sent"]["client_reference"] == "node-1"
    assert result["listed"][0] == result["sent"]["id"]
    assert result["report"]["type"] == "delivery_report_sms"
    assert result["report"]["statuses"][0]["code"] in (400, 401)
    assert "403" in result["unknownGroup"]
    groups = result["groups"]
    assert groups["updated"]["name"] == "vip" and groups["updated"]["size"] == 3
    assert groups["members"] == ["+34600000021", "+34600000023", "+34600000022"]
    assert groups["replaced"]["name"] == "other" and groups["replaced"]["size"] == 1
    assert groups["toGroup"] == groups["members"] and groups["groupsLeft"] == [groups["vip"]["id"]]
    messages = httpx.get(f"{served}/_smsproof/messages", params={"provider": "sinch"}).json()["messages"]
    assert sorted(m["body"] for m in messages) == ["Hello from Node"] + ["To the group"] * 3


def test_cm_node_sdk_sends(served):
    node = node_or_skip()
    result = run(node, "cm.mjs", served, "00000000-0000-0000-0000-000000000000")
    assert result["status"] == 200
    assert result["body"]["errorCode"] == 0
    assert result["body"]["messages"][0]["reference"] == "node-1"
    messages = httpx.get(f"{served}/_smsproof/messages", params={"provider": "cm"}).json()["messages"]
    assert [(m["to"], m["body"]) for m in messages] == [("0034600000010", "Hello from Node")]
