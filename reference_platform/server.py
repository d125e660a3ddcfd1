"""Run the reference platform as its own server (`smsproof platform`, `python -m reference_platform`)."""

import sys

import uvicorn

from .app import create_app
from .mutants import BY_NAME
from .variants import BY_NAME as VARIANTS


def run(host: str = "127.0.0.1", port: int = 8020, mutant: str | None = None):
    """Serve until interrupted; an unknown mutant is a one-line error (exit status 2), not a traceback."""
    if mutant is not None and mutant not in BY_NAME and mutant not in VARIANTS:
        print(f"error: unknown mutant {mutant!r} (python -m reference_platform --list-mutants lists them)",
              file=sys.stderr)
        raise SystemExit(2)
    base_url = f"http://{host}:{port}" if port else None
    uvicorn.run(create_app(mutant=mutant, base_url=base_url), host=host, port=port, log_level="warning")
