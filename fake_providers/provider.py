"""The plug-in interface of a provider fake.

A provider module (sinch.py, cm.py, instasent.py) defines a subclass of `ProviderBackend` named
`Backend`: the behaviour model of that provider (validation, message model, delivery reports) plus
`routes()`, its Starlette routes, whose handlers only translate HTTP. `endpoint()` wraps each
handler with what every provider shares: injected faults, the request journal, and the
provider's own error body instead of a traceback. The app mounts every backend at the root,
under `/{name}` and on its real host names.
"""
from __future__ import annotations

import asyncio
import json
import logging
import math
import re
from typing import Any, Awaitable, Callable, ClassVar

from starlette import responses
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from .accounts import Account, OwnedNumber
from .callbacks import Callback, RetryPolicy, Signer
from .encoding import SegmentedText, segment
from .handsets import Outcome
from .ids import new_ulid
from .journal import Message
from .network import Network

log = logging.getLogger("fake_providers")

Handler = Callable[[Request], Awaitable[Response]]
OutcomeHandler = Callable[[Message, Outcome], Awaitable[None]]
# The journal's message status for each handset outcome.
OUTCOME_STATUS = {"delivered": "Delivered", "failed": "Failed", "expired": "Expired",
                  "rejected": "Rejected", "bounced": "Bounced"}
DROP_HEADER = "x-smsproof-dropped-connection"
# Limits of the fakes' own, documented in docs/fake-providers.md: no provider nests its JSON
# deeper than a few levels, and no single request may make the server hold or build unbounded
# state (a request past them is refused with the provider's error body).
MAX_JSON_DEPTH = 64
MAX_BODY_BYTES = 4 * 1024 * 1024
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


PARSED_JSON = "smsproof.json"  # scope key: the body as the hostile-input check parsed it


async def json_body(request: Request) -> Any:
    """The request body's JSON, parsed once: by the endpoint wrapper's hostile-input check when
    it was JSON, else here, raising json's own ValueError as `json.loads` would."""
    try:
        return request.scope[PARSED_JSON]
    except KeyError:
        return json.loads(await request.body())


class HostileJSON(ValueError):
    """A JSON document no provider accepts and no response could echo: nested past
    MAX_JSON_DEPTH, a lone UTF-16 surrogate, a number out of float range, NaN or Infinity."""


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise HostileJSON(f"number out of range: {text[:40]}")
    return value


def _not_json(name: str) -> Any:
    raise HostileJSON(f"{name} is not JSON")


# One decoder for every request (`json.loads` with parse_float builds a decoder per call).
_FINITE_DECODER = json.JSONDecoder(parse_float=_finite, parse_constant=_not_json)


def _loads_finite(raw: bytes | str) -> Any:
    """`json.loads(raw, parse_float=_finite, parse_constant=_not_json)`, step for step."""
    if isinstance(raw, str):
        if raw.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", raw, 0)
        return _FINITE_DECODER.decode(raw)
    return _FINITE_DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))


