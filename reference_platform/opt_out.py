"""Opt-out keywords (001): immediate blacklist, hourly consent batch, incoming-message tracking."""

from datetime import datetime

from .workspace import BlacklistEntry, Customer, Workspace

PROFILE_CAP = 10


def profiles_for(ws: Workspace, sender_raw: str, sender: str) -> list[Customer]:
    """Profiles with the sender's phone, those that most recently got an SMS first, then the oldest."""
    if ws.broken("phone_forms_strict"):
        matching = [c for c in ws.customers.values() if c.phone_raw == sender_raw]
    elif ws.broken("phone_match_by_national_number"):
        matching = [c for c in ws.customers.values() if c.phone and c.phone[-9:] == sender[-9:]]
    else:
        matching = ws.customers_with_phone(sender)
    return sorted(matching, key=lambda c: (c.last_sms_seq is None, -(c.last_sms_seq or 0), c.seq))


def track_incoming(ws: Workspace, profiles: list[Customer], sender: str, recipient: str, body: str,
                   received_at: datetime, *, opt_out: bool):
    """The incoming_message event goes to one profile: the one that received the last SMS."""
    if not profiles:
        return
    chosen = profiles[:1]
    if ws.broken("incoming_to_every_profile"):
        chosen = profiles
    elif ws.broken("incoming_to_oldest_profile") or (ws.broken("ordinary_reply_to_oldest") and not opt_out):
        chosen = [min(profiles, key=lambda c: c.seq)]
    elif ws.broken("incoming_to_newest_profile"):
        chosen = [max(profiles, key=lambda c: c.seq)]
    if ws.broken("incoming_recipient_is_sender"):
        recipient = ws.config["sending"].get("sender") or recipient
    if ws.broken("incoming_sender_recipient_swapped"):
        sender, recipient = recipient, sender
    for customer in chosen:
        ws.campaign_event(customer.id, "incoming_message", message=body, sender=sender, recipient=recipient,
                          timestamp=received_at)


def receive(ws: Workspace, sender_raw: str, sender: str, recipient: str, body: str, received_at: datetime):
    """A reply that matched an opt-out keyword: blacklist the phone now, events at the next full hour."""
    if ws.broken("opt_out_reply_from_unknown_phone_ignored") and not ws.customers_with_phone(sender):
        return
    entry = BlacklistEntry(phone=sender, sender=sender_raw, recipient=recipient, body=body,
                           received_at=received_at, blacklisted_at=ws.now)
    ws.pending_opt_outs.append(entry)
    if not ws.broken("blacklist_at_batch"):
        ws.blacklist[sender] = entry
    if ws.broken("consent_events_at_once"):
        run_batch(ws)


def run_batch(ws: Workspace) -> int:
    """The hourly batch: consent rejects to up to 10 profiles, the incoming message to one."""
    pending, ws.pending_opt_outs = ws.pending_opt_outs, []
    if ws.broken("batch_first_reply_only"):
        pending, ws.pending_opt_outs = pending[:1], pending[1:]
    categories = list(ws.config["two_way"]["categories"])
    if ws.broken("consent_first_category_only"):
        categories = categories[:1]
    cap = PROFILE_CAP
    if ws.broken("dup_no_cap"):
        cap = None
    elif ws.broken("dup_only_one"):
        cap = 1
    for entry in pending:
        profiles = profiles_for(ws, entry.sender, entry.phone)
        timestamp = ws.now if ws.broken("consent_timestamp_is_import") else entry.received_at
        for customer in _unsubscribed(ws, profiles, cap):
            for category in categories:
                previous = customer.consents.get(category)
                ws.consent_event(customer, category, "reject", source="sms_reply", timestamp=timestamp,
                                 explicit=True, identification=entry.phone, message=entry.body, imported=ws.now)
                if ws.broken("batch_rejects_not_applied"):
                    if previous is None:
                        customer.consents.pop(category)
                    else:
                        customer.consents[category] = previous
        track_incoming(ws, profiles, entry.phone, entry.recipient, entry.body, entry.received_at, opt_out=True)
        entry.processed_at = ws.now
        ws.blacklist[entry.phone] = entry
    return len(pending)


def _unsubscribed(ws: Workspace, profiles: list[Customer], cap: int | None) -> list[Customer]:
    """001: up to 10 of "all customers with a phone number matching", whatever their consents."""
    def accepted(customer: Customer) -> bool:
        return any(c["action"] == "accept" for c in customer.consents.values())
    if ws.broken("rejects_only_to_consenting"):
        return [c for c in profiles[:cap] if accepted(c)]
    if ws.broken("cap_counts_consenting_only"):
        return [c for c in profiles if accepted(c)][:cap] + [c for c in profiles if not accepted(c)]
    return profiles[:cap]
