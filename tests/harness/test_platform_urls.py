"""Wrong URLs are one line with the documented exit code; `smsproof platform` says where it listens."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from harness import servers
from reference_platform.adapter import platform as reference
from tests.harness.test_cli import _main

ROOT = Path(__file__).resolve().parents[2]
ONE_SCENARIO = ROOT / "scenarios" / "keywords" / "keyword-limits.yaml"


def smsproof(*args, timeout=120):
    return subprocess.run([sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())", *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=timeout, env={**os.environ, "CI": "true"})


@pytest.fixture(scope="module")
def fakes_url():
    with servers.running_fakes() as url:
        yield url


@pytest.fixture(scope="module")
def platform_url():
    with servers.serve(lambda base: reference.create_app(base_url=base), "platform") as url:
        yield url


def test_the_driver_prefix_and_slashes_are_stripped_from_a_platform_url():
    assert servers.resolve_platform("http://127.0.0.1:9000/driver/v1").url == "http://127.0.0.1:9000"
    assert servers.resolve_platform("http://127.0.0.1:9000/driver/v1/").url == "http://127.0.0.1:9000"
    assert servers.resolve_platform("http://h:1/acme/driver/v1").url == "http://h:1/acme"
    assert servers.resolve_platform("http://h:1/acme/").url == "http://h:1/acme"
    assert servers.base_url("http://h:1/_smsproof/", servers.CONTROL_PREFIX) == "http://h:1"


def test_a_platform_url_given_with_driver_v1_certifies(tmp_path, platform_url, fakes_url):
    done = smsproof("certify", "--platform", f"{platform_url}/driver/v1/", "--fakes", fakes_url,
                    "--scenarios", str(ONE_SCENARIO), "--reports", str(tmp_path))
    assert done.returncode == 5, done.stdout + done.stderr  # one scenario: a PARTIAL run that passed
    assert f"PARTIAL (narrowed by scenario paths: certifies nothing) {platform_url}:" in done.stdout
    assert "/driver/v1/driver/v1" not in done.stdout + done.stderr


def test_the_fakes_given_as_the_platform_are_named_in_one_line_and_exit_2(tmp_path, capsys, fakes_url):
    for url in (fakes_url, f"{fakes_url}/driver/v1"):
        code, out, err = _main(capsys, "certify", "--platform", url, "--reports", str(tmp_path))
        assert code == 2, out + err
        assert err == (f"smsproof: error: {fakes_url} does not serve the driver API (GET /driver/v1/capabilities "
                               "answered 404): that is the smsproof fake providers (smsproof serve), not a platform\n")


def test_a_server_that_is_not_a_platform_is_one_line_and_exit_2(tmp_path, capsys):
    app = Starlette(routes=[Route("/{path:path}", lambda request: PlainTextResponse("<html>hello</html>"))])
    with servers.serve(lambda _url: app, "not-a-platform") as url:
        code, _, err = _main(capsys, "certify", "--platform", url, "--reports", str(tmp_path))
    assert code == 2
    assert err == (f"smsproof: error: {url} does not serve the driver API (GET /driver/v1/capabilities answered "
                           "no capabilities object): give the platform's base URL, where /driver/v1/capabilities answers\n")


def test_a_platform_failing_its_capabilities_is_one_line_and_exit_3(tmp_path, capsys):
    app = Starlette(routes=[Route("/driver/v1/capabilities", lambda request: PlainTextResponse("boom", 500))])
    with servers.serve(lambda _url: app, "failing-platform") as url:
        code, _, err = _main(capsys, "certify", "--platform", url, "--reports", str(tmp_path))
    assert code == 3
    assert err.startswith(f"smsproof: error: the platform at {url} failed to answer its capabilities: "
                          f"GET {url}/driver/v1/capabilities answered 500")
    assert len(err.strip().splitlines()) == 1


def test_a_platform_given_as_the_fakes_is_one_line_and_exit_2(tmp_path, capsys, platform_url):
    code, _, err = _main(capsys, "certify", "--fakes", platform_url, "--reports", str(tmp_path), "--scenarios", str(ONE_SCENARIO))
    assert code == 2
    assert err == (f"smsproof: error: {platform_url} does not serve the fakes' control API (GET /_smsproof/health "
                           "answered 404): give the URL of `smsproof serve --no-demo`\n")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("mutant", [None, "kw_case_sensitive"])
def test_smsproof_platform_prints_its_driver_url_and_serves_there(mutant):
    port = _free_port()
    command = ["platform", "--port", str(port), *(["--mutant", mutant] if mutant else [])]
    process = subprocess.Popen([sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())",
                                *command], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        lines = [process.stdout.readline() for _ in range(4)]  # printed once the port is bound
        base = f"http://127.0.0.1:{port}"
        assert lines[0].startswith(f"smsproof reference platform{f' (mutant {mutant}: ' if mutant else ''}")
        assert lines[0].rstrip().endswith(f" on {base}")
        assert lines[1].split()[:3] == ["driver", "API", f"{base}/driver/v1"]
        assert f"{base}/webhooks/{{workspace}}/{{sinch|cm|instasent}}/{{mo|dlr}}" in lines[2]
        assert lines[3].split() == ["certify", "it", "smsproof", "certify", "--platform", base]
        for _ in range(600):  # the banner comes just before uvicorn listens
            try:
                answer = httpx.get(f"{base}/driver/v1/capabilities", timeout=5).json()
                break
            except httpx.TransportError:
                assert process.poll() is None, "smsproof platform exited"
                time.sleep(0.05)
        assert answer["mutant"] == mutant and answer["clock"] == "drivable"
    finally:
        process.terminate()
        process.wait(10)
