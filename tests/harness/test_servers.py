"""The embedded servers (fakes, platforms) stop promptly, yet as uvicorn would: an answer in flight
is finished and the app's shutdown runs."""

import asyncio
import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from harness import servers


def _app(release: threading.Event, events: list[str]) -> Starlette:
    async def slow(request):
        await asyncio.get_running_loop().run_in_executor(None, release.wait, 10)
        return PlainTextResponse("done")

    @contextlib.asynccontextmanager
    async def lifespan(app):
        events.append("startup")
        yield
        events.append("shutdown")

    return Starlette(routes=[Route("/slow", slow)], lifespan=lifespan)


def test_a_stop_finishes_the_answer_in_flight_and_runs_the_apps_shutdown():
    release, events = threading.Event(), []
    server = servers.RunningServer(lambda _url: _app(release, events), "test").start()
    with ThreadPoolExecutor(2) as pool:
        answer = pool.submit(httpx.get, f"{server.url}/slow", timeout=10)
        while not server.server.server_state.tasks:  # the request is being served
            time.sleep(0.001)
        stopped = pool.submit(server.stop)
        assert not stopped.done()  # waiting for the answer
        release.set()
        assert answer.result().text == "done"
        stopped.result()
    assert not server.thread.is_alive() and events == ["startup", "shutdown"]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/slow", timeout=2)


def test_a_stop_right_after_the_start_ends_the_server():
    release, events = threading.Event(), []
    server = servers.RunningServer(lambda _url: _app(release, events), "test").start()
    server.stop()
    assert not server.thread.is_alive() and events == ["startup", "shutdown"]
