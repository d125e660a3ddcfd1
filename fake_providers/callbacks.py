"""The outbox of callbacks (MO messages and delivery reports) to the platform under test.

Each callback is delivered with httpx.AsyncClient (with aiohttp under `smsproof serve`);
failures are retried by the provider's retry policy on the fakes' clock; every attempt is
journaled (status or error, latency). A callback that cannot be delivered is never dropped
silently: it stays in the outbox, pending or failed, visible through `GET /_smsproof/callbacks`."""
from __future__ import annotations

import asyncio
import bisect
import fnmatch
import itertools
import json
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

import aiohttp
import httpx

from .clock import Clock, iso_millis
from .faults import Faults
from .journal import Journal

Signer = Callable[[bytes, datetime], dict]
# Connections to platforms kept open: httpx keeps 20 by default, so a storm of 50 callbacks in
# flight closed and reopened a connection for most of them (the STOP storm benchmark).
KEEP_ALIVE = httpx.Limits(max_connections=100, max_keepalive_connections=100)


class AiohttpPoster:
    """Posts callbacks with aiohttp: `smsproof serve`'s client (in-process, the outbox keeps
    httpx, which tests and `fake_providers.testing` route through their transports). httpx's
    pool walks every pooled connection, polling each idle socket, on every request, and h11
    parses HTTP in Python: in the STOP storm that was most of the fakes' CPU per reply. The
    same attempt as through httpx: redirects not followed, proxies from the environment,
    `timeout` seconds to connect and for each read."""

    def __init__(self) -> None:
        self._session = None

    async def post(self, url: str, body: bytes, headers: dict,
                   timeout: float) -> tuple[int | None, str | None]:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=KEEP_ALIVE.max_connections,
                                               keepalive_timeout=KEEP_ALIVE.keepalive_expiry),
                trust_env=bool(urllib.request.getproxies()))  # aiohttp reads them per request
        try:
            async with self._session.post(url, data=body, headers=headers, allow_redirects=False,
                                          timeout=aiohttp.ClientTimeout(connect=timeout, sock_read=timeout)) \
                    as response:
                await response.read()
                return response.status, None
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return None, f"{type(exc).__name__}: {exc}".rstrip(": ")

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def is_2xx(status: int) -> bool:
    return 200 <= status < 300


@dataclass(frozen=True)
class RetryPolicy:
    """Which answers acknowledge a callback (`acknowledged`, 2xx unless the provider is stricter),
    which others are retried and after how long (doubling from `first_delay`), and how long one
    attempt may take (`timeout`, seconds) before it counts as failed."""
    first_delay: float
    max_retries: int
    retry_statuses: Callable[[int], bool]
    acknowledged: Callable[[int], bool] = is_2xx
    timeout: float = 10.0

    def delay(self, retry: int) -> float:
        return self.first_delay * 2 ** (retry - 1)

    def retries(self, status: int | None) -> bool:
        return status is None or self.retry_statuses(status)


# Sinch: 5xx and 429 retried, other 4xx not; 5 s, 10 s, 20 s ... last at 81 920 s.
SINCH_RETRY = RetryPolicy(first_delay=5, max_retries=15,
                          retry_statuses=lambda s: s >= 500 or s == 429)


def url_problem(url: str, allowed_hosts: tuple[str, ...] = ()) -> str | None:
    """Why a callback could never be POSTed to `url` (None when it could): not an absolute
    http(s) URL, a port out of range, a control character, or a host outside `allowed_hosts`
    (fnmatch patterns; empty: any host)."""
    try:
        parsed = httpx.URL(url)
        port = parsed.port
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        return f"invalid callback URL {url!r}: {exc}"
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return f"invalid callback URL {url!r}: not an absolute http or https URL"
    if port is not None and not 0 < port < 65536:
        return f"invalid callback URL {url!r}: port {port} out of range"
    if allowed_hosts and not any(fnmatch.fnmatch(parsed.host, p) for p in allowed_hosts):
        return f"callback host {parsed.host!r} is not in the allow-list ({', '.join(allowed_hosts)})"
    return None