def parse_json(raw: bytes | str, finite: bool = True) -> Any:
    """`json.loads`, but a HostileJSON (a ValueError) for a document that could not be handled
    safely afterwards (deep recursion, an unencodable string, with `finite` an infinite number
    or NaN); other invalid JSON raises json's own ValueError."""
    try:
        value = _loads_finite(raw) if finite else json.loads(raw)
    except RecursionError:
        raise HostileJSON(f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    # Cheap filters first: depth needs at least as many brackets, a surrogate its escape.
    deep = raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH
    if deep or _SURROGATE_ESCAPE.search(raw):
        _check_tree(value)
    return value


def _check_tree(value: Any) -> None:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise HostileJSON("a string holds a lone UTF-16 surrogate") from None
            continue
        if depth > MAX_JSON_DEPTH and isinstance(node, (dict, list)):
            raise HostileJSON(f"nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(node, dict):
            stack.extend((item, depth + 1) for pair in node.items() for item in pair)
        elif isinstance(node, list):
            stack.extend((item, depth + 1) for item in node)


class JSONResponse(responses.JSONResponse):
    """Starlette's JSONResponse, byte for byte, with one encoder for every response instead of
    a new one per `json.dumps` call with non-default options (a cost on every response)."""

    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode

    def render(self, content: Any) -> bytes:
        return self.encode(content).encode("utf-8")


class DroppedConnection(Response):
    """Starts a response and hangs up before its body: the client sees the connection drop.
    (In-process, `fake_providers.testing` turns the marker header into a transport error.)"""

    def __init__(self) -> None:
        super().__init__(b"", headers={DROP_HEADER: "1"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-length", b"64"), (DROP_HEADER.encode(), b"1")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})


class ProviderBackend:
    name: ClassVar[str]
    hosts: ClassVar[tuple[str, ...]]  # fnmatch patterns of the provider's real host names
    retry_policy: ClassVar[RetryPolicy]

    def __init__(self, network: Network) -> None:
        self.network = network
        network.journal.on_evict.append(self.forget)

    # -- to implement -----------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        raise NotImplementedError

    def account_of(self, request: Request, body: bytes) -> str | None:
        """The account a request acts for, as far as can be told before handling it (scopes
        faults and the journal); None when it names none."""
        return None

    def error_response(self, status: int, message: str,
                       headers: dict[str, str] | None = None) -> Response:
        """The provider's own error body for an HTTP status (used for injected faults)."""
        raise NotImplementedError

    def invalid_json_response(self, message: str) -> Response:
        """The provider's answer to a body it cannot parse (refused before the handler runs)."""
        return self.error_response(400, message)

    async def receive(self, account: Account, number: OwnedNumber, sender: str,
                      body: str, details: dict | None = None) -> tuple[Message, Callback]:
        """A handset sent `body` from `sender` to `number` of `account`: record the MO and
        deliver it to the account's MO callback URL in the provider's format (`details`: the
        provider-specific fields of the inbound, as the control API received them)."""
        raise NotImplementedError

    def reset(self, account: str | None = None) -> None:
        """Forget the provider-side state (batches, messages) of one account or of all."""

    def forget(self, messages: list[Message]) -> None:
        """The journal's retention bound (`serve --max-messages`) evicted `messages`: drop the
        provider-side state (batches, inbounds) kept only for them. By default, keep it."""

    def demo_account(self) -> tuple[str, dict]:
        """(account id, settings) of the demo account the server creates at start."""
        raise NotImplementedError

    def sdk_settings(self, base_url: str, account: str, settings: dict) -> list[str]:
        """Ready-to-paste lines that point the provider's official SDK at `base_url`."""
        return []

    # -- shared -----------------------------------------------------------------------------
    def record_mt(self, account: str, sender: str, recipient: str, body: str,
                  provider_message_id: str, batch_id: str | None = None,
                  status: str = "Queued", parts: SegmentedText | None = None) -> Message:
        """Journal an accepted MT message (encoding and segment count computed here unless
        the provider already segmented the body)."""
        now = self.network.clock.now()
        parts = parts or segment(body)
        return self.network.journal.add_message(Message(
            id=new_ulid(),
            provider=self.name, account=account, direction="mt", sender=sender,
            recipient=recipient, body=body, encoding=parts.encoding,
            segment_count=parts.segment_count, status=status, created_at=now, status_at=now,
            provider_message_id=provider_message_id, batch_id=batch_id))

    def record_mo(self, account: str, sender: str, recipient: str, body: str,
                  provider_message_id: str) -> Message:
        now = self.network.clock.now()
        parts = segment(body)
        return self.network.journal.add_message(Message(
            id=provider_message_id, provider=self.name, account=account, direction="mo",
            sender=sender, recipient=recipient, body=body, encoding=parts.encoding,
            segment_count=parts.segment_count, status="Received", created_at=now,
            status_at=now, provider_message_id=provider_message_id))

    def set_status(self, message: Message, status: str) -> None:
        message.status, message.status_at = status, self.network.clock.now()

    def schedule_outcome(self, message: Message, on_outcome: OutcomeHandler):
        """When the handset's outcome for `message.recipient` comes due on the clock, set the
        journal status and let the provider react (emit its delivery report)."""
        outcome = self.network.handsets.outcome_for(message.recipient)

        async def arrive() -> None:
            if message.status in ("Queued", "Dispatched"):
                self.set_status(message, OUTCOME_STATUS[outcome.outcome])
                await on_outcome(message, outcome)

        return self.network.clock.call_later(outcome.delay_seconds, arrive,
                                             f"{self.name} outcome {message.id}",
                                             (self.name, message.account))

    async def emit(self, account: str, kind: str, url: str | None, payload: Any,
                   signer: Signer | None = None, policy: RetryPolicy | None = None,
                   encoded: tuple[bytes, str] | None = None) -> Callback:
        """Journal an MO or DLR (`kind` "mo" | "dlr") and deliver it with the retry policy
        (`policy` where a provider retries its kinds of callback differently), as JSON or as
        `encoded` (body, content type)."""
        callback = self.network.outbox.create(self.name, account, kind, url, payload,
                                              policy or self.retry_policy, signer, encoded)
        self.network.journal.record(self.name, account, kind, self.network.clock.now(),
                                    callback_id=callback.id, url=url, payload=payload)
        return await self.network.outbox.send(callback)

    def endpoint(self, name: str, handler: Handler) -> Handler:
        """Wrap a route handler: faults of (provider, account, `name`), journal, no traceback."""

        async def wrapped(request: Request) -> Response:
            refused = await self._refuse_hostile(request)
            if refused is not None:
                self._journal_request(request, b"", None, name, refused, "refused")
                return refused
            raw = await request.body()
            account = self.account_of(request, raw)
            retry_after: dict[str, str] = {}
            for fault in self.network.faults.strike(self.name, account, name):
                if fault.kind == "latency":
                    await asyncio.sleep(fault.latency_ms / 1000)
                elif fault.kind == "drop_connection":
                    self._journal_request(request, raw, account, name, None, "connection dropped")
                    return DroppedConnection()
                elif fault.kind == "status":
                    if fault.retry_after is not None:
                        retry_after = {"Retry-After": str(fault.retry_after)}
                    response = self.error_response(fault.status, "Injected fault", retry_after)
                    self._journal_request(request, raw, account, name, response, "fault")
                    return response
            try:
                response = await handler(request)
            except Exception:
                log.exception("%s %s failed", self.name, name)
                response = self.error_response(500, "Internal error")
            self._journal_request(request, raw, account, name, response)
            return response

        wrapped.provider_endpoint = True  # app.ProviderHosts may call it without the router
        return wrapped

    async def _refuse_hostile(self, request: Request) -> Response | None:
        """The provider's error for a request no handler should see: a body past MAX_BODY_BYTES
        (read no further), JSON that could not be handled safely, non-ASCII credentials (they
        can match no token, and comparing them in constant time is undefined)."""
        if not request.headers.get("authorization", "").isascii():
            return self.error_response(401, "Invalid authentication credentials")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return self.error_response(413, f"Request Too Large: at most {MAX_BODY_BYTES} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return self.error_response(413, f"Request Too Large: at most {MAX_BODY_BYTES} bytes")
            chunks.append(chunk)
        raw = request._body = b"".join(chunks)  # what request.body() answers from now on
        if raw:
            try:
                request.scope[PARSED_JSON] = parse_json(raw)
            except HostileJSON as exc:
                return self.invalid_json_response(f"The JSON input is invalid: {exc}")
            except ValueError:
                pass  # not JSON at all: the handler answers it in the provider's own words
        return None

    def _journal_request(self, request: Request, raw: bytes, account: str | None, name: str,
                         response: Response | None, note: str | None = None) -> None:
        entry: dict[str, Any] = {
            "endpoint": name, "method": request.method, "path": request.scope["path"],
            "query": request.scope["query_string"].decode("latin-1"),
            "status": response.status_code if response else None,
            "request_body": (raw, request.headers.get("content-type")),
            "response_body": (getattr(response, "body", b""),
                              response.media_type if response else None),
        }
        if note:
            entry["note"] = note
        self.network.journal.record(self.name, account, "mt_request", self.network.clock.now(),
                                    **entry)
