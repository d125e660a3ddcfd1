"""Instasent: `POST /sms` with a Bearer token; DLRs and inbound messages on one callback URL per token."""

from ..timeutil import parse
from . import Inbound, Malformed, ProviderError, Report, json_or_text, post_with_retry

_FINAL = {"delivered": "delivered", "failed": "failed", "error": "failed", "expired": "expired",
          "rejected": "rejected", "canceled": "failed"}
BOUNCE_CODE = 4  # failed with code 4: the number no longer exists (the fakes' bounce)


async def send(client, settings, outbound, broken) -> str:
    url = f"{settings['base_url'].rstrip('/')}/sms"
    body = {"from": outbound.sender, "to": outbound.to, "text": outbound.body, "clientId": outbound.reference}
    if outbound.encoding == "UCS2":
        body["allowUnicode"] = True
    response = await post_with_retry(client, url, broken, json=body,
                                     headers={"Authorization": f"Bearer {settings['token']}",
                                              "Accept": "application/json"})
    answer = json_or_text(response)
    entity = answer.get("entity") if isinstance(answer, dict) else None
    if response.status_code in (200, 201) and isinstance(entity, dict) and entity.get("id"):
        return str(entity["id"])
    reason = answer.get("message") if isinstance(answer, dict) else answer
    if isinstance(answer, dict) and not reason and answer.get("errors"):
        reason = str(answer["errors"])
    raise ProviderError(f"{response.status_code} {str(reason or '')[:200]}".strip())


def verify(headers, raw, settings, broken):
    """Instasent documents no callback signature."""


def is_mo(payload) -> bool:
    """Inbound messages carry the text in `message`; delivery reports do not."""
    return isinstance(payload, dict) and "message" in payload


def _time(payload):
    value = payload.get("receivedAt") or payload.get("eventAt") or payload.get("createdAt")
    try:
        return parse(value) if value else None
    except ValueError as error:
        raise Malformed(f"invalid time {value!r}") from error


def parse_mo(payload) -> Inbound:
    if not isinstance(payload, dict):
        raise Malformed("payload must be a JSON object")
    fields = [payload.get(k) for k in ("id", "from", "to", "message")]
    if not all(isinstance(v, str) for v in fields) or not all(fields[:3]):
        raise Malformed("an Instasent inbound needs id, from, to and message")
    return Inbound(fields[0], fields[1], fields[2], fields[3], _time(payload))


def parse_dlr(payload) -> list[Report]:
    if not isinstance(payload, dict) or not isinstance(payload.get("id"), str) or not payload["id"]:
        raise Malformed("an Instasent DLR needs id")
    status = payload.get("status")
    if not isinstance(status, str):
        raise Malformed("an Instasent DLR needs status")
    final = _FINAL.get(status.lower())
    if final == "failed" and payload.get("code") == BOUNCE_CODE:
        final = "bounced"
    return [Report(payload["id"], final, _time(payload), payload.get("to"))]
