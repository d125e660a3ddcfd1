"""Handing one SMS to a provider and remembering it for its delivery reports."""

import asyncio
import functools

import httpx
from ulid import ULID

from .providers import Outbound, ProviderError, provider_module
from .segments import segment
from .workspace import SentMessage, Workspace

TIMEOUT_SECONDS = 10.0
# Shared by the clients of every loop: building a TLS context loads the CA bundle (about 10 ms).
_tls_context = functools.cache(httpx.create_ssl_context)


class ProviderHTTP:
    """One pooled client per event loop for all provider calls: a client per SMS costs tens of
    milliseconds (TLS context, connection pool). Keyed by loop because an httpx client is bound to
    the loop that opened its connections."""

    def __init__(self):
        self._clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}

    def client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            client = self._clients[loop] = httpx.AsyncClient(timeout=TIMEOUT_SECONDS, verify=_tls_context())
        return client

    async def aclose(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


def provider_for(ws: Workspace, requested: str | None = None) -> str:
    return requested or ws.config["sending"].get("provider") or ws.config["default_provider"]


async def send_sms(ws: Workspace, *, provider: str, to: str, sender: str, body: str, kind: str,
                   customer_id=None, campaign_id=None) -> SentMessage:
    """Send through `provider`; raises ProviderError with the provider's reason."""
    settings = ws.config["providers"].get(provider)
    if not settings:
        raise ProviderError(f"provider {provider} is not configured")
    reference = str(ULID())
    parts = segment(body, ws.broken)
    outbound = Outbound(to=to, sender=sender, body=body, reference=reference, encoding=parts.encoding,
                        segment_count=parts.segment_count, callback_url=ws.webhook_urls()[provider]["dlr"])
    provider_message_id = await provider_module(provider).send(ws.http.client(), settings, outbound, ws.broken)
    message = SentMessage(id=reference, customer_id=customer_id, campaign_id=campaign_id, kind=kind,
                          provider=provider, phone=to, sender=sender, body=body, sent_at=ws.now,
                          provider_message_id=provider_message_id)
    ws.sent[message.id] = message
    ws.by_provider_id[(provider, provider_message_id)] = message
    return message


async def reply(ws: Workspace, *, provider: str, to: str, sender: str, body: str) -> SentMessage | None:
    """An automatic reply (help, confirmation, out of hours): failures are not the customer's concern."""
    try:
        return await send_sms(ws, provider=provider, to=to, sender=sender, body=body, kind="transactional")
    except ProviderError:
        return None
