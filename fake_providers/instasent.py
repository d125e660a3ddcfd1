"""Instasent SMS API (the legacy `/sms` surface the official SDK calls, also served under the
Transactional API's `/transactional/v1` prefix), as Instasent's OpenAPI descriptions and
documentation pages describe it (schemas/instasent.json). `Backend` holds the model (tokens,
SMS entities, DLRs, inbound); the route handlers at the end only translate HTTP.

Bearer token per account (the account id is the token). Errors are `{"message": ...}` JSON with
400, 401, 402, 404 and 413 (the errors page: "bodies, when present, are JSON with a `message`";
it shows no 401 body, so the fake keeps the general rule there); validation errors add
`"errors": {field: [messages]}`.

Faithful to the docs (rate-limits, errors and DLR pages of the Transactional API): every
response carries `X-RateLimit-Limit`, `-Remaining` and `-Reset` (Unix time the window ends),
counted for real per token and endpoint in one-minute windows on the fakes' clock against the
account option `rate_limit` (default 1200); past it, 429 with an empty body, as documented (the
official Python SDK then fails in `.json()`: that is how it behaves against the real API).
Account option `no_funds: true` answers sends with 402. The DLR status is any of the documented
vocabulary (DLR_STATUSES), scriptable per number through the handset script's `report_status`;
webhooks time out after 5 s and are retried with exponential backoff (documented), 30 s doubling
8 times (the fake's choice: the docs give no numbers).

Published and followed: the wrappers `{"entity": {...}}` and `{"entities": [...]}` (the
`sms-list` / `sms-create` operations of transactional.openapi.yaml), the webhook payload of the
DLR page (`id`, `clientId`, `status`, `code`, `eventAt` on every call; an inbound also carries
`message`; status words as listed there, `inbound` for a reply as the page's introduction names
it, `stop` for an opt-out reply) and `enqueued` as the status of an SMS not yet sent (the
status filter of Instasent's own n8n node, dev-instasent/n8n-nodes-instasent).

Not published anywhere we could read (searched 2026-11-29: the docs site's pages and OpenAPI
copies, where `ResponseSmsItem` is referenced but its property list is cut off; Instasent's
PHP, Python, Node, Java and Ruby SDKs, which pass bodies through untyped; third-party
integrations), so the fake's choice:

- The entity's fields (newest first in lists): `id` (24 hex digits), `clientId`, `from`, `to`
  (E.164), `text` (as sent to the handset), `status` (`enqueued`, then `sent` when dispatched,
  then the DLR status), `chunks` (segments), `charsCount` (GSM septets or UCS-2 units, what the
  chunking counts), `encoding` (`GSM` | `UCS2`) and `createdAt`. A platform should read only
  `id`, `clientId` and `status` from it: those are the fields the DLR page ties to it.
- Without `allowUnicode: true`, characters outside GSM 03.38 are transliterated (unidecode) and
  what is still not GSM becomes `?`: the message goes as GSM. `clientId` is at most 40 characters
  and unique per token. `from` is at most 11 characters, or a phone number of up to 16.
- Bulk: at most 100 items (413 above); each item is validated on its own; 201 with `entities`
  (accepted) and `errors` (`{"index", "clientId", "errors": {field: [messages]}}`); an empty or
  non-array body is 400.
- Paging: `page` from 1, `per_page` 1..100 (default 1 and 10), read leniently so that the
  official client's `page=1per_page=10` works.
- DLR codes (the page says only that `code` narrows error and failed): `sent` at dispatch,
  then delivered 0, failed 1, expired 2, rejected 3, or failed 4 for a bounce (the number no
  longer exists); `clientId` null when none was given. Inbound: the DLR payload's fields
  (`clientId` null, `code` 0) plus `message`, and `from` and `to` (the fake's addition: the page
  names no sender field, and a reply cannot be handled without one); status `stop` when the
  first word is STOP or BAJA, else `inbound`. Instasent has one webhook per token: DLRs go to
  the account's `dlr_callback_url`, inbound to its `mo_callback_url`, each falling back on the
  other. Any non-2xx is retried after 30 s, doubling, 8 times (about two hours).
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from unidecode import unidecode

from .accounts import Account, OwnedNumber
from .callbacks import Callback, RetryPolicy
from .encoding import SegmentedText, gsm_septets, segment
from .journal import Message
from .phones import to_e164
from .provider import JSONResponse, ProviderBackend, json_body
from .table import ChunkedTable

INSTASENT_RETRY = RetryPolicy(first_delay=30, max_retries=8, retry_statuses=lambda status: True,
                              timeout=5.0)
RATE_LIMIT = 1200  # requests per minute, per token and endpoint (the docs' example header)
RATE_WINDOW = 60
# The DLR status vocabulary of the DLR webhook page, and the code each is reported with.
DLR_STATUSES = {"sent": 0, "accepted": 0, "buffered": 0, "delivered": 0, "error": 5, "failed": 1,
                "expired": 2, "canceled": 6, "rejected": 3, "unknown": 7, "stop": 0}
BULK_LIMIT = 100
MAX_SENDER = 11
MAX_NUMERIC_SENDER = 16
MAX_CLIENT_ID = 40
PER_PAGE = (10, 100)  # default, maximum
PAGE_PARAM = re.compile(r"(?:^|&)page=(\d+)")
PER_PAGE_PARAM = re.compile(r"per_page=(\d+)")
NUMERIC_SENDER = re.compile(r"^\+?[0-9]+$")
STOP_WORDS = ("stop", "baja")
# Handset outcome -> (status, code) of the DLR.
OUTCOME_DLR = {"delivered": ("delivered", 0), "failed": ("failed", 1), "expired": ("expired", 2),
               "rejected": ("rejected", 3), "bounced": ("failed", 4)}
BLANK = "This value should not be blank."


class InstasentError(Exception):
    def __init__(self, status: int, message: str, errors: dict | None = None,
                 headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors, self.headers = status, message, errors, headers

    def body(self) -> dict:
        return {"message": self.message, **({"errors": self.errors} if self.errors else {})}


def dlr_of(outcome) -> tuple[str, int]:
    """(status, code) of the DLR for a handset outcome: its scripted `report_status` when that
    is in the documented vocabulary, else the outcome's mapping (OUTCOME_DLR)."""
    if outcome.report_status in DLR_STATUSES:
        return outcome.report_status, DLR_STATUSES[outcome.report_status]
    return OUTCOME_DLR[outcome.outcome]


