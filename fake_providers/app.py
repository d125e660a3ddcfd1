"""`create_app()`: every provider fake and the control API in one Starlette app.

Providers are served at the root (their real paths do not collide), under `/sinch`, `/cm` and
`/instasent`, and on their real host names through the Host header (so a client that keeps its
default host and only resolves it here, or respx in-process, reaches the right fake)."""
from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import re
from typing import Callable

import httpx
from starlette.applications import Starlette
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from . import cm, control, inbox, instasent, sinch
from .network import Network
from .provider import ProviderBackend

PROVIDER_MODULES = (sinch, cm, instasent)


def load_backends(network: Network) -> list[ProviderBackend]:
    """One backend per provider module (each module exposes `Backend`)."""
    backends = [module.Backend(network) for module in PROVIDER_MODULES]
    network.providers.update((backend.name, backend) for backend in backends)
    return backends


class ProviderHosts:
    """Dispatch by Host header: a provider's real host name goes straight to its routes."""

    CACHE_SIZE = 256  # distinct Host headers remembered (clients send one or two each)

    def __init__(self, app: ASGIApp, hosts: list[tuple[str, ASGIApp]]) -> None:
        self.app = app
        self.hosts = [(re.compile(fnmatch.translate(pattern)), router) for pattern, router in hosts]
        self._routed: dict[bytes, ASGIApp] = {}  # Host header -> where it goes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope["headers"] if k == b"host"), b"")
        target = self._routed.get(header)
        if target is None:
            target = self._route(header)
            if len(self._routed) >= self.CACHE_SIZE:
                self._routed.clear()
            self._routed[header] = target
        await target(scope, receive, send)

    def _route(self, header: bytes) -> ASGIApp:
        host = header.decode("latin-1")
        host = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host
        return next((router for pattern, router in self.hosts if pattern.match(host)), self.app)


async def not_found(request, exc) -> JSONResponse:
    return JSONResponse({"error": "not_found", "message": f"no route for {request.url.path}"}, 404)


async def to_inbox(request) -> RedirectResponse:
    """The server's root (the banner's base URL) leads a browser to the web inbox."""
    return RedirectResponse(f"{request.scope.get('root_path', '')}/_smsproof/")


def create_app(network: Network | None = None,
               client_factory: Callable[[], httpx.AsyncClient] | None = None) -> Starlette:
    """The app; pass a `network` to share state with the caller (tests, fake_providers.testing)."""
    network = network or Network(client_factory)
    backends = load_backends(network)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        ticker = asyncio.create_task(network.clock.run_forever())
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await network.outbox.aclose()

    routes = [route for b in backends for route in b.routes()]  # the hot paths first
    routes += [Mount("/_smsproof", routes=control.routes(network)
                     + inbox.routes(network, control.OPENAPI))]  # the web inbox at /_smsproof/
    routes += [Mount(f"/{b.name}", routes=b.routes()) for b in backends]
    routes += [Route("/", to_inbox)]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: not_found})
    hosts = [(pattern, ExceptionMiddleware(Router(routes=b.routes()), {404: not_found}))
             for b in backends for pattern in b.hosts]
    app.add_middleware(ProviderHosts, hosts=hosts)
    app.state.network = network
    return app
