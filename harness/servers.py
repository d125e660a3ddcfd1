"""Start the fakes and embedded platforms, and resolve `--platform` to something the driver can reach.

ASGI apps run under uvicorn in background threads, bound to 127.0.0.1 on ephemeral ports; the
harness then talks to them over HTTP exactly as it talks to a vendor's platform given by URL.
A platform is `reference` (or any name registered in the entry-point group `smsproof.platforms`)
or an http(s) URL of a running platform: its base URL, where `/driver/v1/capabilities` answers
(a URL given with `/driver/v1` appended is taken as its base URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any, Callable, Iterator

import uvicorn

PLATFORM_GROUP = "smsproof.platforms"
DEFAULT_PLATFORM = "reference"


class PlatformSpecError(ValueError):
    """--platform names nothing usable (unknown entry point, adapter failing to load, bad mutant)."""


class _PromptServer(uvicorn.Server):
    """uvicorn's server, stopped promptly: uvicorn looks at `should_exit` every 0.1 s and then waits
    0.1 s more for connections, about 0.15 s per stop; a selftest stops a platform per mutant (about
    14 s of its run). Here a stop wakes the loop, and connections and tasks are polled every 5 ms."""

    GRACE_SECONDS = 5.0

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):  # on_tick: the Date header, should_exit
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(0.1):
                    await self._wake.wait()

    def stop(self) -> None:
        """From any thread."""
        self.should_exit = True
        loop = getattr(self, "_loop", None)  # none yet: main_loop's first tick sees should_exit
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()  # an idle keep-alive connection closes now, a busy one after its answer
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.GRACE_SECONDS
        while (self.server_state.connections or self.server_state.tasks) and loop.time() < deadline:
            await asyncio.sleep(0.005)
        for task in self.server_state.tasks:
            task.cancel()
        for server in self.servers:
            await server.wait_closed()
        await self.lifespan.shutdown()


class RunningServer:
    """A uvicorn server on 127.0.0.1:<ephemeral> in a daemon thread."""

    def __init__(self, app_factory: Callable[[str], Any], name: str):
        # proto=IPPROTO_TCP so that asyncio sets TCP_NODELAY on accepted connections (else keep-alive
        # responses written in two parts wait ~40 ms for delayed ACKs).
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        try:
            app = app_factory(self.url)
        except BaseException:
            self.socket.close()
            raise
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        self.server = _PromptServer(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]},
                                       name=f"smsproof-{name}", daemon=True)

    def start(self, timeout: float = 15.0) -> "RunningServer":
        self.thread.start()
        for _ in range(int(timeout / 0.01)):
            if self.server.started:
                return self
            if not self.thread.is_alive():
                break
            self.thread.join(0.01)
        self.socket.close()
        raise PlatformSpecError(f"{self.thread.name} did not start (see the log above)")

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(10)
        self.socket.close()


@contextlib.contextmanager
def serve(app_factory: Callable[[str], Any], name: str) -> Iterator[str]:
    """Run the app built by `app_factory(base_url)`; yield its base URL."""
    server = RunningServer(app_factory, name).start()
    try:
        yield server.url
    finally:
        server.stop()


def fakes_app(_base_url: str, clock_start: datetime | None = None):
    """The fakes' app; with `clock_start` their real clock reads that moment now (real-time tests).
    Callbacks go out as under `smsproof serve` (aiohttp: a fraction of httpx's CPU per callback)."""
    from fake_providers.app import create_app
    from fake_providers.callbacks import AiohttpPoster

    app = create_app()
    app.state.network.outbox.poster = AiohttpPoster()
    if clock_start is not None:
        app.state.network.clock.start_real_at(clock_start)
    return app


def registered_platforms() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=PLATFORM_GROUP)}


def load_adapter(name: str):
    """The adapter object registered under `name` (with `name`, `mutants()`, `create_app()`)."""
    registered = registered_platforms()
    if name not in registered:
        known = ", ".join(sorted(registered)) or "none"
        raise PlatformSpecError(f"unknown platform {name!r}: give a URL or one of the registered platforms ({known})")
    try:
        return registered[name].load()
    except Exception as exc:  # a vendor's adapter failing to import is bad input, not a crash
        raise PlatformSpecError(f"platform {name!r} could not be loaded: {type(exc).__name__}: {exc}") from None


DRIVER_PREFIX = "/driver/v1"
CONTROL_PREFIX = "/_smsproof"


def is_url(spec: str) -> bool:
    return spec.startswith(("http://", "https://"))


def variants_of(adapter) -> list:
    """An adapter's conforming variants (other readings that must certify); optional for adapters."""
    return list(getattr(adapter, "variants", lambda: [])())


def base_url(url: str, api_prefix: str) -> str:
    """`url` without a trailing slash and without the API prefix a user may have appended to it."""
    url = url.strip().rstrip("/")
    return url.removesuffix(api_prefix).rstrip("/") if url.endswith(api_prefix) else url


@dataclass(frozen=True)
class PlatformTarget:
    """What `--platform` resolved to: a running URL, or an adapter to embed (with an optional mutant)."""

    spec: str
    url: str | None = None
    adapter: Any = None
    mutant: str | None = None

    @property
    def name(self) -> str:
        return self.spec + (f" (mutant {self.mutant})" if self.mutant else "")


def resolve_platform(spec: str = DEFAULT_PLATFORM, mutant: str | None = None) -> PlatformTarget:
    if is_url(spec):
        if mutant:
            raise PlatformSpecError("--mutant applies to an embedded platform, not to a URL")
        url = base_url(spec, DRIVER_PREFIX)
        return PlatformTarget(url, url=url)  # named by its base URL, as every report shows it
    adapter = load_adapter(spec)
    if mutant is not None:
        known = [m.name for m in adapter.mutants()] + [v.name for v in variants_of(adapter)]
        if mutant not in known:
            raise PlatformSpecError(f"platform {spec!r} has no mutant {mutant!r} (see `smsproof selftest`)")
    return PlatformTarget(spec, adapter=adapter, mutant=mutant)


@contextlib.contextmanager
def running_platform(target: PlatformTarget, **clock) -> Iterator[str]:
    """The platform's base URL: as given, or an embedded server for the adapter's app. `clock`
    (`real_clock=True`, `clock_start=<datetime>`) is passed to adapters that offer a real clock."""
    if target.url:
        yield target.url
        return
    def factory(base_url: str):
        try:
            return target.adapter.create_app(mutant=target.mutant, base_url=base_url, **clock)
        except Exception as exc:  # a vendor's adapter failing is bad input, not a crash
            raise PlatformSpecError(f"platform {target.spec!r} could not create its app: {type(exc).__name__}: {exc}") from None

    with serve(factory, f"platform-{target.spec}") as url:
        yield url


@contextlib.contextmanager
def running_fakes(url: str | None = None, clock_start: datetime | None = None) -> Iterator[str]:
    if url:
        yield base_url(url, CONTROL_PREFIX)
        return
    with serve(lambda base_url: fakes_app(base_url, clock_start), "fakes") as started:
        yield started
