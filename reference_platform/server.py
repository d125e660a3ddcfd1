"""Run the reference platform as its own server (`smsproof platform`, `python -m reference_platform`)."""

import socket
import sys

import uvicorn

from .app import create_app
from .mutants import BY_NAME
from .variants import BY_NAME as VARIANTS


def banner(base_url: str, mutant: str | None = None) -> str:
    """What `smsproof platform` prints first: where the driver API and the webhooks are."""
    kind, chosen = ("mutant", BY_NAME[mutant]) if mutant in BY_NAME else ("conforming variant", VARIANTS.get(mutant))
    title = "smsproof reference platform" + (f" ({kind} {mutant}: {chosen.description})" if chosen else "")
    return "\n".join([
        f"{title} on {base_url}",
        f"  driver API    {base_url}/driver/v1  (capabilities: {base_url}/driver/v1/capabilities)",
        f"  webhooks      {base_url}/webhooks/{{workspace}}/{{sinch|cm|instasent}}/{{mo|dlr}}",
        f"  certify it    smsproof certify --platform {base_url}",
    ])


def run(host: str = "127.0.0.1", port: int = 8020, mutant: str | None = None, real_clock: bool = False,
        clock_start=None):
    """Serve until interrupted; an unknown mutant or a busy port is a one-line error, not a traceback.
    `real_clock`/`clock_start` (a datetime): see `create_app`."""
    if mutant is not None and mutant not in BY_NAME and mutant not in VARIANTS:
        print(f"error: unknown mutant {mutant!r} (python -m reference_platform --list-mutants lists them)",
              file=sys.stderr)
        raise SystemExit(2)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:  # a busy port fails before the banner
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        probe.bind((host, port))
    shown = f"[{host}]" if ":" in host else host
    base_url = f"http://{shown}:{port}" if port else None
    if base_url:
        print(banner(base_url, mutant), flush=True)
    app = create_app(mutant=mutant, base_url=base_url, real_clock=real_clock, clock_start=clock_start)
    uvicorn.run(app, host=host, port=port, log_level="warning")
