"""The Starlette application: driver API, provider webhooks and the short-link resolver."""

import logging
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse
from starlette.routing import Route

from . import driver, links, webhooks
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


def create_app(mutant: str | None = None, base_url: str | None = None) -> Starlette:
    """A fresh platform (no workspaces). `mutant` selects one faulty variant by name."""
    routes = driver.routes + [
        Route("/webhooks/{ws}/{provider}/{kind}", webhooks.callback, methods=["POST"]),
        Route("/r/{code}", short_link, methods=["GET"]),
    ]
    http = ProviderHTTP()

    @asynccontextmanager
    async def lifespan(app):
        yield
        await http.aclose()

    app = Starlette(routes=routes, exception_handlers={404: not_found, 500: server_error}, lifespan=lifespan)
    app.state.http = http
    app.state.broken = Mutation(mutant)
    app.state.base_url = base_url.rstrip("/") if base_url else None
    app.state.workspaces = {}
    app.state.links = {}
    return app
