"""Sinch XMS: sending a batch, and reading the callbacks Sinch posts to us (MO and delivery reports).

Sinch writes phone numbers as bare international digits ("4915123456789") and times as
"2026-01-05T10:20:00.000Z". With a webhook secret, each callback is signed: header
X-Sinch-Webhook-Signature = base64(HMAC-SHA256(secret, raw body + "." + nonce + "." + timestamp)),
nonce and timestamp in X-Sinch-Webhook-Signature-Nonce and -Timestamp.
"""

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import datetime

FINAL = {"delivered": "delivered", "failed": "failed", "expired": "expired", "rejected": "rejected",
         "aborted": "failed", "cancelled": "failed", "deleted": "failed"}
ATTEMPTS = 3


class SinchError(Exception):
    """Sinch refused the batch (or could not be reached); the text is Sinch's reason."""


class BadCallback(Exception):
    """Not a Sinch callback we understand: we answer 400 and change nothing."""


def send(settings: dict, *, to: str, sender: str, body: str, reference: str, callback_url: str) -> str:
    """POST /xms/v1/{service_plan_id}/batches; the batch id. Retries 429 and 5xx a few times."""
    url = f"{settings['base_url'].rstrip('/')}/xms/v1/{settings['service_plan_id']}/batches"
    payload = json.dumps({"to": [to.lstrip("+")], "from": sender, "body": body, "type": "mt_text",
                          "delivery_report": "per_recipient", "callback_url": callback_url,
                          "client_reference": reference}).encode()
    headers = {"Authorization": f"Bearer {settings['api_token']}", "Content-Type": "application/json"}
    for attempt in range(1, ATTEMPTS + 1):
        request = urllib.request.Request(url, data=payload, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())["id"]
        except urllib.error.HTTPError as error:
            answer = error.read().decode("utf-8", "replace")
            if (error.code >= 500 or error.code == 429) and attempt < ATTEMPTS:
                time.sleep(0.1 * attempt)  # Sinch asks us to come back later (Retry-After): a short wait
                continue
            try:
                answer = json.loads(answer)
                answer = f"{answer.get('code')}: {answer.get('text')}"
            except (ValueError, AttributeError):
                pass
            raise SinchError(f"{error.code} {answer}") from None
        except (urllib.error.URLError, OSError, ValueError, KeyError) as error:
            if attempt == ATTEMPTS:
                raise SinchError(f"Sinch unreachable or unreadable: {error}") from None
    raise AssertionError("not reached")


def signature_ok(headers, raw: bytes, secret: str | None) -> bool:
    if not secret:
        return True
    signature = headers.get("X-Sinch-Webhook-Signature")
    nonce = headers.get("X-Sinch-Webhook-Signature-Nonce")
    timestamp = headers.get("X-Sinch-Webhook-Signature-Timestamp")
    if not (signature and nonce and timestamp):
        return False
    signed = raw + f".{nonce}.{timestamp}".encode()
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, signature)


def parse_time(text) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise BadCallback(f"bad time {text!r}") from None


def _text(payload: dict, key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value:
        raise BadCallback(f"missing or invalid {key!r}")
    return value


def read_callback(raw: bytes):
    """("mo", {...}) or ("report", [{...}, ...]) from a Sinch callback body."""
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadCallback("not JSON") from None
    if not isinstance(payload, dict):
        raise BadCallback("not a JSON object")
    kind = payload.get("type")
    if kind == "mo_text":
        if not isinstance(payload.get("body"), str):
            raise BadCallback("missing body")
        return "mo", {"id": _text(payload, "id"), "from": _text(payload, "from"), "to": _text(payload, "to"),
                      "body": payload["body"], "received_at": parse_time(payload.get("received_at"))}
    if kind == "recipient_delivery_report_sms":
        return "report", [{"batch_id": _text(payload, "batch_id"), "reference": payload.get("client_reference"),
                           "status": _final(_text(payload, "status")), "at": parse_time(payload.get("at"))}]
    if kind == "delivery_report_sms":
        statuses = payload.get("statuses")
        if not isinstance(statuses, list) or not all(isinstance(s, dict) and isinstance(s.get("status"), str)
                                                     for s in statuses):
            raise BadCallback("missing statuses")
        return "report", [{"batch_id": _text(payload, "batch_id"), "reference": payload.get("client_reference"),
                           "status": _final(s["status"]), "at": None} for s in statuses]
    raise BadCallback(f"unknown callback type {kind!r}")


def _final(status: str) -> str | None:
    """Our status for a final Sinch status; None for Queued/Dispatched (not final yet)."""
    return FINAL.get(status.lower())
