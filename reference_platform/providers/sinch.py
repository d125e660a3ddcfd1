"""Sinch XMS: `POST /xms/v1/{service_plan_id}/batches` with a Bearer API token; JSON callbacks,
optionally HMAC-signed (X-Sinch-Webhook-Signature over "{body}.{nonce}.{timestamp}")."""

import base64
import hashlib
import hmac

from ..timeutil import parse
from . import Forbidden, Inbound, Malformed, ProviderError, Report, json_or_text, post_with_retry, require

_FINAL = {"delivered": "delivered", "failed": "failed", "expired": "expired", "rejected": "rejected",
          "aborted": "failed", "cancelled": "failed", "deleted": "failed"}
# Failed with 402 (message unroutable, Sinch's code table): the number no longer exists, a bounce.
BOUNCE_CODE = 402


def _auth(settings, broken) -> str:
    if broken("sinch_basic_auth"):
        pair = f"{settings['service_plan_id']}:{settings['api_token']}".encode()
        return "Basic " + base64.b64encode(pair).decode()
    return f"Bearer {settings['api_token']}"


async def send(client, settings, outbound, broken) -> str:
    url = f"{settings['base_url'].rstrip('/')}/xms/v1/{settings['service_plan_id']}/batches"
    body = {"to": [outbound.to], "from": outbound.sender, "body": outbound.body, "type": "mt_text",
            "delivery_report": "per_recipient", "callback_url": outbound.callback_url,
            "client_reference": outbound.reference}
    response = await post_with_retry(client, url, broken, json=body,
                                     headers={"Authorization": _auth(settings, broken)})
    answer = json_or_text(response)
    if response.status_code in (200, 201) and isinstance(answer, dict) and answer.get("id"):
        return str(answer["id"])
    if isinstance(answer, dict) and ("code" in answer or "text" in answer):
        raise ProviderError(f"{response.status_code} {answer.get('code', '')}: {answer.get('text', '')}".strip())
    raise ProviderError(f"{response.status_code} {str(answer)[:200]}".strip())


def verify(headers, raw: bytes, settings, broken):
    secret = settings.get("webhook_secret")
    if not secret or broken("signature_not_checked"):
        return
    signature = headers.get("x-sinch-webhook-signature")
    nonce = headers.get("x-sinch-webhook-signature-nonce")
    timestamp = headers.get("x-sinch-webhook-signature-timestamp")
    if not (signature and nonce and timestamp):
        raise Forbidden("missing Sinch webhook signature headers")
    signed = f"{raw.decode('utf-8', 'replace')}.{nonce}.{timestamp}".encode()
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(expected, signature):
        raise Forbidden("wrong Sinch webhook signature")


def _time(value):
    try:
        return parse(value) if value else None
    except ValueError as error:
        raise Malformed(f"invalid timestamp {value!r}") from error


def parse_mo(payload) -> Inbound:
    message_id, sender, recipient = require(payload, "id", "from", "to")
    if not str(payload.get("type", "")).startswith("mo_") or not isinstance(payload.get("body"), str):
        raise Malformed("not a Sinch MO (type mo_text with a body)")
    return Inbound(message_id, sender, recipient, payload["body"], _time(payload.get("received_at")))


def parse_dlr(payload) -> list[Report]:
    kind = payload.get("type") if isinstance(payload, dict) else None
    if kind == "recipient_delivery_report_sms":
        batch_id, status = require(payload, "batch_id", "status")
        return [Report(batch_id, _status(status, payload.get("code")), _time(payload.get("at")),
                       payload.get("recipient"))]
    if kind == "delivery_report_sms":
        (batch_id,) = require(payload, "batch_id")
        statuses = payload.get("statuses")
        if not isinstance(statuses, list):
            raise Malformed("missing statuses")
        reports = []
        for entry in statuses:
            if not isinstance(entry, dict) or not isinstance(entry.get("status"), str):
                raise Malformed("invalid status entry")
            for recipient in entry.get("recipients") or [None]:
                reports.append(Report(batch_id, _status(entry["status"], entry.get("code")), None, recipient))
        return reports
    raise Malformed("not a Sinch delivery report")


def _status(status: str, code) -> str | None:
    if status.lower() == "failed" and code == BOUNCE_CODE:
        return "bounced"
    return _FINAL.get(status.lower())
