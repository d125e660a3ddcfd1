"""The fakes in-process for Python tests.

`fake_providers_routed()` (context manager) and the `fake_providers` pytest fixture route the real
provider host names (us.sms.api.sinch.com, auth.sinch.com, gw.messaging.cm.com,
api.instasent.com, ...) to the fakes for httpx-based code, through respx; every other host passes
through untouched. The fakes run on their own event loop in a background thread, with the same
network (journal, clock, control API) as in server mode; `fakes.control` is an httpx client to the
control API. `running_server()` serves an app with uvicorn on 127.0.0.1 for clients that are not
httpx-based (the official SDKs use requests).

    pytest_plugins = ["fake_providers.testing"]

    def test_send(fake_providers):
        fake_providers.control.put("/_smsproof/accounts/sinch/SP1", json={"api_token": "T"})
        httpx.post("https://eu.sms.api.sinch.com/xms/v1/SP1/batches", ...)
"""
from __future__ import annotations

import asyncio
import contextlib
import contextvars
import fnmatch
import socket
import threading
import time
from dataclasses import dataclass
from typing import Iterator

import httpx
import pytest
import respx
import uvicorn

from .app import create_app
from .network import Network
from .provider import DROP_HEADER

CONTROL_HOST = "fakes.smsproof"
_in_async_request = contextvars.ContextVar("in_async_request", default=False)


class _Router(respx.MockRouter):
    """Marks async requests, so the side effect answers them without blocking their loop."""

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        token = _in_async_request.set(True)
        try:
            return await super().async_handler(request)
        finally:
            _in_async_request.reset(token)


class _Dropped(Exception):
    """The fake hung up (a drop_connection fault)."""


class _FakesLoop:
    """The app on its own event loop thread (its clock ticking in real time there)."""

    def __init__(self, app) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True,
                                       name="fake-providers")
        self.thread.start()
        self.ticker = asyncio.run_coroutine_threadsafe(self._start_clock(), self.loop).result()
        self.transport = httpx.ASGITransport(self._app_dropping_connections)

    async def _app_dropping_connections(self, scope, receive, send) -> None:
        async def watch(message) -> None:
            if message["type"] == "http.response.start" and any(
                    name == DROP_HEADER.encode() for name, _ in message["headers"]):
                raise _Dropped
            await send(message)
        await self.app(scope, receive, watch)

    async def _start_clock(self) -> asyncio.Task:
        return asyncio.create_task(self.app.state.network.clock.run_forever())

    async def _handle(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self.transport.handle_async_request(request)
        except _Dropped:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.",
                                            request=request) from None
        content = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=content)

    def __call__(self, request: httpx.Request):
        request.read()
        future = asyncio.run_coroutine_threadsafe(self._handle(request), self.loop)
        if _in_async_request.get():
            return asyncio.wrap_future(future)
        return future.result()

    def close(self) -> None:
        async def stop() -> None:
            self.ticker.cancel()
            await self.app.state.network.outbox.aclose()
        asyncio.run_coroutine_threadsafe(stop(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()


@dataclass
class FakeProviders:
    network: Network
    control: httpx.Client  # base URL http://fakes.smsproof (routed to the fakes)
    router: respx.MockRouter


@contextlib.contextmanager
def fake_providers_routed(network: Network | None = None) -> Iterator[FakeProviders]:
    """Route the providers' real host names (and http://fakes.smsproof) to in-process fakes."""
    network = network or Network()
    app = create_app(network)
    fakes = _FakesLoop(app)
    patterns = [p for backend in network.providers.values() for p in backend.hosts]
    router = _Router(assert_all_called=False, assert_all_mocked=False)
    for pattern in [*patterns, CONTROL_HOST]:
        router.route(host__regex=fnmatch.translate(pattern)).mock(side_effect=fakes)
    router.route().pass_through()
    try:
        with router, httpx.Client(base_url=f"http://{CONTROL_HOST}") as control:
            yield FakeProviders(network, control, router)
    finally:
        fakes.close()


@pytest.fixture
def fake_providers() -> Iterator[FakeProviders]:
    """The fakes, in-process, behind the providers' real host names (see the module doc)."""
    with fake_providers_routed() as fakes:
        yield fakes


@contextlib.contextmanager
def running_server(app, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `app` with uvicorn on an ephemeral port of `host` in a thread; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # see server.bind
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
