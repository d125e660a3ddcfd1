"""Sinch SMS REST API ("XMS"), service-plan flavour (Bearer API token per service plan) and project
flavour (OAuth2 client credentials at /oauth2/token), as Sinch's API description describes it
(schemas/sinch.json). `Backend` holds the model (batches, recipients, delivery reports,
inbounds); the route handlers at the end only translate HTTP. The records themselves are in
sinch_batches.py, the send request is checked in sinch_requests.py, delivery reports are made in
sinch_reports.py, the listings' indexes kept in sinch_tables.py, groups live in sinch_groups.py.

Faithful to the API description (OpenAPI 3.0 copy in ballerina-platform/openapi-connectors,
payload fixtures of sinch/sinch-sdk-java; schemas/sinch.json): phone numbers in every field in
E.164 with `+` (the description's `msisdn` format; short codes and alphanumeric senders as they
are); `from` optional when the account has a default originator (option `default_originator`,
reported as `applied_originator`); `mo_text` and `mo_binary` inbounds with `operator_id`,
`sent_at` and the `client_reference` of the batch the phone answers; report codes from Sinch's
delivery-report code table (OUTCOME_REPORT); `unknown_group` for a group id in `to` that names
no group (groups themselves in sinch_groups.py).

Choices where Sinch's documentation is silent: 401, 404, 415 and 429 bodies use the documented
`{"code", "text"}` shape; which table code stands for which handset outcome (OUTCOME_REPORT);
`Dispatched` is reported unless the account (option `dispatched_reports: false`) or the number
(handset script `dispatched: false`) skips it, as operators do; `operator` in recipient reports
with option `report_operator: true`, `encoding` with option `smart_encoding: true`.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .accounts import Account, OwnedNumber
from .callbacks import SINCH_RETRY, Callback
from .clock import iso_millis, parse_iso
from .encoding import GSM, SegmentedText, segment
from .handsets import Outcome, operator_of
from .ids import new_ulid
from .journal import Message
from .phones import same_number
from .provider import JSONResponse, ProviderBackend, json_body
from .sinch_batches import VALIDITY, Batch, Inbound, Recipient
from .sinch_groups import Groups, group_routes
from .sinch_reports import DeliveryReports
from .sinch_tables import NO_BATCHES, NO_INBOUNDS, BatchTable, InboundTable
from .sinch_requests import SinchError, constraint, invalid_format, msisdn, personalise, validate

# Handset outcome -> (status, code) of the recipient delivery report. Codes from Sinch's
# "Delivery report error codes" table (the SDKs' DeliveryReceiptStatusCode enum): 0 delivered,
# 404 temporary delivery failure, 406 expiry, 408 reject by the SMSC, 402 unroutable (the
# number no longer exists: a bounce; retrying gives the same error).
OUTCOME_REPORT = {"delivered": ("Delivered", 0), "failed": ("Failed", 404),
                  "expired": ("Expired", 406), "rejected": ("Rejected", 408),
                  "bounced": ("Failed", 402)}
TOKEN_LIFETIME = 3600
STATUS_CODES = {400: "syntax_error", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 415: "unsupported_media_type",
                429: "too_many_requests", 500: "internal_error", 503: "service_unavailable"}


def sign(secret: str, body: bytes, nonce: str, timestamp: str) -> str:
    """`X-Sinch-Webhook-Signature`: base64 HMAC-SHA256 of `{body}.{nonce}.{timestamp}` (as the
    sinch SDK's `validate_authentication_header` verifies it)."""
    signed = body + f".{nonce}.{timestamp}".encode()
    return base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()


class Backend(DeliveryReports, ProviderBackend):
    name = "sinch"
    hosts = ("*.sms.api.sinch.com", "auth.sinch.com", "api.clxcommunications.com")
    retry_policy = SINCH_RETRY

    def __init__(self, network) -> None:
        super().__init__(network)
        self.groups = Groups(network.clock)
        self._batches: dict[str, BatchTable] = {}  # account -> batch id -> Batch
        self._inbounds: dict[str, InboundTable] = {}  # account -> inbound id -> Inbound
        self._tokens: dict[str, tuple[str, datetime]] = {}  # access token -> (account, expiry)

    # -- authentication ---------------------------------------------------------------------
    def authenticate(self, account_id: str, authorization: str | None) -> Account:
        account = self.network.accounts.get(self.name, account_id)
        scheme, _, token = (authorization or "").partition(" ")
        if account is None or scheme.lower() != "bearer" or not token:
            raise SinchError(401, "unauthorized", "Invalid authentication credentials",
                             {"WWW-Authenticate": "Bearer"})
        if account.api_token is not None and hmac.compare_digest(token, account.api_token):
            return account
        issued = self._tokens.get(token)
        if issued and issued[0] == account_id:
            if issued[1] <= self.network.clock.now():
                raise SinchError(401, "unauthorized", "The access token expired",
                                 {"WWW-Authenticate": 'Bearer error="invalid_token", '
                                                     'error_description="The access token expired"'})
            return account
        raise SinchError(401, "unauthorized", "Invalid authentication credentials",
                         {"WWW-Authenticate": "Bearer"})

    def issue_token(self, authorization: str | None, grant_type: str | None) -> dict:
        key_id, key_secret = self._basic_credentials(authorization)
        account = next((a for a in self.network.accounts.all(self.name)
                        if a.key_id and a.key_id == key_id
                        and hmac.compare_digest(a.key_secret or "", key_secret)), None)
        if account is None:
            raise SinchError(401, "invalid_client", "Client authentication failed")
        if grant_type != "client_credentials":
            raise SinchError(400, "unsupported_grant_type",
                             "The authorization grant type is not supported")
        token = secrets.token_urlsafe(32)
        expiry = self.network.clock.now() + timedelta(seconds=TOKEN_LIFETIME)
        self._tokens[token] = (account.id, expiry)
        return {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME,
                "scope": ""}

    # -- batches ----------------------------------------------------------------------------
    def send(self, account: Account, body: Any) -> Batch:
        batch = self._build(account, body)
        self._batch_table(account.id).add(batch.id, batch)  # a new id
        return batch

    def _build(self, account: Account, body: Any, batch_id: str | None = None,
               created_at: datetime | None = None) -> Batch:
        """A validated batch with its recipients journaled and its dispatch scheduled."""
        request = validate(body, account, self.groups)
        now = self.network.clock.now()
        send_at = request.pop("send_at", None)
        start = max(send_at or now, now)
        expire_at = request.pop("expire_at", None) or start + VALIDITY
        if expire_at <= start or expire_at > start + VALIDITY:
            raise constraint("The value of parameter 'expire_at' is invalid; it must be after "
                             "send_at and at most 3 days after it")
        batch = Batch(batch_id or new_ulid(), account.id, request, created_at or now, now,
                      expire_at, send_at)
        self._add_recipients(batch, request)
        batch.dispatch_event = self.network.clock.call_at(
            start, lambda: self._dispatch(batch), f"sinch dispatch {batch.id}",
            (self.name, account.id))
        return batch

    def _batch_table(self, account: str) -> BatchTable:
        table = self._batches.get(account)
        if table is None:
            table = self._batches[account] = BatchTable()
        return table

    def _report_changed(self, batch: Batch, recipient: Recipient, status: str, code: int,
                        place: int | None = None) -> None:
        """Keep the reports' index right after `recipient`'s report left `status` / `code`."""
        self._batches.get(batch.account, NO_BATCHES).report_changed(batch, recipient, status, code, place)

    def _add_recipients(self, batch: Batch, request: dict) -> None:
        account = self.network.accounts.get(self.name, batch.account)
        sender = batch.sender or (account.options.get("default_originator")
                                  if account else None) or ""
        # each number once, and the parsed string itself when it already is E.164
        numbers = [t if (e164 := msisdn(t)) == t else e164 for t in request["to"]]
        recipients = []
        maximum = request.get("max_number_of_message_parts")
        for number in dict.fromkeys(numbers):
            text = personalise(request, number)
            shown = text if text is not None else batch.body
            # a binary message (<= 140 bytes with its UDH, checked by validate) is one part
            parts = (segment(shown) if batch.type == "mt_text"
                     else SegmentedText("BINARY", len(base64.b64decode(shown)), (shown,)))
            now = batch.modified_at  # the build time: one datetime for a batch and its messages
            recipient = Recipient(
                id=new_ulid(), provider=self.name, account=batch.account, direction="mt",
                sender=sender, recipient=number, body=shown, encoding=parts.encoding,
                segment_count=parts.segment_count, status="Queued", created_at=now,
                status_at=now, provider_message_id=batch.id, batch_id=batch.id,
                at=batch.created_at)
            self.network.journal.add_message(recipient)  # as record_mt, as a Recipient
            if text is None:
                self._abort(recipient, 405)
            elif maximum is not None and parts.segment_count > maximum:
                self._abort(recipient, 411)
            recipients.append(recipient)
        batch.set_recipients(numbers, recipients)

    def _abort(self, recipient: Recipient, code: int) -> None:
        recipient.report_status, recipient.code = "Aborted", code
        recipient.at = self.network.clock.now()
        self.set_status(recipient, "Aborted")

    def find(self, account: Account, batch_id: str) -> Batch:
        batch = self._batches.get(account.id, NO_BATCHES).get(batch_id)
        if batch is None:
            raise SinchError(404, "not_found", f"Batch '{batch_id}' was not found")
        return batch

    def list_batches(self, account: Account, query: dict) -> dict:
        page, page_size = self._paging(query)
        start, end = self._window(query)
        senders = [s for s in (query.get("from") or "").split(",") if s]
        count, items = self._batches.get(account.id, NO_BATCHES).batches_page(
            start, end, senders, query.get("client_reference"), page * page_size, page_size)
        return {"count": count, "page": page, "page_size": len(items),
                "batches": [b.to_dict() for b in items]}

    def update(self, account: Account, batch_id: str, body: Any) -> Batch:
        batch = self.find(account, batch_id)
        self._ensure_not_dispatched(batch)
        if not isinstance(body, dict):
            raise SinchError(400, "syntax_invalid_json", "The JSON input is invalid; expected an object")
        for name in ("to_add", "to_remove"):
            if not isinstance(body.get(name, []), list):
                raise invalid_format(name, body[name], "is not a list of MSISDNs")
            for i, number in enumerate(body.get(name, [])):
                if not isinstance(number, str):
                    raise invalid_format(f"{name}[{i}]", number, "is not a valid MSISDN or group ID.")
        merged = {**batch.request(), **{k: v for k, v in body.items() if k not in ("to_add", "to_remove")}}
        merged["to"] = [t for t in batch.numbers() if not any(
            same_number(t, r) for r in body.get("to_remove") or [])] + list(body.get("to_add") or [])
        if batch.send_at is not None and "send_at" not in body:
            merged["send_at"] = iso_millis(batch.send_at)
        if "expire_at" not in body:
            merged["expire_at"] = iso_millis(batch.expire_at)
        return self._rebuild(account, batch, merged)

    def replace(self, account: Account, batch_id: str, body: Any) -> Batch:
        batch = self.find(account, batch_id)
        self._ensure_not_dispatched(batch)
        return self._rebuild(account, batch, body)

    def _rebuild(self, account: Account, batch: Batch, body: Any) -> Batch:
        """Replace a batch not yet dispatched by a new one under the same id."""
        fresh = self._build(account, body, batch.id, batch.created_at)
        batch.dispatch_event.cancel()
        self.network.journal.remove_messages(list(batch.recipients))
        self._batches[account.id][batch.id] = fresh
        return fresh

    def _ensure_not_dispatched(self, batch: Batch) -> None:
        if batch.dispatched or batch.canceled:
            raise SinchError(403, "batch_already_dispatched",
                             f"Batch '{batch.id}' has already been dispatched")

    def cancel(self, account: Account, batch_id: str) -> Batch:
        batch = self.find(account, batch_id)
        if not batch.canceled:
            batch.canceled, batch.modified_at = True, self.network.clock.now()
            cancelled = [r for r in batch.recipients if r.report_status == "Queued"]
            for recipient in cancelled:
                code = recipient.code
                self._abort(recipient, 407)
                self._report_changed(batch, recipient, "Queued", code)
            self.network.clock.call_at(self.network.clock.now(),
                                       lambda: self._report_all(batch, cancelled),
                                       f"sinch cancel {batch.id}", (self.name, account.id))
        return batch

    def dry_run(self, account: Account, body: Any, query: dict) -> dict:
        request = validate(body, account, self.groups)
        per_recipient = (query.get("per_recipient") or "false").lower() == "true"
        try:
            limit = min(int(query.get("number_of_recipients") or 100), 1000)
        except ValueError:
            raise invalid_format("number_of_recipients", query["number_of_recipients"], "is not a number") from None
        details, messages = [], 0
        for number in dict.fromkeys(msisdn(t) for t in request["to"]):
            text = personalise(request, number)
            parts = segment(text if text is not None else request["body"])
            messages += parts.segment_count
            details.append({"recipient": number, "number_of_parts": parts.segment_count,
                            "body": text if text is not None else request["body"],
                            "encoding": "GSM" if parts.encoding == GSM else "UNICODE"})
        result: dict = {"number_of_recipients": len(details), "number_of_messages": messages}
        if per_recipient:
            result["per_recipient"] = details[:limit]
        return result

    # -- delivery -----------------------------------------------------------------------------
    async def _dispatch(self, batch: Batch) -> None:
        if batch.canceled or batch.dispatched:
            return
        batch.dispatched = True
        batch.dispatch_event = None  # fired: nothing left to cancel (it held a closure per batch)
        now = self.network.clock.now()
        account = self.network.accounts.get(self.name, batch.account)
        reported = account is None or account.options.get("dispatched_reports", True) is not False
        for place, recipient in enumerate(batch.recipients):
            if recipient.report_status != "Queued":
                continue
            self.set_status(recipient, "Dispatched")
            if reported and self.network.handsets.outcome_for(recipient.msisdn).dispatched:
                code = recipient.code
                recipient.report_status, recipient.code, recipient.at = "Dispatched", 401, now
                self._report_changed(batch, recipient, "Queued", code, place)
            else:  # the operator never acknowledged the dispatch: Queued until the final status
                recipient.skip_dispatched = True
            self.schedule_outcome(recipient,
                                  lambda message, outcome: self._arrive(batch, message, outcome))
        await self._report_all(batch, [r for r in batch.recipients if not r.skip_dispatched])

    async def _arrive(self, batch: Batch, recipient: Recipient, outcome: Outcome) -> None:
        now = recipient.status_at  # just set to the arrival time: one datetime kept, not three
        if now > batch.expire_at:  # the handset answered too late: the message expired
            outcome = Outcome("expired")
            self.set_status(recipient, "Expired")
        status, code = recipient.report_status, recipient.code
        recipient.report_status, recipient.code = OUTCOME_REPORT[outcome.outcome]
        self._report_changed(batch, recipient, status, code)
        recipient.at = recipient.operator_status_at = now
        await self._report_all(batch, [recipient])

    async def _report_all(self, batch: Batch, changed: list[Recipient]) -> None:
        """Delivery-report callbacks for recipients whose status just changed, by the batch's mode."""
        mode = batch.delivery_report
        if mode in ("per_recipient", "per_recipient_final"):
            for recipient in changed:
                if mode == "per_recipient" or recipient.final:
                    await self._emit_dlr(batch, self.recipient_report(batch, recipient))
        elif mode in ("summary", "full") and not batch.reported and all(
                r.final for r in batch.recipients):
            batch.reported = True
            await self._emit_dlr(batch, self.batch_report(batch, mode))

    async def _emit_dlr(self, batch: Batch, payload: dict) -> Callback:
        account = self.network.accounts.get(self.name, batch.account)
        url = batch.fields.get("callback_url") or (account and account.dlr_callback_url)
        return await self.emit(batch.account, "dlr", url, payload, self._signer(account))

    def _signer(self, account: Account | None):
        if account is None or not account.webhook_secret:
            return None
        secret = account.webhook_secret

        def signer(body: bytes, now: datetime) -> dict:
            nonce, timestamp = secrets.token_hex(8), str(int(now.timestamp()))
            return {"X-Sinch-Webhook-Signature": sign(secret, body, nonce, timestamp),
                    "X-Sinch-Webhook-Signature-Nonce": nonce,
                    "X-Sinch-Webhook-Signature-Timestamp": timestamp,
                    "X-Sinch-Webhook-Signature-Algorithm": "HmacSHA256"}
        return signer

    def _paging(self, query: dict) -> tuple[int, int]:
        numbers = {}
        for name, default in (("page", 0), ("page_size", 30)):
            try:
                numbers[name] = int(query.get(name) or default)
            except ValueError:
                raise invalid_format(name, query.get(name), "is not a number") from None
        page, page_size = numbers["page"], numbers["page_size"]
        if page < 0:
            raise constraint("The value of parameter 'page' is invalid; it must be 0 or more")
        if not 1 <= page_size <= 100:
            raise constraint("The value of parameter 'page_size' is invalid; it must be 1 to 100")
        return page, page_size

    def _window(self, query: dict) -> tuple[datetime, datetime]:
        now = self.network.clock.now()
        bounds = {"start_date": now - timedelta(days=1), "end_date": now}
        for name in bounds:
            if query.get(name):
                try:
                    bounds[name] = parse_iso(query[name])
                except ValueError:
                    raise invalid_format(name, query[name], "is not a timestamp") from None
        return max(bounds["start_date"], now - timedelta(days=14)), bounds["end_date"]

    # -- inbound ------------------------------------------------------------------------------
    async def receive(self, account: Account, number: OwnedNumber, sender: str,
                      body: str, details: dict | None = None) -> tuple[Message, Callback]:
        """An MO: `mo_text`, or `mo_binary` when `details` has a hex `udh` (then `body` is
        base64, or text that is sent base64-encoded); `sent_at` from `details` or 2 s before
        receipt; `client_reference` of the last batch to that phone that had one."""
        details = details or {}
        inbound_id = new_ulid()
        now = self.network.clock.now()
        payload = {"type": "mo_text", "id": inbound_id, "from": msisdn(sender),
                   "to": msisdn(number.number), "body": body}
        udh = details.get("udh")
        if isinstance(udh, str) and re.fullmatch(r"(?:[0-9A-Fa-f]{2})+", udh):
            try:
                base64.b64decode(body, validate=True)
            except (ValueError, binascii.Error):
                payload["body"] = base64.b64encode(body.encode()).decode()
            payload.update(type="mo_binary", udh=udh.lower())
        sent_at = details.get("sent_at")
        try:
            sent = parse_iso(sent_at) if isinstance(sent_at, str) else now - timedelta(seconds=2)
        except ValueError:
            sent = now - timedelta(seconds=2)
        payload.update(received_at=iso_millis(now), sent_at=iso_millis(sent))
        if operator_of(sender):
            payload["operator_id"] = operator_of(sender)
        reference = self._last_reference(account, sender)
        if reference is not None:
            payload["client_reference"] = reference
        if payload["type"] == "mo_text":
            self.groups.keyword_mo(account, number.number, sender, body)
        inbounds = self._inbounds.get(account.id)
        if inbounds is None:
            inbounds = self._inbounds[account.id] = InboundTable()
        inbounds.add(inbound_id, Inbound(payload, now))
        message = self.record_mo(account.id, payload["from"], payload["to"], body, inbound_id)
        callback = await self.emit(account.id, "mo", account.mo_callback_url, payload,
                                   self._signer(account))
        return message, callback

    def _last_reference(self, account: Account, phone: str) -> str | None:
        return self._batches.get(account.id, NO_BATCHES).last_reference(phone)

    def list_inbounds(self, account: Account, query: dict) -> dict:
        page, page_size = self._paging(query)
        start, end = self._window(query)
        numbers = [n for n in (query.get("to") or "").split(",") if n]
        count, found = self._inbounds.get(account.id, NO_INBOUNDS).inbounds_page(
            start, end, numbers, query.get("client_reference"), page * page_size, page_size)
        items = [i.payload for i in found]
        return {"page": page, "page_size": len(items), "count": count, "inbounds": items}

    def get_inbound(self, account: Account, inbound_id: str) -> dict:
        inbound = self._inbounds.get(account.id, NO_INBOUNDS).get(inbound_id)
        if inbound is None:
            raise SinchError(404, "not_found", f"Inbound '{inbound_id}' was not found")
        return inbound.payload

    # -- plug-in interface --------------------------------------------------------------------
    def account_of(self, request: Request, body: bytes) -> str | None:
        if "service_plan_id" in request.path_params:
            return request.path_params["service_plan_id"]
        key_id = self._basic_credentials(request.headers.get("authorization"))[0]
        return next((a.id for a in self.network.accounts.all(self.name) if a.key_id == key_id), None)

    @staticmethod
    def _basic_credentials(authorization: str | None) -> tuple[str, str]:
        scheme, _, encoded = (authorization or "").partition(" ")
        if scheme.lower() != "basic":
            return "", ""
        try:
            key_id, _, key_secret = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        return key_id, key_secret

    def error_response(self, status: int, message: str, headers: dict | None = None) -> Response:
        return JSONResponse({"code": STATUS_CODES.get(status, "error"), "text": message},
                            status, headers)

    def invalid_json_response(self, message: str) -> Response:
        return JSONResponse({"code": "syntax_invalid_json", "text": message}, 400)

    def reset(self, account: str | None = None) -> None:
        if account is None:
            self._batches.clear()
            self._inbounds.clear()
        else:
            self._batches.pop(account, None)
            self._inbounds.pop(account, None)
        self.groups.reset(account)

    def forget(self, messages: list[Message]) -> None:
        for message in messages:
            if message.provider != self.name:
                continue
            if message.direction == "mt":
                self._batches.get(message.account, NO_BATCHES).pop(message.batch_id, None)
            else:
                self._inbounds.get(message.account, NO_INBOUNDS).pop(message.id, None)

    def demo_account(self) -> tuple[str, dict]:
        return "demo-service-plan", {
            "api_token": "demo-token", "key_id": "demo-key-id", "key_secret": "demo-key-secret",
            "numbers": [{"number": "+4915112348765", "type": "long_code"},
                        {"number": "11221", "type": "short_code"},
                        {"number": "11222", "type": "shared_short_code", "keywords": ["demo"]}]}

    def sdk_settings(self, base_url: str, account: str, settings: dict) -> list[str]:
        return [
            f'client = SinchClient(service_plan_id="{account}", sms_api_token="{settings["api_token"]}", sms_region="us")',
            f'client.configuration.sms_origin_with_service_plan_id = "{base_url}"',
            f'# OAuth: SinchClient(project_id="{account}", key_id="{settings["key_id"]}", key_secret="{settings["key_secret"]}")',
            f'#        client.configuration.sms_origin = client.configuration.auth_origin = "{base_url}"',
            f'clx.xms.Client("{account}", "{settings["api_token"]}", endpoint="{base_url}/xms")',
        ]

    def routes(self) -> list[BaseRoute]:
        return sinch_routes(self)


# -- HTTP --------------------------------------------------------------------------------------
def sinch_routes(backend: Backend) -> list[BaseRoute]:
    def api(name: str, action, needs_json: bool = False):
        """A handler: authenticate, parse JSON when the endpoint takes a body, call `action`."""
        async def handler(request: Request) -> Response:
            try:
                account = backend.authenticate(request.path_params["service_plan_id"],
                                               request.headers.get("authorization"))
                body = None
                if needs_json:
                    if "json" not in request.headers.get("content-type", "").lower():
                        raise SinchError(415, "unsupported_media_type",
                                         "Content-Type must be application/json")
                    try:
                        body = await json_body(request)
                    except ValueError as exc:
                        raise SinchError(400, "syntax_invalid_json",
                                         f"The JSON input is invalid: {exc}") from None
                status, data = await action(request, account, body)
            except SinchError as exc:
                return JSONResponse({"code": exc.code, "text": exc.text}, exc.status, exc.headers)
            return JSONResponse(data, status) if data is not None else Response(status_code=status)
        return backend.endpoint(name, handler)

    def params(request: Request) -> dict:
        return dict(request.query_params)

    async def send(request, account, body):
        return 201, backend.send(account, body).to_dict()

    async def list_batches(request, account, body):
        return 200, backend.list_batches(account, params(request))

    async def get(request, account, body):
        return 200, backend.find(account, request.path_params["batch_id"]).to_dict()

    async def update(request, account, body):
        return 200, backend.update(account, request.path_params["batch_id"], body).to_dict()

    async def replace(request, account, body):
        return 200, backend.replace(account, request.path_params["batch_id"], body).to_dict()

    async def cancel(request, account, body):
        return 200, backend.cancel(account, request.path_params["batch_id"]).to_dict()

    async def dry_run(request, account, body):
        return 200, backend.dry_run(account, body, params(request))

    async def feedback(request, account, body):
        backend.find(account, request.path_params["batch_id"])
        return 202, None

    async def batch_report(request, account, body):
        return 200, backend.get_batch_report(account, request.path_params["batch_id"], params(request))

    async def recipient_report(request, account, body):
        return 200, backend.get_recipient_report(account, request.path_params["batch_id"],
                                                 request.path_params["msisdn"])

    async def reports(request, account, body):
        return 200, backend.list_reports(account, params(request))

    async def inbounds(request, account, body):
        return 200, backend.list_inbounds(account, params(request))

    async def inbound(request, account, body):
        return 200, backend.get_inbound(account, request.path_params["inbound_id"])

    async def token(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        try:
            data = backend.issue_token(request.headers.get("authorization"),
                                       (form.get("grant_type") or [None])[0])
        except SinchError as exc:
            return JSONResponse({"error": exc.code, "error_description": exc.text}, exc.status)
        return JSONResponse(data)

    async def unknown(request: Request) -> Response:
        return backend.error_response(404, f"No such resource: {request.url.path}")

    base = "/xms/v1/{service_plan_id}"
    return [
        Route("/oauth2/token", backend.endpoint("oauth_token", token), methods=["POST"]),
        Route(f"{base}/batches", api("send", send, True), methods=["POST"]),
        Route(f"{base}/batches", api("list", list_batches), methods=["GET"]),
        Route(f"{base}/batches/dry_run", api("dry_run", dry_run, True), methods=["POST"]),
        Route(f"{base}/batches/{{batch_id}}", api("get", get), methods=["GET"]),
        Route(f"{base}/batches/{{batch_id}}", api("update", update, True), methods=["POST"]),
        Route(f"{base}/batches/{{batch_id}}", api("replace", replace, True), methods=["PUT"]),
        Route(f"{base}/batches/{{batch_id}}", api("cancel", cancel), methods=["DELETE"]),
        Route(f"{base}/batches/{{batch_id}}/delivery_feedback", api("delivery_feedback", feedback, True),
              methods=["POST"]),
        Route(f"{base}/batches/{{batch_id}}/delivery_report", api("delivery_report", batch_report),
              methods=["GET"]),
        Route(f"{base}/batches/{{batch_id}}/delivery_report/{{msisdn}}",
              api("recipient_delivery_report", recipient_report), methods=["GET"]),
        Route(f"{base}/delivery_reports", api("delivery_reports", reports), methods=["GET"]),
        Route(f"{base}/inbounds", api("inbounds", inbounds), methods=["GET"]),
        Route(f"{base}/inbounds/{{inbound_id}}", api("inbound", inbound), methods=["GET"]),
        *group_routes(backend, api, base),
        Route("/xms/{rest:path}", unknown, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
    ]
