"""`run()`: the fakes as one local server (`smsproof serve`, `python -m fake_providers`), with a
demo account per provider and a banner of base URLs and ready-to-paste SDK settings."""
from __future__ import annotations

import argparse
import asyncio
import gc
import hmac
import ipaddress
import os
import socket
import sys
from base64 import b64decode

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from .app import create_app
from .callbacks import AiohttpPoster
from .journal import Journal
from .network import Network


CONTROL_PREFIX = "/_smsproof"
TOKEN_ENV = "SMSPROOF_CONTROL_TOKEN"
CALLBACK_HOSTS_ENV = "SMSPROOF_CALLBACK_HOSTS"


class ControlToken:
    """Guards the control API: a request under /_smsproof/ needs the token, as a bearer token or
    as the password of HTTP Basic (any user name; a browser then asks once and sends it with
    every request of the page). The provider APIs keep their own authentication."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")) \
                and not self._authorized(dict(scope["headers"]).get(b"authorization", b"")):
            body = b'{"error":"unauthorized","message":"the control API needs the control token"}'
            await send({"type": "http.response.start", "status": 401, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Basic realm="smsproof control API"')]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)

    def _authorized(self, header: bytes) -> bool:
        scheme, _, credentials = header.partition(b" ")
        if scheme.lower() == b"basic":
            try:
                credentials = b64decode(credentials, validate=True).partition(b":")[2]
            except ValueError:
                return False
        elif scheme.lower() != b"bearer":
            return False
        return hmac.compare_digest(credentials.strip(), self.token)


class CoalescedWrites:
    """A transport that sends what one step of the event loop writes in one write. uvicorn
    writes a response's head and its body apart: two system calls and two TCP segments per
    response, about a tenth of a send's CPU (and the client's). Writes are held until the step
    ends (`call_soon`), and closing sends what is held first, so the bytes and their order on
    the wire stay the same."""

    __slots__ = ("transport", "loop", "held")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self.transport, self.loop, self.held = transport, loop, None

    def write(self, data: bytes) -> None:
        if self.held is None:
            self.held = [data]
            self.loop.call_soon(self.flush)
        else:
            self.held.append(data)

    def writelines(self, chunks) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        held, self.held = self.held, None
        if held and not self.transport.is_closing():
            self.transport.write(held[0] if len(held) == 1 else b"".join(held))

    def write_eof(self) -> None:
        self.flush()
        self.transport.write_eof()

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def abort(self) -> None:
        self.held = None
        self.transport.abort()

    def __getattr__(self, name: str):
        return getattr(self.transport, name)


def http_protocol():
    """uvicorn's httptools protocol with `CoalescedWrites`; "auto" without httptools."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:
        return "auto"

    class CoalescedHttpToolsProtocol(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            self.transport = CoalescedWrites(transport, self.loop)

    return CoalescedHttpToolsProtocol


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere


def exposure_warnings(host: str, control_token: str | None, callback_hosts: tuple[str, ...]) -> list[str]:
    """What a server reachable from other machines must tell its operator."""
    if is_loopback(host):
        return []
    warnings = []
    if not control_token:
        warnings.append(f"warning: serving on {host}, not loopback: the control API {CONTROL_PREFIX}/ "
                        f"(accounts, traffic, faults, clock) is open to anyone who can reach it; "
                        f"protect it with --control-token or {TOKEN_ENV}")
    if not callback_hosts:
        warnings.append(f"warning: callbacks go to any URL a caller names (batch callback_url); "
                        f"restrict their hosts with --callback-host or {CALLBACK_HOSTS_ENV}")
    return warnings


def add_demo_accounts(network: Network) -> dict[str, tuple[str, dict]]:
    demos = {}
    for name, backend in network.providers.items():
        account, settings = backend.demo_account()
        network.accounts.put(name, account, settings)
        demos[name] = (account, settings)
    return demos


def banner(network: Network, demos: dict[str, tuple[str, dict]], base_url: str) -> str:
    lines = [f"smsproof fake providers on {base_url}",
             f"  inbox         {base_url}/_smsproof/  (live conversations, callbacks, journal, clock)",
             f"  control API   {base_url}/_smsproof/reference  ({base_url}/_smsproof/openapi.yaml)"]
    for name, backend in network.providers.items():
        lines.append(f"  {name:<13} {base_url}  or  {base_url}/{name}  or  Host: "
                     + ", ".join(backend.hosts))
    lines.append(f"  replies       POST {base_url}/_smsproof/inbound "
                 '{"provider", "from", "to", "body"}')
    for name, backend in network.providers.items():
        if name not in demos:
            continue
        account, settings = demos[name]
        lines.append(f"\n{name} demo account {account!r}:")
        lines += [f"  {line}" for line in backend.sdk_settings(base_url, account, settings)]
    return "\n".join(lines)


def log_line(kind: str, item) -> str | None:
    """The `--log` line of a journal event: one per provider request and per callback attempt,
    space-separated fields in a fixed order (grep, cut and awk read them)."""
    if kind != "entry" or item["kind"] not in ("mt_request", "callback_attempt"):
        return None
    head = f'{item["at"]} {item["provider"]} {item["account"] or "-"}'
    if item["kind"] == "mt_request":
        outcome = item["status"] if item["status"] is not None else "-"
        note = f' ({item["note"]})' if item.get("note") else ""
        query = f'?{item["query"]}' if item["query"] else ""
        return f'{head} {item["method"]} {item["path"]}{query} {outcome} {item["endpoint"]}{note}'
    outcome = item["status"] if item["status"] is not None else f'error="{item["error"]}"'
    retry = f' next={item["next_attempt_at"]}' if item["next_attempt_at"] else ""
    return (f'{head} CALLBACK {item["url"] or "-"} {outcome} {item["callback_kind"]} '
            f'{item["callback_id"]} attempt={item["attempt"]} {item["latency_ms"]}ms{retry}')


def log_requests(journal: Journal, stream=None) -> None:
    """Print `log_line`s as the journal records them."""
    def write(kind: str, item) -> None:
        line = log_line(kind, item)
        if line is not None:
            out = stream or sys.stdout
            out.write(line + "\n")
            out.flush()
    journal.listeners.append(write)


def bind(host: str, port: int) -> socket.socket:
    """The listening socket (bound before the banner, so a busy port fails first)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # proto set: asyncio then disables Nagle
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def freeze_survivors(phase: str, info: dict) -> None:
    """A `gc.callbacks` hook: what survived a collection of the middle generation is frozen
    out of later ones. The journal only grows, and full passes over it paused the server for
    40 to 330 ms every few thousand sends (p99 at 1,000 sends/s); now pauses stay under a few
    ms. The price: cyclic garbage that outlives such a collection is kept until exit (none
    was seen from connections or requests; most of what survives is the journal anyway)."""
    if phase == "stop" and info["generation"] >= 1:
        gc.freeze()


def positive_int(text: str) -> int:
    """argparse type of a count (`--max-messages`, and smsproof's `--workers`, `--examples`): at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid count {text!r}: not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid count {value}: must be at least 1")
    return value


def run(host: str = "127.0.0.1", port: int = 8010, demo: bool = True,
        log_level: str = "warning", log: bool = True, max_messages: int | None = None,
        control_token: str | None = None, callback_hosts: tuple[str, ...] | None = None) -> None:
    """Serve every provider fake and the control API on host:port until interrupted; with
    `log`, a line per provider request and callback attempt on stdout; with `max_messages`, the
    journal keeps that many messages (and as many entries), evicting the oldest. `control_token`
    (default: $SMSPROOF_CONTROL_TOKEN) guards /_smsproof/; `callback_hosts` (default:
    $SMSPROOF_CALLBACK_HOSTS, comma-separated) are the fnmatch patterns of the hosts callbacks
    may go to (none: any)."""
    control_token = control_token or os.environ.get(TOKEN_ENV) or None
    if callback_hosts is None:
        callback_hosts = tuple(h.strip() for h in os.environ.get(CALLBACK_HOSTS_ENV, "").split(",") if h.strip())
    network = Network()
    network.journal.max_records = max_messages
    network.outbox.allowed_hosts = tuple(callback_hosts)
    network.outbox.poster = AiohttpPoster()
    app = create_app(network)
    if log:
        log_requests(network.journal)
    if control_token:
        app = ControlToken(app, control_token)
    demos = add_demo_accounts(network) if demo else {}
    sock = bind(host, port)
    shown = f"[{host}]" if ":" in host else host
    print(banner(network, demos, f"http://{shown}:{sock.getsockname()[1]}"), flush=True)
    for warning in exposure_warnings(host, control_token, tuple(callback_hosts)):
        print(warning, file=sys.stderr, flush=True)
    # No access log and no proxy-header rewriting: the fakes use neither, and both cost
    # time on every request.
    # An open inbox page holds a live stream: shutting down waits for it only briefly.
    config = uvicorn.Config(app, log_level=log_level, access_log=False, proxy_headers=False,
                            timeout_graceful_shutdown=1, http=http_protocol())
    gc.freeze()  # start-up objects too
    gc.callbacks.append(freeze_survivors)
    uvicorn.Server(config).run(sockets=[sock])


def add_exposure_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a server exposed beyond loopback (shared with `smsproof serve`)."""
    parser.add_argument("--control-token", default=None,
                        help=f"require this token on /_smsproof/ (default: ${TOKEN_ENV})")
    parser.add_argument("--callback-host", action="append", default=[], metavar="PATTERN",
                        help="a host callbacks may go to, fnmatch pattern (repeatable; default: "
                             f"${CALLBACK_HOSTS_ENV}, comma-separated, else any host)")


def add_log_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--log", action="store_true",
                       help="a line per provider request and callback attempt (the default)")
    group.add_argument("--quiet", action="store_true", help="no per-request lines")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fake_providers",
                                     description="Serve the Sinch, CM.com and Instasent fakes.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--no-demo", action="store_true", help="start without demo accounts")
    add_log_flags(parser)
    parser.add_argument("--max-messages", type=positive_int, metavar="N",
                        help="keep the newest N messages and N journal entries (default: all)")
    add_exposure_arguments(parser)
    args = parser.parse_args(argv)
    try:
        run(args.host, args.port, demo=not args.no_demo, log=not args.quiet, max_messages=args.max_messages,
            control_token=args.control_token, callback_hosts=tuple(args.callback_host) or None)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    return 0
