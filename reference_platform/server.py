"""Run the reference platform as its own server (`smsproof platform`, `python -m reference_platform`)."""

import socket
import sys

import uvicorn

from .app import create_app
from .mutants import BY_NAME


def banner(base_url: str, mutant: str | None = None) -> str:
    """What `smsproof platform` prints first: where the driver API and the webhooks are."""
    title = "smsproof reference platform" + (f" (mutant {mutant}: {BY_NAME[mutant].description})" if mutant else "")
    return "\n".join([
        f"{title} on {base_url}",
        f"  driver API    {base_url}/driver/v1  (capabilities: {base_url}/driver/v1/capabilities)",
        f"  webhooks      {base_url}/webhooks/{{workspace}}/{{sinch|cm|instasent}}/{{mo|dlr}}",
        f"  certify it    smsproof certify --platform {base_url}",
    ])


def run(host: str = "127.0.0.1", port: int = 8020, mutant: str | None = None):
    """Serve until interrupted; an unknown mutant is a one-line error (exit status 2), not a traceback."""
    if mutant is not None and mutant not in BY_NAME:
        print(f"error: unknown mutant {mutant!r} (python -m reference_platform --list-mutants lists them)",
              file=sys.stderr)
        raise SystemExit(2)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))  # before the banner, so a busy port fails first
    except OSError:
        sock.close()
        raise
    shown = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown}:{sock.getsockname()[1]}"
    print(banner(base_url, mutant), flush=True)
    config = uvicorn.Config(create_app(mutant=mutant, base_url=base_url), log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
