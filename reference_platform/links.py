"""The link shortener (003): http(s) links become short links on the configured domain."""

import re
import secrets
import string
from datetime import timedelta

from .workspace import Workspace

_WITH_PROTOCOL = re.compile(r"https?://[^\s]+")
_ANY_LINK = re.compile(r"(?:https?://|www\.)[^\s]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/[^\s]*", re.IGNORECASE)
_ALPHABET = string.ascii_letters + string.digits


def shorten(ws: Workspace, text: str, registry: dict) -> str:
    settings = ws.config["sending"]["link_shortener"]
    if not settings.get("enabled"):
        return text
    pattern = _ANY_LINK if ws.broken("links_without_protocol_shortened") else _WITH_PROTOCOL
    expires_at = ws.now + timedelta(days=settings["expiry_days"])

    def replace(match):
        code = "".join(secrets.choice(_ALPHABET) for _ in range(7))
        registry[code] = {"workspace": ws, "url": match.group(0), "expires_at": expires_at}
        return f"https://{settings['domain']}/{code}"

    return pattern.sub(replace, text)


def resolve(registry: dict, code: str) -> str | None:
    """The original URL while the link lives (platform clock of its workspace), else None."""
    link = registry.get(code)
    if link is None:
        return None
    ws = link["workspace"]
    if ws.now >= link["expires_at"] and not ws.broken("short_links_never_expire"):
        return None
    return link["url"]
