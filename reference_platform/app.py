"""The Starlette application: driver API, provider webhooks and the short-link resolver."""

import asyncio
import contextlib
import logging
from contextlib import asynccontextmanager
from datetime import datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse
from starlette.routing import Route

from . import driver, links, webhooks
from .clock import RealClock
from .mutants import Mutation
from .outbox import ProviderHTTP

log = logging.getLogger("reference_platform")


async def short_link(request: Request):
    url = links.resolve(request.app.state.links, request.path_params["code"])
    if url is None:
        return PlainTextResponse("404 Not Found: this link does not exist or has expired.", 404)
    return RedirectResponse(url, 302)


async def not_found(request: Request, exc):
    return JSONResponse({"error": "not_found", "message": f"no route {request.method} {request.url.path}"}, 404)


async def server_error(request: Request, exc):
    """A defect: logged with its traceback; the caller learns only that it happened."""
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"error": "internal", "message": "internal error (see the platform's log)"}, 500)


class _CatchUp:
    """ASGI middleware on a real clock: every request sees the workspaces at the current time."""

    def __init__(self, app, clock: RealClock, workspaces: dict):
        self.app, self.clock, self.workspaces = app, clock, workspaces

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            await self.clock.catch_up(self.workspaces.values())
        await self.app(scope, receive, send)


def create_app(mutant: str | None = None, base_url: str | None = None, real_clock: bool = False,
               clock_start: datetime | None = None) -> Starlette:
    """A fresh platform (no workspaces). `mutant` selects one faulty variant by name. With
    `real_clock` (implied by `clock_start`) its clock is the wall clock (started at `clock_start`
    if given): capabilities say `clock: real` and the driver's clock endpoints refuse to move it."""
    routes = driver.routes + [
        Route("/webhooks/{ws}/{provider}/{kind}", webhooks.callback, methods=["POST"]),
        Route("/r/{code}", short_link, methods=["GET"]),
    ]
    http = ProviderHTTP()
    workspaces: dict = {}
    clock = RealClock(clock_start) if real_clock or clock_start else None

    @asynccontextmanager
    async def lifespan(app):
        ticker = asyncio.create_task(clock.run_forever(workspaces)) if clock else None
        yield
        if ticker:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
        await http.aclose()

    app = Starlette(routes=routes, exception_handlers={404: not_found, 500: server_error}, lifespan=lifespan)
    app.state.http = http
    app.state.broken = Mutation(mutant)
    app.state.base_url = base_url.rstrip("/") if base_url else None
    app.state.workspaces = workspaces
    app.state.links = {}
    app.state.real_clock = clock
    if clock:
        app.add_middleware(_CatchUp, clock=clock, workspaces=workspaces)
    return app
