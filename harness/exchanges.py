"""Shared mechanics of the harness's two HTTP clients: JSON calls, clear errors, a transcript.

Every exchange is recorded (method, URL, request and response bodies) so that a failed check can
show, in the report, exactly what was said to the platform and to the fakes.
"""

from __future__ import annotations

import functools
import json
import ssl
import time
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlencode

import urllib3


# One TLS context for every client: building one loads the CA bundle (about 10 ms of CPU), and a
# certification run opens a client per scenario and per worker.
tls_context = functools.cache(ssl.create_default_context)


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
    """A synchronous JSON client of one base URL that records its exchanges.

    On urllib3: a certification makes tens of thousands of calls, and httpx's client spent about
    310 µs of CPU on each, urllib3 about 190 (`python benchmarks/bench_http_clients.py`)."""

    side = "?"
    what = "server"

    def __init__(self, base_url: str, timeout: float = 30.0, transcript: list[Exchange] | None = None):
        self.base_url = base_url.rstrip("/")
        # retries=False: a failure is the verdict's business, not hidden by a retry. urllib3 sets
        # TCP_NODELAY (without it small requests stall ~40 ms on delayed ACKs) and drops a pooled
        # connection the server closed before reusing it.
        self.http = urllib3.PoolManager(maxsize=4, retries=False, timeout=urllib3.Timeout(timeout),
                                        ssl_context=tls_context())
        self.transcript: list[Exchange] = transcript if transcript is not None else []

    def close(self) -> None:
        self.http.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, method: str, url: str, *, body: bytes | None = None, headers: dict | None = None,
             timeout: float | None = None) -> urllib3.BaseHTTPResponse:
        """One call to an absolute URL, redirects not followed; urllib3's errors as they come."""
        return self.http.request(method, url, body=body, headers=headers, redirect=False,
                                 **({"timeout": urllib3.Timeout(timeout)} if timeout else {}))

    def request(self, method: str, path: str, *, json_body: Any = None, params: dict | None = None,
                expect: tuple[int, ...] = (200,)) -> Any:
        """Call, record, and return the decoded body; raise Unreachable or UnexpectedResponse."""
        query = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in (params or {}).items() if v is not None}
        url = self.base_url + path + ("?" + urlencode(query, doseq=True) if query else "")
        content = None if json_body is None else json.dumps(
            json_body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
        started = time.time()
        try:
            response = self.send(method, url, body=content,
                                 headers=None if content is None else {"content-type": "application/json"})
        except urllib3.exceptions.ReadTimeoutError:
            raise Unreachable(f"the {self.what} at {self.base_url} did not answer {method} {path} in time") from None
        except UNREACHABLE as exc:
            raise Unreachable(f"the {self.what} at {self.base_url} is unreachable ({type(exc).__name__}: {exc})") from None
        body = decoded(response)
        exchange = Exchange(self.side, method, url, json_body, response.status, body, started,
                            (time.time() - started) * 1000)
        self.transcript.append(exchange)
        if response.status not in expect:
            raise UnexpectedResponse(exchange, expect)
        return body


# What "nothing answers there" looks like to urllib3: refused, timed out connecting, a bad host,
# scheme or URL, a connection closed without an answer.
UNREACHABLE = (urllib3.exceptions.HTTPError, ValueError)


def decoded(response: urllib3.BaseHTTPResponse) -> Any:
    """JSON when it is JSON, else the text; None for an empty body."""
    if not response.data:
        return None
    try:
        return json.loads(response.data)
    except ValueError:
        return response.data.decode("utf-8", "replace")


def post_raw(client: JsonClient, url: str, *, content: bytes, headers: dict) -> Exchange:
    """POST raw bytes to an absolute URL (a platform webhook), recorded in `client`'s transcript."""
    started = time.time()
    try:
        response = client.send("POST", url, body=content, headers=headers)
    except UNREACHABLE as exc:
        raise Unreachable(f"the {client.what} webhook {url} is unreachable ({type(exc).__name__})") from None
    body = decoded(response)
    exchange = Exchange(client.side, "POST", url, content.decode("utf-8", "replace"), response.status, body,
                        started, (time.time() - started) * 1000)
    client.transcript.append(exchange)
    return exchange


def get_raw(client: JsonClient, url: str) -> Exchange:
    """GET an absolute URL without following redirects (a short link), recorded in `client`'s transcript.

    The recorded response is `{"location": ...}` for a redirect, else the decoded body."""
    started = time.time()
    try:
        response = client.send("GET", url)
    except UNREACHABLE as exc:
        raise Unreachable(f"the {client.what} link {url} is unreachable ({type(exc).__name__})") from None
    if response.status in (301, 302, 303, 307, 308) and "location" in response.headers:
        body = {"location": response.headers["location"]}
    else:
        body = decoded(response)
    exchange = Exchange(client.side, "GET", url, None, response.status, body, started,
                        (time.time() - started) * 1000)
    client.transcript.append(exchange)
    return exchange
