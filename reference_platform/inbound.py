"""What the platform does with provider callbacks: replies (MO) and delivery reports (DLR)."""

from . import contact_centre, keywords, opt_out, phones, processes
from .providers import Inbound, Report
from .workspace import Workspace

_EVENT_STATUS = {"delivered": "delivered", "failed": "failed", "expired": "expired", "rejected": "rejected",
                 "bounced": "failed"}


def _first_time(ws: Workspace, key: tuple) -> bool:
    """Callbacks are processed once per provider message id (providers redeliver)."""
    if key in ws.seen_callbacks and not ws.broken("duplicate_callbacks_processed"):
        return False
    ws.seen_callbacks.add(key)
    return True


async def receive_mo(ws: Workspace, provider: str, message: Inbound):
    if not _first_time(ws, (provider, "mo", message.message_id)):
        return
    sender = phones.to_e164(message.sender, bare_ok=True) or message.sender
    recipient = phones.inbound_address(message.recipient)
    received_at = message.received_at or ws.now
    if contact_centre.owns(ws, recipient):
        await contact_centre.receive(ws, sender, message.body)
        return
    two_way = ws.config["two_way"]
    if not await processes.handle(ws, sender, recipient, message.body):
        opt_outs_on = two_way["opt_out_enabled"] or ws.broken("opt_out_while_disabled")
        if opt_outs_on and keywords.matching_keyword(message.body, two_way["keywords"], ws.broken):
            opt_out.receive(ws, message.sender, sender, recipient, message.body, received_at)
            return
    # 001: a reply "is recognized and tracked as a campaign event" when Track incoming messages is on.
    tracked = (two_way["track_incoming"] or ws.broken("incoming_tracked_when_disabled")) \
        and not ws.broken("ordinary_replies_not_tracked")
    if tracked:
        profiles = opt_out.profiles_for(ws, message.sender, sender)
        opt_out.track_incoming(ws, profiles, sender, recipient, message.body, received_at, opt_out=False)


def receive_dlr(ws: Workspace, provider: str, report: Report):
    if report.status is None or not _first_time(ws, (provider, "dlr", report.provider_message_id, report.status)):
        return
    sent = ws.by_provider_id.get((provider, report.provider_message_id))
    if sent is None:
        return
    at = report.at or ws.now
    sent.status = report.status
    if report.status == "delivered":
        sent.delivered_at = at
    customer = ws.customers.get(sent.customer_id) if sent.customer_id else None
    if customer is None:
        return
    if report.status == "bounced" and not ws.broken("bounce_not_recorded"):
        customer.mobile_phone_status = "bounced"
    if not ws.broken("delivery_reports_ignored"):
        ws.campaign_event(customer.id, _EVENT_STATUS[report.status], campaign_id=sent.campaign_id, message=sent.body,
                          sender=sent.sender, recipient=sent.phone, timestamp=at,
                          provider_message_id=sent.provider_message_id)
