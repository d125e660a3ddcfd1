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
from starlette.requests import Request
from starlette.routing import BaseRoute, Match, Mount, Route, Router
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
    """Dispatch by Host header: a provider's real host name goes straight to its routes. A POST
    whose route is a provider endpoint (the sends) is served here, without the router and the
    exception layer after this one: the route is the one the router would pick (the first that
    matches, remembered per path) and the endpoint wrapper answers every error itself."""

    CACHE_SIZE = 256  # distinct Host headers remembered (clients send one or two each)
    ROUTES_CACHE_SIZE = 1024  # distinct POST paths remembered

    def __init__(self, app: ASGIApp, hosts: list[tuple[str, ASGIApp, list[BaseRoute]]],
                 routes: list[BaseRoute]) -> None:
        self.app = app
        self.hosts = [(re.compile(fnmatch.translate(pattern)), (router, host_routes))
                      for pattern, router, host_routes in hosts]
        self.routes = routes
        self._routed: dict[bytes, tuple[ASGIApp, list[BaseRoute]]] = {}  # Host header -> where it goes
        self._posts: dict[tuple, tuple[Route, dict] | None] = {}  # (routes, path) -> the endpoint's route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next((v for k, v in scope["headers"] if k == b"host"), b"")
        routed = self._routed.get(header)
        if routed is None:
            routed = self._route(header)
            if len(self._routed) >= self.CACHE_SIZE:
                self._routed.clear()
            self._routed[header] = routed
        target, routes = routed
        if scope["method"] == "POST":
            key = (id(routes), scope.get("root_path", ""), scope["path"])
            hot = self._posts.get(key, False)
            if hot is False:
                hot = self._posts[key] = provider_endpoint(routes, scope)
                if len(self._posts) >= self.ROUTES_CACHE_SIZE:
                    self._posts.clear()
            if hot is not None:
                route, params = hot
                scope["route"], scope["endpoint"] = route, route.endpoint
                scope["path_params"] = dict(params)
                response = await route.endpoint(Request(scope, receive, send))
                await response(scope, receive, send)
                return
        await target(scope, receive, send)

    def _route(self, header: bytes) -> tuple[ASGIApp, list[BaseRoute]]:
        host = header.decode("latin-1")
        host = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host
        return next((router for pattern, router in self.hosts if pattern.match(host)),
                    (self.app, self.routes))


def provider_endpoint(routes: list[BaseRoute], scope: Scope) -> tuple[Route, dict] | None:
    """(route, path parameters) when the route a router of `routes` picks for `scope` is a
    provider endpoint (`ProviderBackend.endpoint`), else None."""
    for route in routes:
        match, child_scope = route.matches(scope)
        if match is Match.FULL:
            if isinstance(route, Route) and getattr(route.endpoint, "provider_endpoint", False):
                return route, child_scope["path_params"]
            return None
    return None


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

    # The control API first: no provider path starts with /_smsproof, and a control request
    # (a reply through /_smsproof/inbound) then skips some 45 provider routes. Provider POSTs
    # (the sends) are routed by ProviderHosts.
    routes = [Mount("/_smsproof", routes=control.routes(network)
                    + inbox.routes(network, control.OPENAPI))]  # the web inbox at /_smsproof/
    routes += [route for b in backends for route in b.routes()]
    routes += [Mount(f"/{b.name}", routes=b.routes()) for b in backends]
    routes += [Route("/", to_inbox)]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: not_found})
    hosts = []
    for b in backends:
        router = Router(routes=b.routes())
        hosts += [(pattern, ExceptionMiddleware(router, {404: not_found}), router.routes)
                  for pattern in b.hosts]
    app.add_middleware(ProviderHosts, hosts=hosts, routes=app.router.routes)
    app.state.network = network
    return app
