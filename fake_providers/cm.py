"""CM.com Business Messaging gateway (`POST /v1.0/message`), as CM.com's documentation pages
describe it (schemas/cm.json). `Backend` holds the model (authentication, per-message validation,
sent messages, status reports, incoming messages); the route handler at the end only translates
HTTP.

CM matches JSON keys case-insensitively, so the request is read with every key lower-cased. The
product token comes from the `X-CM-PRODUCTTOKEN` header, else `messages.authentication.producttoken`
(any case). Each `msg` element yields one result per recipient: the request answers 200 when at
least one message was accepted (`errorCode` 0, or 201 when some were rejected) and 400 when none
was or the request itself is wrong (101, 103, 202, 203 with an empty `messages` list).

Choices where CM's documentation is silent:

- A token that names no account: 101 "No account found for the given authentication"; 103 "Invalid
  product token." when it is not even GUID-shaped. Any string names an account if one has that id.
- `minimumNumberOfMessageParts` / `maximumNumberOfMessageParts`: integers 1..8 with min <= max (else
  305); 1 and 8 (the SDK's range) when absent. A recipient whose text needs more parts than the
  maximum is rejected with 304; a text needing fewer parts than the minimum goes as it is.
- `body.type` AUTO or TEXT in any case, parts counted from the content by `encoding.segment` (`dcs`
  0 or 8 is accepted and does not change the count); BINARY bodies and `allowedChannels` without SMS
  are rejected with 305 (the fake simulates SMS text only). `validity` is accepted, not simulated.
- Rejected recipients echo `to` as sent; the rejection of a `msg` without recipients has `to` null.
- Status reports: one POST per message and status, in the JSON template of the "incoming status
  report" page, or its XML template with account option `status_report_format: "xml"`. CM's docs
  give the templates but no values for [STATUS], [STATUSDESCRIPTION] and [STANDARDERRORTEXT]:
  the fake's choice is [STATUS] 0 accepted (when the message is dispatched), 1 rejected,
  2 delivered, 3 failed (failed, expired and bounced told apart by `errorCode` /
  `errorDescription`, see STATUS_REPORT); `received` is the time of the status as
  `yyyy-MM-ddTHH:mm:ss` UTC, `to` the `00` form, `operator` the recipient's MCCMNC when known.
- Incoming messages: the JSON of the "incoming messages" page with `from.number` in `+` form,
  `to.number` the account's number, and `reference` / `groupings` of the account's last message
  to that phone; with account option `mo_format: "legacy"` the flat format of the older SMS-only
  MO webhooks (`reference`, `from`, `to`, `body`, `groupings`).
- Rejections at submission (CM's error codes): account option `rejection` 102 (insufficient
  balance: the whole request, 400 `errorCode` 102) or 401-403 (spam filter, blacklisted
  recipient, rejected: every recipient); a handset script's `rejection` rejects that number only.
- Retries on the fakes' clock: an incoming message is acknowledged only by HTTP 200 (CM retries
  any other answer, 204 included) every 5 minutes for 30 days (the documented "every 5 min, one
  month"); status reports on anything but 2xx every 5 minutes for 7 days.
"""
from __future__ import annotations

import hmac
import json
import re
from xml.sax.saxutils import escape
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .accounts import Account, OwnedNumber
from .callbacks import Callback, RetryPolicy
from .encoding import segment
from .handsets import REJECTIONS, operator_of
from .ids import new_ulid
from .journal import Message
from .listing import IndexedTable
from .phones import number_key, to_e164
from .provider import JSONResponse, ProviderBackend

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
ALPHANUMERIC_SENDER = re.compile(r"^[A-Za-z0-9 ]{1,11}$")
NUMERIC_SENDER = re.compile(r"^\+?[0-9]{1,16}$")
BODY_TYPES = ("auto", "text")
PARTS_RANGE = (1, 8)
MAX_MSG_ELEMENTS = 1000
MAX_RECIPIENTS = 1000
# The fake's own bound (CM documents none beyond 1000 x 1000): one request may not create more
# messages than this, so no request can hold the server for seconds or grow it by gigabytes.
MAX_MESSAGES_PER_REQUEST = 10_000
MAX_REFERENCE = 32
MAX_GROUPING = 100
GROUPINGS = ("customgrouping", "customgrouping2", "customgrouping3")
# Status -> ([STATUS], [STATUSDESCRIPTION], [STANDARDERRORTEXT]) of the status report.
STATUS_REPORT = {"accepted": ("0", "", ""), "delivered": ("2", "", ""),
                 "rejected": ("1", "12", "Rejected by the operator"),
                 "failed": ("3", "5", "Undeliverable"),
                 "expired": ("3", "6", "Message expired before delivery"),
                 "bounced": ("3", "9", "Unknown subscriber")}
