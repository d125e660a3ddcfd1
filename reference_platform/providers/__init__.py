"""Provider clients and callback parsers, one module per provider; shared mechanics live here.

Every provider module offers `send(client, settings, outbound, broken) -> provider message id`
(raising ProviderError with the provider's reason), `parse_mo(payload, headers, raw, settings,
broken) -> Inbound` and `parse_dlr(...) -> list[Report]` (raising Malformed or Forbidden).
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime

import httpx

RETRIES = 4
BACKOFF_SECONDS = 0.05
MAX_WAIT_SECONDS = 0.5


@dataclass(frozen=True)
class Outbound:
    to: str  # E.164
    sender: str
    body: str
    reference: str  # our message id: 26 alphanumerics (CM's limit is 32)
    encoding: str
    segment_count: int
    callback_url: str


@dataclass(frozen=True)
class Inbound:
    message_id: str
    sender: str  # as the provider wrote it
    recipient: str
    body: str
    received_at: datetime | None


@dataclass(frozen=True)
class Report:
    provider_message_id: str
    status: str | None  # delivered, failed, expired, rejected, bounced; None = not final
    at: datetime | None
    recipient: str | None = None


class ProviderError(Exception):
    """The provider refused the message (4xx, or retries exhausted); the text is its reason."""


class Malformed(Exception):
    """A callback that is not a valid payload of the provider: answered 400."""


class Forbidden(Exception):
    """A callback with a wrong signature or token: answered 401."""


async def post_with_retry(client: httpx.AsyncClient, url: str, broken, **kwargs) -> httpx.Response:
    """POST, retrying 5xx, 429 and connection failures with exponential backoff."""
    attempts = 1 if broken("provider_5xx_not_retried") else RETRIES
    for attempt in range(attempts):
        try:
            response = await client.post(url, **kwargs)
        except httpx.TransportError as error:
            if attempt == attempts - 1:
                raise ProviderError(f"provider unreachable: {error.__class__.__name__}") from error
            await asyncio.sleep(BACKOFF_SECONDS * 2**attempt)
            continue
        if response.status_code < 500 and response.status_code != 429:
            return response
        if attempt == attempts - 1:
            return response
        await asyncio.sleep(_wait(response, attempt))
    raise AssertionError("unreachable")


def _wait(response: httpx.Response, attempt: int) -> float:
    try:
        hinted = float(response.headers.get("retry-after", ""))
    except ValueError:
        hinted = 0.0
    return min(max(hinted, BACKOFF_SECONDS * 2**attempt), MAX_WAIT_SECONDS)


def json_or_text(response: httpx.Response):
    try:
        return response.json()
    except ValueError:
        return response.text


def require(payload, *keys):
    """The values of required string fields, or Malformed."""
    if not isinstance(payload, dict):
        raise Malformed("payload must be a JSON object")
    values = []
    for key in keys:
        value = payload.get(key)
        if not isinstance(value, str) or value == "":
            raise Malformed(f"missing or invalid field {key!r}")
        values.append(value)
    return values


def provider_module(name: str):
    from . import cm, instasent, sinch

    return {"sinch": sinch, "cm": cm, "instasent": instasent}[name]
