"""The contact-centre SMS channel (004): one number, a queue with limits, blacklists, business hours."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from . import phones
from .config import number_key
from .outbox import provider_for, reply, send_sms
from .providers import ProviderError
from .timeutil import fmt
from .workspace import Workspace


def _settings(ws: Workspace) -> dict:
    return ws.config["contact_centre"]


def _provider(ws: Workspace) -> str:
    return _settings(ws).get("provider") or provider_for(ws)


def _blacklisted(ws: Workspace, phone: str) -> bool:
    """The blacklist compares numbers, not strings: "0034600000009" lists "+34600000009"."""
    if ws.broken("cc_blacklist_as_written"):
        return phone in _settings(ws)["blacklist"]
    return phone in {phones.to_e164(n, bare_ok=True) for n in _settings(ws)["blacklist"]}


def _in_hours(ws: Workspace, hours: dict | None, now: datetime) -> bool:
    """004: business hours are the configured time zone's wall clock."""
    if not hours:
        return True
    local = now if ws.broken("cc_hours_in_utc") else now.astimezone(ZoneInfo(hours["timezone"]))
    start, end = (time.fromisoformat(hours[k]) for k in ("start", "end"))
    return local.weekday() in hours["days"] and start <= local.time().replace(tzinfo=None) < end


def owns(ws: Workspace, recipient: str) -> bool:
    number = _settings(ws).get("phone_number")
    return number is not None and number_key(number) == number_key(recipient)


def _interaction(ws: Workspace, phone: str, body: str, state: str, reason=None) -> dict:
    interaction = {"id": ws.new_id("int"), "phone": phone, "message": body, "entered_at": ws.now, "state": state,
                   "reason": reason}
    ws.interactions.append(interaction)
    return interaction


async def receive(ws: Workspace, sender: str, body: str):
    settings = _settings(ws)
    if not settings["enabled"] and not ws.broken("cc_disabled_queues"):
        return
    if (settings["inbound_blacklist_enabled"] and _blacklisted(ws, sender)
            and not ws.broken("cc_inbound_blacklist_queued")):
        _interaction(ws, sender, body, "rejected", "inbound_blacklist")
        return
    if not _in_hours(ws, settings.get("business_hours"), ws.now):
        if settings.get("out_of_hours_message") and not ws.broken("cc_no_out_of_hours_message"):
            await reply(ws, provider=_provider(ws), to=sender, sender=settings["phone_number"],
                        body=settings["out_of_hours_message"])
        return
    queued = sum(1 for i in ws.interactions if i["state"] == "queued")
    limit = settings["max_interactions"]
    if limit and queued >= limit and not ws.broken("cc_max_interactions_ignored"):
        _interaction(ws, sender, body, "rejected", "queue_full")
        return
    _interaction(ws, sender, body, "queued")


def next_timeout(ws: Workspace) -> datetime | None:
    seconds = _settings(ws)["max_queue_seconds"]
    if not seconds or ws.broken("cc_no_queue_timeout"):
        return None
    deadlines = [i["entered_at"] + timedelta(seconds=seconds) for i in ws.interactions if i["state"] == "queued"]
    return min(deadlines, default=None)


async def time_out(ws: Workspace):
    """Interactions whose time in queue is over leave it, with the timeout reply."""
    settings = _settings(ws)
    limit = timedelta(seconds=settings["max_queue_seconds"])
    for interaction in ws.interactions:
        if interaction["state"] == "queued" and interaction["entered_at"] + limit <= ws.now:
            interaction["state"] = "timed_out"
            if settings.get("timeout_message"):
                await reply(ws, provider=_provider(ws), to=interaction["phone"], sender=settings["phone_number"],
                            body=settings["timeout_message"])


async def agent_message(ws: Workspace, to: str, body: str) -> dict:
    settings = _settings(ws)
    if not settings["enabled"]:
        return {"status": "refused", "reason": "channel_disabled"}
    phone = phones.to_e164(to, bare_ok=True)
    if (settings["outbound_blacklist_enabled"] and _blacklisted(ws, phone)
            and not ws.broken("cc_outbound_blacklist_ignored")):
        return {"status": "refused", "reason": "outbound_blacklist"}
    try:
        await send_sms(ws, provider=_provider(ws), to=phone, sender=settings["phone_number"], body=body,
                       kind="transactional")
    except ProviderError as error:
        return {"status": "refused", "reason": f"provider_error: {error}"}
    return {"status": "sent", "reason": None}


def queue_state(ws: Workspace) -> list[dict]:
    return [{**i, "entered_at": fmt(i["entered_at"])} for i in ws.interactions]