REJECTION_DETAILS = {102: "Insufficient balance.", 401: "Message rejected by the spam filter.",
                     402: "The recipient is blacklisted.", 403: "Message rejected."}
# HTTP status of an injected fault -> errorCode of the body.
FAULT_CODES = {400: 202, 401: 101, 403: 101}


class EveryInterval(RetryPolicy):
    """CM retries at a fixed interval rather than doubling."""

    def delay(self, retry: int) -> float:
        return self.first_delay


FIVE_MINUTES = 300
MO_RETRY = EveryInterval(first_delay=FIVE_MINUTES, max_retries=30 * 24 * 12,
                         retry_statuses=lambda status: True,
                         acknowledged=lambda status: status == 200)
STATUS_REPORT_RETRY = EveryInterval(first_delay=FIVE_MINUTES, max_retries=7 * 24 * 12,
                                    retry_statuses=lambda status: True)


class CmError(Exception):
    """A request CM refuses as a whole (400 with an empty `messages` list)."""

    def __init__(self, code: int, details: str) -> None:
        super().__init__(details)
        self.code, self.details = code, details


class Rejection(Exception):
    def __init__(self, code: int, details: str) -> None:
        super().__init__(details)
        self.code, self.details = code, details


def folded(value: Any) -> Any:
    """`value` with every object key lower-cased (CM: "JSON keys are case insensitive")."""
    if isinstance(value, dict):
        return {str(k).lower(): folded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [folded(v) for v in value]
    return value


def cm_time(moment: datetime) -> str:
    """`yyyy-MM-ddTHH:mm:ss` in UTC (CM's `timeUtc`)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def status_report_xml(msg: dict) -> bytes:
    """The status report in CM's XML template."""
    status = msg["status"]
    return (f'<MESSAGES><MSG RECEIVED="{escape(msg["received"])}"><TO>{escape(msg["to"])}</TO>'
            f'<REFERENCE>{escape(msg["reference"])}</REFERENCE><STATUS>'
            f'<CODE>{escape(status["code"])}</CODE><ERRORCODE>{escape(status["errorCode"])}</ERRORCODE>'
            f'<ERRORDESCRIPTION>{escape(status["errorDescription"])}</ERRORDESCRIPTION>'
            '</STATUS></MSG></MESSAGES>').encode()


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass
class SentMessage:
    account: str
    recipient: str  # 00 form
    reference: str | None
    groupings: tuple[str, str, str]
    message: Message


def sent_table() -> IndexedTable:
    """An account's sent messages (journal message id -> SentMessage), indexed by phone so an
    MO finds the last message sent to its phone without walking them all."""
    return IndexedTable(lambda sent: sent.message.created_at,
                        {"phone": lambda sent: (number_key(sent.recipient),)}, id_path="message.id")


NO_SENT = sent_table()  # of an account that sent none (never written to)


class Backend(ProviderBackend):
    name = "cm"
    hosts = ("gw.messaging.cm.com", "gw.cmtelecom.com", "gw-*.cmtelecom.com", "gw.cmtelecom.co.za")
    retry_policy = STATUS_REPORT_RETRY

    def __init__(self, network) -> None:
        super().__init__(network)
        self._sent: dict[str, IndexedTable] = {}  # account -> journal message id -> SentMessage

    # -- authentication ---------------------------------------------------------------------
    @staticmethod
    def token_of(header: str | None, messages: Any) -> str | None:
        if header and header.strip():
            return header.strip()
        authentication = messages.get("authentication") if isinstance(messages, dict) else None
        token = authentication.get("producttoken") if isinstance(authentication, dict) else None
        return token.strip() if isinstance(token, str) and token.strip() else None

    def account_for(self, token: str | None) -> Account | None:
        if token is None:
            return None
        exact = self.network.accounts.get(self.name, token)
        if exact is not None:
            return exact
        return next((a for a in self.network.accounts.all(self.name)
                     if hmac.compare_digest(a.id.lower().encode(), token.lower().encode())), None)

    def authenticate(self, token: str | None) -> Account:
        account = self.account_for(token)
        if account is not None:
            return account
        if token is not None and not GUID.match(token):
            raise CmError(103, "Invalid product token.")
        raise CmError(101, "No account found for the given authentication")

    # -- sending ----------------------------------------------------------------------------
    def send(self, raw: bytes, header_token: str | None) -> dict:
        """Validate and accept what can be accepted; the response body (see the module doc)."""
        try:
            request = folded(json.loads(raw))
        except (ValueError, UnicodeDecodeError):
            raise CmError(202, "The request could not be parsed: invalid JSON") from None
        messages = request.get("messages") if isinstance(request, dict) else None
        if not isinstance(messages, dict):
            raise CmError(202, "The request is malformed: a 'messages' object is required")
        account = self.authenticate(self.token_of(header_token, messages))
        if account.options.get("rejection") == 102:
            raise CmError(102, REJECTION_DETAILS[102])
        elements = messages.get("msg")
        if isinstance(elements, dict):
            elements = [elements]
        if (not isinstance(elements, list) or not 1 <= len(elements) <= MAX_MSG_ELEMENTS
                or not all(isinstance(e, dict) for e in elements)):
            raise CmError(203, f"The 'msg' array is incorrect: 1 to {MAX_MSG_ELEMENTS} message objects")
        if sum(len(e["to"]) if isinstance(e.get("to"), list) else 1 for e in elements) > MAX_MESSAGES_PER_REQUEST:
            raise CmError(203, f"At most {MAX_MESSAGES_PER_REQUEST} recipients per request (a limit of the fake)")
        results = [result for element in elements for result in self._send_element(account, element)]
        accepted = sum(r["status"] == "Accepted" for r in results)
        return {"details": f"Created {accepted} message(s)",
                "errorCode": 0 if accepted == len(results) else 201, "messages": results}

    def _send_element(self, account: Account, msg: dict) -> list[dict]:
        reference = msg.get("reference")
        recipients = msg.get("to")
        numbers = ([r.get("number") if isinstance(r, dict) else r for r in recipients]
                   if isinstance(recipients, list) else [])
        if not numbers:
            return [self._rejected(None, reference, Rejection(302, "No phone numbers found."))]
        try:
            if len(numbers) > MAX_RECIPIENTS:
                raise Rejection(302, f"At most {MAX_RECIPIENTS} recipients per message.")
            text, maximum = self._check(msg)
        except Rejection as rejection:
            return [self._rejected(n, reference, rejection) for n in numbers]
        parts = segment(text)
        results = []
        for number in numbers:
            e164 = to_e164(number) if isinstance(number, str) else None
            refusal = self._refusal(account, e164) if e164 else None
            if e164 is None:
                results.append(self._rejected(number, reference,
                                              Rejection(303, f"Gsm '{number}' is not a number.")))
            elif refusal is not None:
                results.append(self._rejected(number, reference,
                                              Rejection(refusal, REJECTION_DETAILS[refusal])))
            elif parts.segment_count > maximum:
                results.append(self._rejected(number, reference, Rejection(
                    304, f"The message needs {parts.segment_count} parts, more than "
                         f"maximumNumberOfMessageParts ({maximum}).")))
            else:
                self._accept(account, msg, "00" + e164[1:], text)
                results.append({"to": number, "status": "Accepted", "reference": reference,
                                "parts": parts.segment_count, "messageDetails": None,
                                "messageErrorCode": 0})
        return results

    def _refusal(self, account: Account, e164: str) -> int | None:
        """The rejection code scripted for this number, else for the account, else None."""
        scripted = self.network.handsets.outcome_for(e164).rejection
        if scripted is not None:
            return scripted
        code = account.options.get("rejection")
        return code if code in REJECTIONS else None

    @staticmethod
    def _check(msg: dict) -> tuple[str, int]:
        """The text and the maximum number of parts of a valid `msg`; Rejection otherwise."""
        sender = msg.get("from")
        if not isinstance(sender, str) or not sender.strip():
            raise Rejection(301, "No FROM field found in a MSG node.")
        if not (ALPHANUMERIC_SENDER.match(sender) or NUMERIC_SENDER.match(sender)):
            raise Rejection(301, f"Invalid From '{sender}': at most 11 alphanumeric characters "
                                 "or 16 digits.")
        body = msg.get("body")
        content = body.get("content") if isinstance(body, dict) else None
        if not isinstance(content, str) or content == "":
            raise Rejection(304, "A body without content was found")
        kind = body.get("type", "auto")
        if not isinstance(kind, str) or kind.lower() not in BODY_TYPES:
            raise Rejection(305, f"Body type '{kind}' is not supported (the fake sends AUTO and "
                                 "TEXT bodies).")
        if msg.get("dcs", 0) not in (0, 8):
            raise Rejection(305, "dcs must be 0 (GSM) or 8 (UCS2).")
        minimum = msg.get("minimumnumberofmessageparts", PARTS_RANGE[0])
        maximum = msg.get("maximumnumberofmessageparts", PARTS_RANGE[1])
        low, high = PARTS_RANGE
        if not (is_int(minimum) and is_int(maximum) and low <= minimum <= maximum <= high):
            raise Rejection(305, "minimumNumberOfMessageParts and maximumNumberOfMessageParts "
                                 f"must be integers with {low} <= minimum <= maximum <= {high}.")
        reference = msg.get("reference")
        if reference is not None and (not isinstance(reference, str) or len(reference) > MAX_REFERENCE):
            raise Rejection(305, f"The reference must be a string of at most {MAX_REFERENCE} characters.")
        for name in GROUPINGS:
            value = msg.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > MAX_GROUPING):
                raise Rejection(305, f"{name} must be a string of at most {MAX_GROUPING} characters.")
        channels = msg.get("allowedchannels")
        if channels is not None and not (isinstance(channels, list) and any(
                isinstance(c, str) and c.lower() == "sms" for c in channels)):
            raise Rejection(305, "allowedChannels must include SMS (the fake simulates SMS only).")
        return content, maximum

    @staticmethod
    def _rejected(number: Any, reference: Any, rejection: Rejection) -> dict:
        return {"to": number, "status": "Rejected", "reference": reference, "parts": 0,
                "messageDetails": rejection.details, "messageErrorCode": rejection.code}

    def _accept(self, account: Account, msg: dict, recipient: str, text: str) -> None:
        reference = msg.get("reference")
        message = self.record_mt(account.id, msg["from"], recipient, text, reference)
        groupings = tuple(msg.get(name) or "" for name in GROUPINGS)
        sent = SentMessage(account.id, recipient, reference, groupings, message)
        table = self._sent.get(account.id)
        if table is None:
            table = self._sent[account.id] = sent_table()
        table.add(message.id, sent)
        self.network.clock.call_later(0, lambda: self._dispatch(sent), f"cm dispatch {message.id}",
                                      (self.name, account.id))

    # -- delivery ---------------------------------------------------------------------------
    async def _dispatch(self, sent: SentMessage) -> None:
        self.set_status(sent.message, "Dispatched")
        self.schedule_outcome(sent.message, lambda message, outcome: self._report(sent, outcome.outcome))
        await self._report(sent, "accepted")

    async def _report(self, sent: SentMessage, status: str) -> Callback:
        code, description, text = STATUS_REPORT[status]
        msg = {"received": cm_time(self.network.clock.now()), "to": sent.recipient,
               "reference": sent.reference or "",
               "status": {"code": code, "errorCode": description, "errorDescription": text},
               "operator": operator_of(sent.recipient) or ""}
        payload = {"messages": {"msg": msg}}
        account = self.network.accounts.get(self.name, sent.account)
        encoded = None
        if account is not None and account.options.get("status_report_format") == "xml":
            encoded = (status_report_xml(msg), "application/xml")
        return await self.emit(sent.account, "dlr", account and account.dlr_callback_url, payload,
                               encoded=encoded)

    # -- incoming messages ------------------------------------------------------------------
    async def receive(self, account: Account, number: OwnedNumber, sender: str,
                      body: str, details: dict | None = None) -> tuple[Message, Callback]:
        sent = self._sent.get(account.id, NO_SENT)
        newest = sent.families["phone"].newest(number_key(sender))
        last = None if newest is None else sent.store.get(newest)
        phone = to_e164(sender) or sender
        groupings = list(last.groupings) if last else ["", "", ""]
        reference = last.reference if last else None
        if account.options.get("mo_format") == "legacy":
            payload = {"reference": reference, "from": phone, "to": number.number, "body": body,
                       "groupings": groupings}
        else:
            payload = {"reference": reference, "messageContext": None,
                       "from": {"number": phone, "name": None}, "to": {"number": number.number},
                       "message": {"text": body}, "groupings": groupings,
                       "timeUtc": cm_time(self.network.clock.now()), "channel": "SMS"}
        message = self.record_mo(account.id, phone, number.number, body, new_ulid())
        callback = await self.emit(account.id, "mo", account.mo_callback_url, payload,
                                   policy=MO_RETRY)
        return message, callback

    # -- plug-in interface ------------------------------------------------------------------
    def account_of(self, request: Request, body: bytes) -> str | None:
        header = request.headers.get("x-cm-producttoken")
        messages = None
        if not (header and header.strip()):
            try:
                messages = folded(json.loads(body)).get("messages")
            except (ValueError, UnicodeDecodeError, AttributeError):
                return None
        account = self.account_for(self.token_of(header, messages))
        return account.id if account else None

    def error_response(self, status: int, message: str, headers: dict | None = None) -> Response:
        code = FAULT_CODES.get(status, 500 if status >= 500 else 999)
        return JSONResponse({"details": message, "errorCode": code, "messages": []}, status, headers)

    def reset(self, account: str | None = None) -> None:
        if account is None:
            self._sent.clear()
        else:
            self._sent.pop(account, None)

    def forget(self, messages: list[Message]) -> None:
        for message in messages:
            if message.provider == self.name and message.direction == "mt":
                self._sent.get(message.account, NO_SENT).pop(message.id, None)

    def demo_account(self) -> tuple[str, dict]:
        return "00000000-0000-0000-0000-000000000000", {
            "numbers": [{"number": "+3197010000000", "type": "long_code"},
                        {"number": "3010", "type": "short_code"}]}

    def sdk_settings(self, base_url: str, account: str, settings: dict) -> list[str]:
        return [f'client = TextClient("{account}", gateway="{base_url}/v1.0/message")',
                'client.SendSingleMessage("Hello", "Shop", ["0034600000000"], reference="r1")']

    def routes(self) -> list[BaseRoute]:
        return cm_routes(self)


# -- HTTP --------------------------------------------------------------------------------------
def cm_routes(backend: Backend) -> list[BaseRoute]:
    async def send(request: Request) -> Response:
        try:
            data = backend.send(await request.body(), request.headers.get("x-cm-producttoken"))
        except CmError as exc:
            return JSONResponse({"details": exc.details, "errorCode": exc.code, "messages": []}, 400)
        accepted = any(m["status"] == "Accepted" for m in data["messages"])
        return JSONResponse(data, 200 if accepted else 400)

    handler = backend.endpoint("send", send)
    return [Route("/v1.0/message", handler, methods=["POST"]),
            Route("/v1.0/message/", handler, methods=["POST"])]
