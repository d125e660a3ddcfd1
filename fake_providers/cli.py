"""`smsproof messages`, `smsproof reply` and `smsproof clock`: the control API of a running
`smsproof serve` from a shell, for people (one line per message) and scripts (`--json`).

Exit codes: 0 done, 2 the server refused the request (its message is printed), 3 no server
at `--url`. Against `smsproof serve --control-token T`, pass `--control-token T` (or set
SMSPROOF_CONTROL_TOKEN, which the server reads too): it goes as a bearer token."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Callable, Iterator

import httpx

DEFAULT_URL = "http://127.0.0.1:8010"
TOKEN_ENV = "SMSPROOF_CONTROL_TOKEN"  # the variable `smsproof serve` reads (server.TOKEN_ENV)
EXIT_OK, EXIT_REFUSED, EXIT_UNREACHABLE = 0, 2, 3
COMMANDS = ("messages", "reply", "clock")
FILTERS = ("provider", "account", "direction", "to", "from", "status", "body", "since")


class CommandError(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def add_commands(subparsers) -> None:
    """Add the three commands to an argparse subparsers object (`smsproof` calls this)."""
    def command(name: str, help: str) -> argparse.ArgumentParser:
        parser = subparsers.add_parser(name, help=help)
        parser.add_argument("--url", default=DEFAULT_URL,
                            help=f"base URL of the running fakes (default {DEFAULT_URL})")
        parser.add_argument("--control-token", default=None,
                            help=f"the server's control token, if it has one (default: ${TOKEN_ENV})")
        return parser

    messages = command("messages", "list the messages the fakes carried (MT and MO)")
    for name in FILTERS:
        messages.add_argument(f"--{name}", dest=f"filter_{name}",
                              help=f"only messages with this {name}" if name != "since"
                              else "only messages created at or after this ISO 8601 time")
    messages.add_argument("--follow", action="store_true", help="keep printing new messages")
    messages.add_argument("--interval", type=float, default=0.5, help=argparse.SUPPRESS)
    messages.add_argument("--json", action="store_true", help="one JSON object per line")

    reply = command("reply", "send a reply (an MO message) from a handset")
    reply.add_argument("--provider", default="sinch", help="sinch, cm or instasent (default sinch)")
    reply.add_argument("--from", dest="sender", required=True, help="the handset's number")
    reply.add_argument("--to", required=True, help="the account's number or short code")
    reply.add_argument("body", help="the text, e.g. STOP")

    clock = command("clock", "show, set or advance the fakes' clock")
    moves = clock.add_mutually_exclusive_group()
    moves.add_argument("--advance", type=float, metavar="SECONDS",
                       help="move virtual time forward, firing what comes due")
    moves.add_argument("--set", metavar="ISO8601", help="freeze the clock at this time")
    moves.add_argument("--real", action="store_true", help="back to real time")


def run(args: argparse.Namespace, out=None) -> int:
    """Run the parsed command; errors are one line on stderr and an exit code."""
    out = out or sys.stdout
    token = args.control_token or os.environ.get(TOKEN_ENV)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with httpx.Client(base_url=args.url.rstrip("/") + "/_smsproof", headers=headers,
                          timeout=30) as client:
            if args.command == "messages":
                return messages(client, args, out)
            if args.command == "reply":
                return reply(client, args, out)
            return clock(client, args, out)
    except CommandError as error:
        print(f"smsproof {args.command}: {error}", file=sys.stderr)
        return error.code
    except httpx.TransportError as error:
        print(f"smsproof {args.command}: no fakes at {args.url} ({error or type(error).__name__})",
              file=sys.stderr)
        return EXIT_UNREACHABLE


def call(client: httpx.Client, method: str, path: str, **kwargs) -> dict:
    response = client.request(method, path, **kwargs)
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code >= 400:
        detail = data.get("message") if isinstance(data, dict) else response.text[:200]
        raise CommandError(f"{method} {path}: {response.status_code} {detail}", EXIT_REFUSED)
    if not isinstance(data, dict):
        raise CommandError(f"{method} {path}: not the fakes' control API (no JSON object)",
                           EXIT_REFUSED)
    return data


def pages(client: httpx.Client, params: dict) -> Iterator[dict]:
    """Every message matching `params`, following `next_cursor` page by page."""
    cursor = None
    while True:
        data = call(client, "GET", "/messages", params={**params, **({"cursor": cursor} if cursor else {})})
        yield from data.get("messages", [])
        cursor = data.get("next_cursor")
        if not cursor:
            return


def line(message: dict) -> str:
    """One greppable line: time, provider, account, direction, from -> to, status, text."""
    return (f'{message["created_at"]} {message["provider"]} {message["account"]} '
            f'{message["direction"].upper()} {message["from"]} -> {message["to"]} '
            f'{message["status"]} {json.dumps(message["body"], ensure_ascii=False)}')


def messages(client: httpx.Client, args: argparse.Namespace, out) -> int:
    params = {name: getattr(args, f"filter_{name}") for name in FILTERS
              if getattr(args, f"filter_{name}") is not None}
    show = (lambda m: json.dumps(m, ensure_ascii=False)) if args.json else line
    follow(client, params, lambda m: print(show(m), file=out, flush=True),
           args.interval if args.follow else None)
    return EXIT_OK


def follow(client: httpx.Client, params: dict, write: Callable[[dict], None],
           interval: float | None, rounds: int | None = None) -> None:
    """Write every message, then (with an `interval`) poll for new ones until interrupted or
    for `rounds` polls: asks for those created since the newest seen, skips those seen."""
    seen: set[str] = set()
    newest = None
    polls = 0
    while True:
        query = {**params, "since": newest} if newest else params
        for message in pages(client, query):
            if message["id"] not in seen:
                seen.add(message["id"])
                write(message)
            newest = max(newest or message["created_at"], message["created_at"])
        if interval is None or (rounds is not None and polls >= rounds):
            return
        polls += 1
        time.sleep(interval)


def reply(client: httpx.Client, args: argparse.Namespace, out) -> int:
    data = call(client, "POST", "/inbound", json={"provider": args.provider, "from": args.sender,
                                                  "to": args.to, "body": args.body})
    callback = data["callback"]
    result = f'HTTP {callback["status"]}' if callback["status"] is not None else callback["error"]
    print(f'{line(data["message"])}\n  to account {data["account"]}; callback {callback["id"]} '
          f'{callback["state"]}: {result}', file=out)
    return EXIT_OK


def clock(client: httpx.Client, args: argparse.Namespace, out) -> int:
    if args.advance is not None:
        data = call(client, "POST", "/clock/advance", json={"seconds": args.advance})
        print(f'{data["mode"]} {data["now"]} ({data["fired"]} events fired)', file=out)
        return EXIT_OK
    if args.set is not None:
        data = call(client, "POST", "/clock", json={"mode": "virtual", "now": args.set})
    elif args.real:
        data = call(client, "POST", "/clock", json={"mode": "real"})
    else:
        data = call(client, "GET", "/clock")
    print(f'{data["mode"]} {data["now"]}', file=out)
    return EXIT_OK
