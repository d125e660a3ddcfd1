"""Shared fixtures: the fakes' app on a fresh network, an async client to it, and a tiny
receiving app standing in for the platform under test (callbacks are routed to it in-process)."""
from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fake_providers.app import create_app
from fake_providers.network import Network

T0 = "2026-01-05T10:00:00.000Z"


@dataclass
class Receiver:
    """Records every callback; answers `statuses` in turn (then 200)."""
    statuses: list[int] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        self.received.append({"url": str(request.url), "headers": dict(request.headers),
                              "body": await request.body()})
        status = self.statuses.pop(0) if self.statuses else 200
        return Response(status_code=status)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.handle, methods=["POST"])])

    def bodies(self, path: str | None = None) -> list[bytes]:
        return [r["body"] for r in self.received if path is None or r["url"].endswith(path)]


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def network(receiver: Receiver) -> Network:
    transport = httpx.ASGITransport(receiver.app())
    return Network(client_factory=lambda: httpx.AsyncClient(transport=transport))


@pytest.fixture
def app(network: Network):
    return create_app(network)


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                 base_url="http://fakes.test") as c:
        yield c


@pytest.fixture
async def virtual(client):
    """The fakes on virtual time, at T0."""
    response = await client.post("/_smsproof/clock", json={"mode": "virtual", "now": T0})
    assert response.status_code == 200
    return client


@pytest.fixture(scope="module")
def chromium_browser():
    """Debian's chromium driven by Playwright, one per module (skips, with the reason, without)."""
    import shutil

    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')")
    executable = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
    if executable is None:
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    with sync_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=executable)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium_browser):
    """A laptop-sized page; closed before the servers of the test stop (it holds a live stream)."""
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()
