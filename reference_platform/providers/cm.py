"""CM.com Business Messaging: `POST /v1.0/message` with the product token in the body; numbers in
`00` form; status reports and MO replies as JSON posts."""

from ..timeutil import parse
from . import Inbound, Malformed, ProviderError, Report, json_or_text, post_with_retry

# [STATUS] of the status report template: 0 accepted, 1 rejected, 2 delivered, 3 failed; a failure's
# [STATUSDESCRIPTION] (`errorCode`) tells expiry (6) and unknown subscriber (9, a bounce) apart.
_STATUS_CODES = {"1": "rejected", "2": "delivered", "3": "failed"}
_FAILURES = {"6": "expired", "9": "bounced"}


async def send(client, settings, outbound, broken) -> str:
    url = f"{settings['base_url'].rstrip('/')}/v1.0/message"
    message = {"allowedChannels": ["SMS"], "from": outbound.sender, "to": [{"number": "00" + outbound.to[1:]}],
               "body": {"type": "auto", "content": outbound.body}, "reference": outbound.reference,
               "minimumNumberOfMessageParts": 1, "maximumNumberOfMessageParts": 8}
    body = {"messages": {"authentication": {"producttoken": settings["product_token"]}, "msg": [message]}}
    response = await post_with_retry(client, url, broken, json=body)
    answer = json_or_text(response)
    if not isinstance(answer, dict):
        raise ProviderError(f"{response.status_code} {str(answer)[:200]}".strip())
    messages = answer.get("messages") or []
    first = messages[0] if messages and isinstance(messages[0], dict) else {}
    if response.status_code == 200 and str(first.get("status", "")).lower() == "accepted":
        return outbound.reference
    reason = first.get("messageDetails") or answer.get("details") or "rejected"
    code = first.get("messageErrorCode") or answer.get("errorCode")
    raise ProviderError(f"{response.status_code} {code}: {reason}")


def verify(headers, raw, settings, broken):
    """CM does not sign callbacks."""


def _field(value, *keys):
    """CM sub-objects (`from.number`, `message.text`) or the legacy flat strings."""
    if isinstance(value, dict):
        for key in keys:
            if isinstance(value.get(key), str):
                return value[key]
        return None
    return value if isinstance(value, str) else None


def parse_mo(payload) -> Inbound:
    if not isinstance(payload, dict):
        raise Malformed("payload must be a JSON object")
    sender = _field(payload.get("from"), "number")
    recipient = _field(payload.get("to"), "number")
    body = _field(payload.get("message"), "text") if "message" in payload else payload.get("body")
    if not sender or not recipient or not isinstance(body, str):
        raise Malformed("a CM MO needs from, to and message text")
    received = payload.get("timeUtc")
    try:
        at = parse(received) if received else None
    except ValueError as error:
        raise Malformed(f"invalid timeUtc {received!r}") from error
    message_id = payload.get("id") or payload.get("messageId") or f"{sender}|{recipient}|{received}|{body}"
    return Inbound(str(message_id), sender, recipient, body, at)


def parse_dlr(payload) -> list[Report]:
    messages = payload.get("messages") if isinstance(payload, dict) else None
    entries = messages.get("msg") if isinstance(messages, dict) else None
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list) or not entries:
        raise Malformed("a CM status report is {messages: {msg: ...}}")
    reports = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("reference"), str):
            raise Malformed("status report without reference")
        status = entry.get("status")
        if not isinstance(status, dict) or str(status.get("code", "")) not in ("0", *_STATUS_CODES):
            raise Malformed("status report without a status code")
        final = _STATUS_CODES.get(str(status["code"]))
        if final == "failed":
            final = _FAILURES.get(str(status.get("errorCode", "")), "failed")
        received = entry.get("received")
        try:
            at = parse(received) if received else None
        except ValueError:
            at = None
        reports.append(Report(entry["reference"], final, at, entry.get("to")))
    return reports
