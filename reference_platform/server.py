"""Run the reference platform as its own server (`smsproof platform`, `python -m reference_platform`)."""

import uvicorn

from .app import create_app


def run(host: str = "127.0.0.1", port: int = 8020, mutant: str | None = None):
    base_url = f"http://{host}:{port}" if port else None
    uvicorn.run(create_app(mutant=mutant, base_url=base_url), host=host, port=port, log_level="warning")
