"""`run()`: the fakes as one local server (`smsproof serve`, `python -m fake_providers`), with a
demo account per provider and a banner of base URLs and ready-to-paste SDK settings."""
from __future__ import annotations

import argparse
import gc
import socket
import sys

import uvicorn

from .app import create_app
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
             f"  control API   {base_url}/_smsproof/  (health, accounts, messages, journal, clock ...)"]
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
    """argparse type of `--max-messages`: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid count {text!r}: not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid count {value}: must be at least 1")
    return value


def run(host: str = "127.0.0.1", port: int = 8010, demo: bool = True,
        log_level: str = "warning", max_messages: int | None = None) -> None:
    """Serve every provider fake and the control API on host:port until interrupted; with
    `max_messages`, the journal keeps that many messages (and as many entries), evicting the
    oldest."""
    network = Network()
    network.journal.max_records = max_messages
    app = create_app(network)
    demos = add_demo_accounts(network) if demo else {}
    sock = bind(host, port)
    shown = f"[{host}]" if ":" in host else host
    print(banner(network, demos, f"http://{shown}:{sock.getsockname()[1]}"), flush=True)
    # No access log and no proxy-header rewriting: the fakes use neither, and both cost
    # time on every request.
    config = uvicorn.Config(app, log_level=log_level, access_log=False, proxy_headers=False)
    gc.freeze()  # start-up objects too
    gc.callbacks.append(freeze_survivors)
    uvicorn.Server(config).run(sockets=[sock])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fake_providers",
                                     description="Serve the Sinch, CM.com and Instasent fakes.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8010)
    parser.add_argument("--no-demo", action="store_true", help="start without demo accounts")
    parser.add_argument("--max-messages", type=positive_int, metavar="N",
                        help="keep the newest N messages and N journal entries (default: all)")
    args = parser.parse_args(argv)
    try:
        run(args.host, args.port, demo=not args.no_demo, max_messages=args.max_messages)
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    return 0