def event_time(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ` (Instasent's `eventAt`)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_gsm(text: str) -> str:
    """`text` with every character outside GSM 03.38 transliterated, or `?`."""
    def fold(char: str) -> str:
        if gsm_septets(char) is not None:
            return char
        return "".join(c if gsm_septets(c) is not None else "?" for c in unidecode(char)) or "?"
    return "".join(fold(char) for char in text)


@dataclass
class Sms:
    id: str
    client_id: str | None
    sender: str
    to: str  # E.164
    text: str
    parts: SegmentedText
    message: Message
    status: str = "enqueued"

    def entity(self) -> dict:
        return {"id": self.id, "clientId": self.client_id, "from": self.sender, "to": self.to,
                "text": self.text, "status": self.status, "chunks": self.parts.segment_count,
                "charsCount": self.parts.units, "encoding": self.parts.encoding,
                "createdAt": event_time(self.message.created_at)}


class Backend(ProviderBackend):
    name = "instasent"
    hosts = ("api.instasent.com",)
    retry_policy = INSTASENT_RETRY

    def __init__(self, network) -> None:
        super().__init__(network)
        self._sms: dict[str, ChunkedTable] = {}  # account -> SMS id -> Sms
        self._used_client_ids: dict[str, set[str]] = {}  # kept, not collected from every SMS per send
        self._windows: dict[tuple[str, str], tuple[int, int]] = {}  # (token, endpoint) -> (window, used)

    # -- rate limit -------------------------------------------------------------------------
    def rate_limit(self, account: Account | None, endpoint: str) -> tuple[dict, bool]:
        """The X-RateLimit headers after counting this request, and whether it is within."""
        limit = RATE_LIMIT
        if account is not None:
            configured = account.options.get("rate_limit")
            if isinstance(configured, int) and not isinstance(configured, bool) and configured > 0:
                limit = configured
        now = int(self.network.clock.now().timestamp())
        window = now - now % RATE_WINDOW
        used = 0
        if account is not None:
            start, used = self._windows.get((account.id, endpoint), (window, 0))
            used = (used if start == window else 0) + 1
            self._windows[(account.id, endpoint)] = (window, used)
        headers = {"X-RateLimit-Limit": str(limit),
                   "X-RateLimit-Remaining": str(max(limit - used, 0)),
                   "X-RateLimit-Reset": str(window + RATE_WINDOW)}
        return headers, used <= limit

    # -- authentication ---------------------------------------------------------------------
    @staticmethod
    def bearer(authorization: str | None) -> str | None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return token.strip()

    def authenticate(self, authorization: str | None) -> Account:
        token = self.bearer(authorization)
        account = self.network.accounts.get(self.name, token) if token else None
        if account is None:
            raise InstasentError(401, "Unauthorized: missing, malformed or revoked token",
                                 headers={"WWW-Authenticate": "Bearer"})
        return account

    # -- sending ----------------------------------------------------------------------------
    def validate(self, item: Any, client_ids: set[str]) -> dict:
        """The fields of a valid SMS item; InstasentError(400) with per-field errors otherwise."""
        if not isinstance(item, dict):
            raise InstasentError(400, "Body should be a JSON object")
        errors: dict[str, list[str]] = {}
        sender, to, text = item.get("from"), item.get("to"), item.get("text")
        if not isinstance(sender, str) or not sender.strip():
            errors["from"] = [BLANK]
        elif len(sender) > (MAX_NUMERIC_SENDER if NUMERIC_SENDER.match(sender) else MAX_SENDER):
            errors["from"] = [f"This value is too long. It should have {MAX_SENDER} characters or less."]
        if not isinstance(to, str) or not to.strip():
            errors["to"] = [BLANK]
        elif to_e164(to) is None:
            errors["to"] = ["This value is not a valid phone number."]
        if not isinstance(text, str) or text == "":
            errors["text"] = [BLANK]
        client_id = item.get("clientId")
        if client_id is not None:
            if not isinstance(client_id, str) or len(client_id) > MAX_CLIENT_ID:
                errors["clientId"] = [f"This value should be a string of {MAX_CLIENT_ID} characters or less."]
            elif client_id in client_ids:
                errors["clientId"] = ["This value is already used."]
        unicode = item.get("allowUnicode", False)
        if not isinstance(unicode, bool):
            errors["allowUnicode"] = ["This value should be of type bool."]
        if errors:
            raise InstasentError(400, "Validation failed", errors)
        return {"client_id": client_id, "from": sender, "to": to_e164(to),
                "text": text if unicode else as_gsm(text)}

    def send(self, account: Account, item: Any) -> Sms:
        return self._accept(account, self.validate(item, self._client_ids(account)))

    def bulk(self, account: Account, items: Any) -> dict:
        if not isinstance(items, list) or not items:
            raise InstasentError(400, "Body should be a non-empty JSON array")
        if len(items) > BULK_LIMIT:
            raise InstasentError(413, f"Request Too Large: at most {BULK_LIMIT} SMS per bulk request")
        client_ids, entities, errors = self._client_ids(account), [], []
        for index, item in enumerate(items):
            try:
                fields = self.validate(item, client_ids)
            except InstasentError as exc:
                errors.append({"index": index, "clientId": item.get("clientId") if isinstance(item, dict) else None,
                               "errors": exc.errors or {"item": [exc.message]}})
                continue
            if fields["client_id"] is not None:
                client_ids.add(fields["client_id"])
            entities.append(self._accept(account, fields).entity())
        client_ids.discard("")  # an empty clientId counts as used within its request only
        return {"entities": entities, "errors": errors}

    def _client_ids(self, account: Account) -> set[str]:
        return self._used_client_ids.setdefault(account.id, set())

    def _accept(self, account: Account, fields: dict) -> Sms:
        sms_id = secrets.token_hex(12)
        message = self.record_mt(account.id, fields["from"], fields["to"], fields["text"], sms_id)
        sms = Sms(sms_id, fields["client_id"], fields["from"], fields["to"], fields["text"],
                  segment(fields["text"]), message)
        self._sms.setdefault(account.id, ChunkedTable()).add(sms_id, sms)
        if sms.client_id:
            self._client_ids(account).add(sms.client_id)
        self.network.clock.call_later(0, lambda: self._dispatch(account.id, sms),
                                      f"instasent dispatch {sms_id}", (self.name, account.id))
        return sms

    def find(self, account: Account, sms_id: str) -> Sms:
        sms = self._sms.get(account.id, {}).get(sms_id)
        if sms is None:
            raise InstasentError(404, f"SMS '{sms_id}' not found")
        return sms

    def list_sms(self, account: Account, query: str) -> dict:
        page, per_page = self.paging(query)
        found = self._sms.get(account.id, ChunkedTable()).newest_slice((page - 1) * per_page, per_page)
        return {"entities": [s.entity() for s in found]}

    @staticmethod
    def paging(query: str) -> tuple[int, int]:
        """`page` and `per_page`, also from the official client's `page=1per_page=10`."""
        page, per_page = PAGE_PARAM.search(query), PER_PAGE_PARAM.search(query)
        page = int(page.group(1)) if page else 1
        per_page = int(per_page.group(1)) if per_page else PER_PAGE[0]
        if page < 1 or not 1 <= per_page <= PER_PAGE[1]:
            raise InstasentError(400, f"page must be at least 1 and per_page 1 to {PER_PAGE[1]}")
        return page, per_page

    # -- delivery ---------------------------------------------------------------------------
    async def _dispatch(self, account: str, sms: Sms) -> None:
        sms.status = "sent"
        self.set_status(sms.message, "Dispatched")
        self.schedule_outcome(sms.message,
                              lambda message, outcome: self._report(account, sms, *dlr_of(outcome)))
        await self._report(account, sms, "sent", 0)

    async def _report(self, account_id: str, sms: Sms, status: str, code: int) -> Callback:
        sms.status = status
        payload = {"id": sms.id, "clientId": sms.client_id, "status": status, "code": code,
                   "eventAt": event_time(self.network.clock.now())}
        account = self.network.accounts.get(self.name, account_id)
        url = account and (account.dlr_callback_url or account.mo_callback_url)
        return await self.emit(account_id, "dlr", url, payload)

    # -- inbound ----------------------------------------------------------------------------
    async def receive(self, account: Account, number: OwnedNumber, sender: str,
                      body: str, details: dict | None = None) -> tuple[Message, Callback]:
        inbound_id = secrets.token_hex(12)
        phone = to_e164(sender) or sender
        first_word = (body.split() or [""])[0].casefold()
        payload = {"id": inbound_id, "clientId": None, "from": phone, "to": number.number,
                   "message": body, "status": "stop" if first_word in STOP_WORDS else "inbound",
                   "code": 0, "eventAt": event_time(self.network.clock.now())}
        message = self.record_mo(account.id, phone, number.number, body, inbound_id)
        callback = await self.emit(account.id, "mo", account.mo_callback_url or account.dlr_callback_url,
                                   payload)
        return message, callback

    # -- plug-in interface ------------------------------------------------------------------
    def account_of(self, request: Request, body: bytes) -> str | None:
        token = self.bearer(request.headers.get("authorization"))
        return token if token and self.network.accounts.get(self.name, token) else None

    def error_response(self, status: int, message: str, headers: dict | None = None) -> Response:
        headers = dict(headers or {})
        if status == 429:  # documented: empty body, retry at X-RateLimit-Reset
            wait = int(headers.get("Retry-After", 1))
            headers["X-RateLimit-Reset"] = str(int(self.network.clock.now().timestamp()) + wait)
            return Response(status_code=429, headers=headers)
        return JSONResponse({"message": message}, status, headers)

    def reset(self, account: str | None = None) -> None:
        if account is None:
            self._sms.clear()
            self._used_client_ids.clear()
            self._windows.clear()
        else:
            self._sms.pop(account, None)
            self._used_client_ids.pop(account, None)
            self._windows = {k: v for k, v in self._windows.items() if k[0] != account}

    def forget(self, messages: list[Message]) -> None:
        for message in messages:
            if message.provider == self.name and message.direction == "mt":
                sms = self._sms.get(message.account, ChunkedTable()).pop(message.provider_message_id)
                if sms is not None and sms.client_id:
                    self._used_client_ids[message.account].discard(sms.client_id)

    def demo_account(self) -> tuple[str, dict]:
        return "demo-instasent-token", {
            "numbers": [{"number": "+34911234567", "type": "long_code"},
                        {"number": "217021", "type": "short_code"}]}

    def sdk_settings(self, base_url: str, account: str, settings: dict) -> list[str]:
        return [f'client = instasent.Client("{account}"); client.secureChannel = "{base_url}/"',
                f'# Transactional API over HTTP: POST {base_url}/transactional/v1/sms  '
                f'(Authorization: Bearer {account})']

    def routes(self) -> list[BaseRoute]:
        return instasent_routes(self)


# -- HTTP --------------------------------------------------------------------------------------
def instasent_routes(backend: Backend) -> list[BaseRoute]:
    def api(name: str, action, status: int = 200, takes_json: bool = False):
        async def handler(request: Request) -> Response:
            account = backend.network.accounts.get(
                backend.name, backend.bearer(request.headers.get("authorization")) or "")
            limits, within = backend.rate_limit(account, name)
            if not within:
                return Response(status_code=429, headers=limits)
            response = await respond(request)
            response.headers.update(limits)
            return response

        async def respond(request: Request) -> Response:
            try:
                account = backend.authenticate(request.headers.get("authorization"))
                if takes_json and account.options.get("no_funds") is True:
                    raise InstasentError(402, "Payment Required: not enough balance to send")
                body = None
                if takes_json:
                    try:
                        body = await json_body(request)
                    except (ValueError, UnicodeDecodeError):
                        raise InstasentError(400, "Problems parsing JSON") from None
                data = action(request, account, body)
            except InstasentError as exc:
                return JSONResponse(exc.body(), exc.status, exc.headers)
            return JSONResponse(data, status)
        return backend.endpoint(name, handler)

    send = api("send", lambda request, account, body: {"entity": backend.send(account, body).entity()},
               201, takes_json=True)
    bulk = api("bulk", lambda request, account, body: backend.bulk(account, body), 201, takes_json=True)
    listing = api("list", lambda request, account, body: backend.list_sms(account, request.url.query))
    get = api("get", lambda request, account, body: {
        "entity": backend.find(account, request.path_params["sms_id"]).entity()})

    routes: list[BaseRoute] = []
    for prefix in ("", "/transactional/v1"):
        for slash in ("", "/"):
            routes += [Route(f"{prefix}/sms/bulk{slash}", bulk, methods=["POST"]),
                       Route(f"{prefix}/sms{slash}", send, methods=["POST"]),
                       Route(f"{prefix}/sms{slash}", listing, methods=["GET"]),
                       Route(f"{prefix}/sms/{{sms_id}}{slash}", get, methods=["GET"])]
    return routes
