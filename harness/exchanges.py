"""Shared mechanics of the harness's two HTTP clients: JSON calls, clear errors, a transcript.

Every exchange is recorded (method, URL, request and response bodies) so that a failed check can
show, in the report, exactly what was said to the platform and to the fakes.
"""

from __future__ import annotations

import functools
import json
import socket
import time
from dataclasses import asdict, dataclass
from typing import Any

import httpx


# One TLS context for every client: building one loads the CA bundle (about 10 ms of CPU), and a
# certification run opens a client per scenario and per worker.
tls_context = functools.cache(httpx.create_ssl_context)


class HarnessHTTPError(Exception):
    """Base of the clients' errors; `str()` is one line fit for the CLI."""


class Unreachable(HarnessHTTPError):
    """Nothing answers at the base URL (refused, timed out, bad host)."""


class UnexpectedResponse(HarnessHTTPError):
    """The server answered with a status the call does not accept."""

    def __init__(self, exchange: "Exchange", expected: tuple[int, ...]):
        self.exchange, self.status, self.body = exchange, exchange.status, exchange.response
        super().__init__(
            f"{exchange.method} {exchange.url} answered {exchange.status}, expected "
            f"{'/'.join(map(str, expected))}: {_short(exchange.response)}"
        )


@dataclass
class Exchange:
    side: str  # "platform" | "fakes"
    method: str
    url: str
    request: Any
    status: int | None
    response: Any
    at: float  # wall-clock seconds, to order exchanges in the report timeline
    elapsed_ms: float

    def to_json(self) -> dict:
        return asdict(self)


def _short(value: Any, limit: int = 300) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class JsonClient:
    """A synchronous JSON client of one base URL that records its exchanges."""

    side = "?"
    what = "server"

    def __init__(self, base_url: str, timeout: float = 30.0, transcript: list[Exchange] | None = None):
        self.base_url = base_url.rstrip("/")
        # TCP_NODELAY: without it small requests stall ~40 ms on delayed ACKs (Nagle).
        transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
                                        verify=tls_context())
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)
        self.transcript: list[Exchange] = transcript if transcript is not None else []

    def close(self) -> None:
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def request(self, method: str, path: str, *, json_body: Any = None, params: dict | None = None,
                expect: tuple[int, ...] = (200,)) -> Any:
        """Call, record, and return the decoded body; raise Unreachable or UnexpectedResponse."""
        params = {k: v for k, v in (params or {}).items() if v is not None}
        started = time.time()
        try:
            response = self.http.request(method, path, json=json_body, params=params or None)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise Unreachable(f"the {self.what} at {self.base_url} is unreachable ({type(exc).__name__}: {exc})") from None
        except httpx.TimeoutException:
            raise Unreachable(f"the {self.what} at {self.base_url} did not answer {method} {path} in time") from None
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = response.text
        exchange = Exchange(self.side, method, str(response.request.url), json_body, response.status_code,
                            body, started, (time.time() - started) * 1000)
        self.transcript.append(exchange)
        if response.status_code not in expect:
            raise UnexpectedResponse(exchange, expect)
        return body


def post_raw(client: JsonClient, url: str, *, content: bytes, headers: dict) -> Exchange:
    """POST raw bytes to an absolute URL (a platform webhook), recorded in `client`'s transcript."""
    started = time.time()
    try:
        response = client.http.post(url, content=content, headers=headers)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.TimeoutException) as exc:
        raise Unreachable(f"the {client.what} webhook {url} is unreachable ({type(exc).__name__})") from None
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = response.text
    exchange = Exchange(client.side, "POST", url, content.decode("utf-8", "replace"), response.status_code, body,
                        started, (time.time() - started) * 1000)
    client.transcript.append(exchange)
    return exchange


def get_raw(client: JsonClient, url: str) -> Exchange:
    """GET an absolute URL without following redirects (a short link), recorded in `client`'s transcript.

    The recorded response is `{"location": ...}` for a redirect, else the decoded body."""
    started = time.time()
    try:
        response = client.http.get(url, follow_redirects=False)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.TimeoutException) as exc:
        raise Unreachable(f"the {client.what} link {url} is unreachable ({type(exc).__name__})") from None
    if response.is_redirect:
        body = {"location": response.headers.get("location")}
    else:
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = response.text
    exchange = Exchange(client.side, "GET", url, None, response.status_code, body, started,
                        (time.time() - started) * 1000)
    client.transcript.append(exchange)
    return exchange
