"""SMS processes (000): Unsubscribe and Help on inbound numbers, with per-country confirmation."""

from . import phones
from .config import PROCESS_DEFAULT_KEYWORDS, number_key
from .outbox import reply
from .workspace import Workspace


def _route(ws: Workspace, number: dict, body: str):
    """(provider keyword, service keyword) of a reply to `number`; None when it is not for this client."""
    words = body.split()
    if number["type"] != "shared_short_code" or ws.broken("shared_code_keyword_first"):
        return None, (words[0] if words else "")
    owned = {k.casefold() for k in number.get("provider_keywords") or []}
    if not words or words[0].casefold() not in owned:
        return None
    return words[0].casefold(), (words[1] if len(words) > 1 else "")


def _keywords(ws: Workspace, process: dict) -> set[str]:
    words = list(PROCESS_DEFAULT_KEYWORDS[process["type"]])
    if not ws.broken("custom_keywords_ignored"):
        words += process.get("custom_keywords") or []
    return {w.casefold() for w in words}


def _policy_country(ws: Workspace, number: dict, sender: str) -> str | None:
    """000: "Depending on the country of the recipient": the replier's country, +1 CA apart from +1 US."""
    if ws.broken("confirmation_country_of_inbound_number") and number["type"] == "long_code":
        return phones.region_of(number_key(number["number"]))
    if ws.broken("confirmation_region_by_calling_code"):
        return phones.calling_code_region(sender)
    return phones.region_of(sender)


def _confirm(ws: Workspace, process: dict, number: dict, sender: str) -> bool:
    policy = ws.config["confirmation_policy"].get(_policy_country(ws, number, sender) or "", "optional")
    if policy == "mandatory" and not ws.broken("confirmation_mandatory_ignored"):
        return True
    if policy == "prohibited" and not ws.broken("confirmation_prohibited_sent"):
        return False
    if policy == "optional" and ws.broken("confirmation_optional_always"):
        return True
    return bool(process.get("send_confirmation"))


async def handle(ws: Workspace, sender: str, recipient: str, body: str) -> bool:
    """Run the started process the reply is for; True when one acted."""
    numbers = {number_key(n["number"]): n for n in ws.config["inbound_numbers"]}
    number = numbers.get(number_key(recipient))
    if number is None:
        return False
    route = _route(ws, number, body)
    if route is None:
        return False
    provider_keyword, service_keyword = route
    for process in ws.config["sms_processes"]:
        if number_key(process["inbound_number"]) != number_key(number["number"]):
            continue
        if (process.get("provider_keyword") or "").casefold() != (provider_keyword or ""):
            continue
        if process["state"] != "started" and not ws.broken("paused_process_acts"):
            continue
        if service_keyword.casefold() not in _keywords(ws, process):
            continue
        await _act(ws, process, number, sender)
        return True
    return False


async def _act(ws: Workspace, process: dict, number: dict, sender: str):
    reply_from = number["number"]
    if ws.broken("reply_from_sender_name"):
        reply_from = ws.config["sending"].get("sender") or "Info"
    if process["type"] == "help":
        if not ws.broken("help_no_reply"):
            await reply(ws, provider=number["provider"], to=sender, sender=reply_from, body=process["message"])
        return
    if not ws.broken("unsubscribe_not_listed"):
        ws.unsubscribe_list[sender] = {"phone": sender, "process_id": process["id"], "at": ws.now}
    if process.get("message") and _confirm(ws, process, number, sender):
        await reply(ws, provider=number["provider"], to=sender, sender=reply_from, body=process["message"])