@dataclass
class Callback:
    id: str
    provider: str
    account: str
    kind: str  # mo | dlr
    url: str | None
    payload: Any
    policy: RetryPolicy
    signer: Signer | None
    created_at: datetime
    content_type: str = "application/json"
    state: str = "pending"  # pending | delivered | failed
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    body: bytes = field(default=b"", repr=False)

    def to_dict(self) -> dict:
        return {"id": self.id, "provider": self.provider, "account": self.account,
                "kind": self.kind, "url": self.url, "state": self.state,
                "attempts": self.attempts, "status": self.last_status, "error": self.last_error,
                "next_attempt_at": self.next_attempt_at and iso_millis(self.next_attempt_at),
                "created_at": iso_millis(self.created_at), "payload": self.payload}


class Outbox:
    def __init__(self, clock: Clock, journal: Journal, faults: Faults,
                 client_factory: Callable[[], httpx.AsyncClient] | None = None) -> None:
        self.clock, self.journal, self.faults = clock, journal, faults
        self._client_factory = client_factory or (lambda: httpx.AsyncClient(timeout=10.0, limits=KEEP_ALIVE))
        self._client: httpx.AsyncClient | None = None
        self._callbacks: list[Callback] = []
        self._states: dict[str, int] = {}  # state -> how many callbacks are in it
        self._ids = itertools.count(1)
        self.allowed_hosts: tuple[str, ...] = ()  # `smsproof serve --callback-host`; empty: any
        self.poster: AiohttpPoster | None = None  # set by `smsproof serve`; None: httpx

    def create(self, provider: str, account: str, kind: str, url: str | None, payload: Any,
               policy: RetryPolicy, signer: Signer | None = None,
               encoded: tuple[bytes, str] | None = None) -> Callback:
        """A callback of `payload` as JSON, or as `encoded` (body, content type) where the
        provider sends another format (CM's XML status reports)."""
        callback = Callback(f"cb_{next(self._ids)}", provider, account, kind, url, payload,
                            policy, signer, self.clock.now())
        if encoded is not None:
            callback.body, callback.content_type = encoded
        else:
            callback.body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        if url is None:
            callback.last_error = "no callback URL configured"
        elif (problem := url_problem(url, self.allowed_hosts)) is not None:
            callback.state, callback.last_error = "failed", problem  # never sent, never lost
        self._callbacks.append(callback)
        self._states[callback.state] = self._states.get(callback.state, 0) + 1
        return callback

    async def send(self, callback: Callback) -> Callback:
        """Attempt delivery now; later attempts are scheduled on the clock."""
        if callback.url is None or callback.state != "pending":
            return callback
        struck = list(self.faults.strike(callback.provider, callback.account, "callback"))  # effects combine
        for fault in struck:
            if fault.kind == "latency":
                await asyncio.sleep(fault.latency_ms / 1000)
        kinds = {f.kind for f in struck}
        callback.attempts += 1
        if "drop_callback" in kinds:
            self._move(callback, "failed")
            callback.last_status = None
            callback.last_error, callback.next_attempt_at = "dropped by fault", None
            self._journal(callback, 0.0)
            return callback
        forced = next((f.status for f in struck if f.kind == "status"), None)
        if "drop_connection" in kinds:  # the attempt fails as a dropped connection would
            callback.last_status, latency_ms = None, 0.0
            callback.last_error = "RemoteProtocolError: connection dropped by fault"
        elif forced is not None:
            callback.last_status, callback.last_error, latency_ms = forced, None, 0.0
        else:
            callback.last_status, callback.last_error, latency_ms = await self._post(callback)
        self._settle(callback)
        self._journal(callback, latency_ms)
        if "duplicate_callback" in kinds and callback.state == "delivered":
            callback.attempts += 1
            status, error, latency_ms = await self._post(callback)
            self._journal(callback, latency_ms, status, error)
        return callback

    def list(self, state: str | None = None) -> list[Callback]:
        return [c for c in self._callbacks if state in (None, c.state)]

    def get(self, callback_id: str) -> Callback | None:
        """The callback `cb_<number>` (numbers ascend along the list: a binary search)."""
        number = callback_id[3:]
        if not (callback_id.startswith("cb_") and number.isdigit() and len(number) < 19):
            return None
        position = bisect.bisect_left(self._callbacks, int(number), key=lambda c: int(c.id[3:]))
        found = self._callbacks[position] if position < len(self._callbacks) else None
        return found if found is not None and found.id == callback_id else None

    def count(self, state: str) -> int:
        """How many callbacks are in `state` (kept as they move: no walk over the outbox)."""
        return self._states.get(state, 0)

    def newest(self, state: str | None, limit: int,
               budget: int = 10_000) -> tuple[list[Callback], bool]:
        """Up to `limit` callbacks in `state`, newest first, at most `budget` examined; and
        whether the budget ran out before the oldest."""
        found: list[Callback] = []
        last = max(len(self._callbacks) - budget, 0)
        for position in range(len(self._callbacks) - 1, last - 1, -1):
            callback = self._callbacks[position]
            if state in (None, callback.state):
                found.append(callback)
                if len(found) == limit:
                    return found, False
        return found, last > 0

    def page(self, state: str | None, after: int, limit: int,
             budget: int = 10_000) -> tuple[list[Callback], int | None]:
        """Up to `limit` callbacks numbered above `after` (`cb_<number>`) in `state`, and the
        number to continue after (None at the end); at most `budget` are examined."""
        start = bisect.bisect_right(self._callbacks, after, key=lambda c: int(c.id[3:]))
        found: list[Callback] = []
        for callback in self._callbacks[start:start + budget]:  # a slice: islice walks to start
            if state in (None, callback.state):
                found.append(callback)
                if len(found) == limit:
                    break
        else:
            callback = None
            if start + budget < len(self._callbacks):
                callback = self._callbacks[start + budget - 1]
        more = callback is not None and callback is not self._callbacks[-1]
        return found, int(callback.id[3:]) if more else None

    def reset(self, provider: str | None = None, account: str | None = None) -> None:
        self._callbacks = [c for c in self._callbacks
                           if not (provider is None or (c.provider == provider
                                   and (account is None or c.account == account)))]
        self._states = {}
        for callback in self._callbacks:
            self._states[callback.state] = self._states.get(callback.state, 0) + 1

    def _move(self, callback: Callback, state: str) -> None:
        self._states[callback.state] = self._states.get(callback.state, 0) - 1
        self._states[state] = self._states.get(state, 0) + 1
        callback.state = state

    async def aclose(self) -> None:
        if self.poster is not None:
            await self.poster.aclose()
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _settle(self, callback: Callback) -> None:
        """After an attempt: delivered, failed for good, or a retry scheduled on the clock."""
        status = callback.last_status
        callback.next_attempt_at = None
        if status is not None and callback.policy.acknowledged(status):
            self._move(callback, "delivered")
        elif not callback.policy.retries(status) or callback.attempts > callback.policy.max_retries:
            self._move(callback, "failed")
        else:
            due = self.clock.now() + timedelta(seconds=callback.policy.delay(callback.attempts))
            callback.next_attempt_at = due
            self.clock.call_at(due, lambda: self.send(callback), f"retry {callback.id}",
                               (callback.provider, callback.account))

    async def _post(self, callback: Callback) -> tuple[int | None, str | None, float]:
        headers = {"Content-Type": callback.content_type}
        if callback.signer is not None:
            headers.update(callback.signer(callback.body, self.clock.now()))
        started = time.perf_counter()
        if self.poster is not None:
            status, error = await self.poster.post(callback.url, callback.body, headers,
                                                   callback.policy.timeout)
            return status, error, (time.perf_counter() - started) * 1000
        if self._client is None:
            self._client = self._client_factory()
        try:
            response = await self._client.post(callback.url, content=callback.body,
                                               headers=headers, timeout=callback.policy.timeout)
            status, error = response.status_code, None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            status, error = None, f"{type(exc).__name__}: {exc}".rstrip(": ")
        return status, error, (time.perf_counter() - started) * 1000

    def _journal(self, callback: Callback, latency_ms: float, status: Any = ...,
                 error: Any = ...) -> None:
        self.journal.record(
            callback.provider, callback.account, "callback_attempt", self.clock.now(),
            callback_id=callback.id, callback_kind=callback.kind, url=callback.url,
            status=callback.last_status if status is ... else status,
            error=callback.last_error if error is ... else error,
            latency_ms=round(latency_ms, 3), attempt=callback.attempts,
            next_attempt_at=callback.next_attempt_at and iso_millis(callback.next_attempt_at),
            payload=callback.payload)
