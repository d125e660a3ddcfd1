"""`run()`: the fakes as one local server (`smsproof serve`, `python -m fake_providers`), with a
demo account per provider and a banner of base URLs and ready-to-paste SDK settings."""
from __future__ import annotations

import argparse
import gc
import socket
import sys

import uvicorn

from .app import create_app
from .journal import Journal
from .network import Network


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


def run(host: str = "127.0.0.1", port: int = 8010, demo: bool = True,
        log_level: str = "warning", log: bool = True) -> None:
    """Serve every provider fake and the control API on host:port until interrupted; with
    `log`, a line per provider request and callback attempt on stdout."""
    network = Network()
    app = create_app(network)
    if log:
        log_requests(network.journal)
    demos = add_demo_accounts(network) if demo else {}
    sock = bind(host, port)
    shown = f"[{host}]" if ":" in host else host
    print(banner(network, demos, f"http://{shown}:{sock.getsockname()[1]}"), flush=True)
    # No access log and no proxy-header rewriting: the fakes use neither, and both cost
    # time on every request.
    # An open inbox page holds a live stream: shutting down waits for it only briefly.
    config = uvicorn.Config(app, log_level=log_level, access_log=False, proxy_headers=False,
                            timeout_graceful_shutdown=1)
    gc.freeze()  # start-up objects too
    gc.callbacks.append(freeze_survivors)
    uvicorn.Server(config).run(sockets=[sock])


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
    args = parser.parse_args(argv)
    try:
        run(args.host, args.port, demo=not args.no_demo, log=not args.quiet)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    return 0
