"""`smsproof messages`, `reply` and `clock` (fake_providers/cli.py) against a served app."""
from __future__ import annotations

import argparse
import json
import re
import socket

import httpx
import pytest

from fake_providers import cli
from fake_providers.app import create_app
from fake_providers.network import Network
from fake_providers.server import add_demo_accounts
from fake_providers.testing import running_server

ACCOUNT, LONG_CODE = "demo-service-plan", "+4915112348765"


@pytest.fixture(scope="module")
def base_url():
    network = Network(client_factory=lambda: httpx.AsyncClient(
        transport=httpx.MockTransport(lambda request: httpx.Response(200))))
    app = create_app(network)
    add_demo_accounts(network)
    with running_server(app) as url:
        yield url


@pytest.fixture
def fakes(base_url):
    with httpx.Client(base_url=base_url) as client:
        client.post("/_smsproof/reset")
        client.post("/_smsproof/clock", json={"mode": "virtual", "now": "2026-01-05T10:00:00Z"})
        client.patch(f"/_smsproof/accounts/sinch/{ACCOUNT}", json={"mo_callback_url": "http://p.test/mo"})
        yield client


def send(fakes, to: str, body: str) -> None:
    response = fakes.post(f"/xms/v1/{ACCOUNT}/batches", headers={"Authorization": "Bearer demo-token"},
                          json={"from": LONG_CODE, "to": [to], "body": body})
    assert response.status_code == 201


def smsproof(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="smsproof")
    cli.add_commands(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_messages_prints_a_line_per_message_with_filters(fakes, capsys):
    send(fakes, "+34600000011", "Hello there")
    fakes.post("/_smsproof/inbound", json={"provider": "sinch", "from": "+34600000011",
                                           "to": LONG_CODE, "body": "STOP"})
    assert cli.run(smsproof("messages", "--url", str(fakes.base_url))) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f'2026-01-05T10:00:00.000Z sinch {ACCOUNT} MT {LONG_CODE} -> +34600000011 Dispatched "Hello there"',
        f'2026-01-05T10:00:00.000Z sinch {ACCOUNT} MO +34600000011 -> +4915112348765 Received "STOP"']
    assert cli.run(smsproof("messages", "--url", str(fakes.base_url), "--direction", "mo", "--json")) == 0
    [only] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert only["body"] == "STOP" and only["direction"] == "mo"


def test_every_page_is_read(fakes):
    for n in range(5):
        send(fakes, f"+3460000002{n}", f"m{n}")
    with httpx.Client(base_url=f"{fakes.base_url}/_smsproof") as control:
        bodies = [m["body"] for m in cli.pages(control, {"limit": 2})]
    assert bodies == [f"m{n}" for n in range(5)]


def test_follow_prints_new_messages_once(fakes):
    send(fakes, "+34600000031", "before")
    seen = []

    def write(message):
        seen.append(message["body"])
        if message["body"] == "before":  # a message arrives while following
            send(fakes, "+34600000032", "during")

    with httpx.Client(base_url=f"{fakes.base_url}/_smsproof") as control:
        cli.follow(control, {}, write, interval=0.01, rounds=2)
    assert seen == ["before", "during"]


def test_reply_reports_the_callback(fakes, capsys):
    args = smsproof("reply", "--url", str(fakes.base_url), "--from", "+34600000041", "--to", LONG_CODE, "STOP")
    assert cli.run(args) == 0
    out = capsys.readouterr().out
    assert '"STOP"' in out and re.search(f"to account {ACCOUNT}; callback cb_[0-9]+ delivered: HTTP 200", out)
    refused = smsproof("reply", "--url", str(fakes.base_url), "--from", "+34600000041", "--to", "999", "STOP")
    assert cli.run(refused) == cli.EXIT_REFUSED
    err = capsys.readouterr().err
    assert err.startswith("smsproof reply: POST /inbound: 404 no sinch account owns '999'") and err.count("\n") == 1


def test_clock_shows_sets_and_advances(fakes, capsys):
    url = str(fakes.base_url)
    assert cli.run(smsproof("clock", "--url", url, "--set", "2026-02-01T00:00:00Z")) == 0
    assert cli.run(smsproof("clock", "--url", url, "--advance", "90")) == 0
    assert cli.run(smsproof("clock", "--url", url)) == 0
    assert capsys.readouterr().out.splitlines() == [
        "virtual 2026-02-01T00:00:00.000Z", "virtual 2026-02-01T00:01:30.000Z (0 events fired)",
        "virtual 2026-02-01T00:01:30.000Z"]
    assert cli.run(smsproof("clock", "--url", url, "--advance", "-1")) == cli.EXIT_REFUSED
    assert "invalid" not in capsys.readouterr().out
    assert cli.run(smsproof("clock", "--url", url, "--real")) == 0
    assert capsys.readouterr().out.startswith("real ")


def test_no_server_is_one_line_and_exit_3(capsys):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert cli.run(smsproof("clock", "--url", f"http://127.0.0.1:{port}")) == cli.EXIT_UNREACHABLE
    err = capsys.readouterr().err
    assert err.startswith(f"smsproof clock: no fakes at http://127.0.0.1:{port}") and err.count("\n") == 1


def test_smsproof_dispatches_the_commands(fakes, capsys):
    from harness.cli import main

    assert main(["clock", "--url", str(fakes.base_url)]) == 0
    assert capsys.readouterr().out == "virtual 2026-01-05T10:00:00.000Z\n"


@pytest.fixture(scope="module")
def guarded_url():
    from fake_providers.server import ControlToken

    network = Network(client_factory=lambda: httpx.AsyncClient(
        transport=httpx.MockTransport(lambda request: httpx.Response(200))))
    app = ControlToken(create_app(network), "s3cret")
    add_demo_accounts(network)
    with running_server(app) as url:
        yield str(url)


def test_the_control_token_is_sent_from_the_option_or_the_environment(guarded_url, capsys, monkeypatch):
    from fake_providers.server import TOKEN_ENV

    assert cli.TOKEN_ENV == TOKEN_ENV  # the variable `smsproof serve` reads
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert cli.run(smsproof("clock", "--url", guarded_url)) == cli.EXIT_REFUSED
    err = capsys.readouterr().err
    assert err == "smsproof clock: GET /clock: 401 the control API needs the control token\n"
    assert cli.run(smsproof("clock", "--url", guarded_url, "--control-token", "wrong")) == cli.EXIT_REFUSED
    capsys.readouterr()
    assert cli.run(smsproof("clock", "--url", guarded_url, "--control-token", "s3cret")) == 0
    assert capsys.readouterr().out.startswith("real ")
    monkeypatch.setenv(TOKEN_ENV, "s3cret")
    assert cli.run(smsproof("messages", "--url", guarded_url)) == 0
    assert cli.run(smsproof("reply", "--url", guarded_url, "--from", "+34600000051",
                            "--to", LONG_CODE, "STOP")) == 0
    assert '"STOP"' in capsys.readouterr().out
