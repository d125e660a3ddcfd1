"""Consent timeline of an opt-out reply (OPT-*, CONS-*): immediate blacklist, hourly batch.

Reading (docs/architecture.md): the batch runs at every full hour of the platform clock and takes
the replies received strictly before it; a reply at 10:20 gets its consent events at 11:00
(`imported_timestamp` 11:00, `timestamp` 10:20). Between the reply and the batch a send to the
phone is `enqueue_failed`; after the batch it is `skipped` because the consents are rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

ENQUEUE_FAILED_MESSAGE = "Phone number is blacklisted by an opt-out keyword."


def batch_time(received_at: datetime) -> datetime:
    """The first full hour strictly after `received_at`: when the reply's events are tracked."""
    hour = received_at.replace(minute=0, second=0, microsecond=0)
    return hour + timedelta(hours=1)


@dataclass(frozen=True)
class SendVerdict:
    status: str  # enqueued | enqueue_failed | skipped
    reason: str | None = None
    message: str | None = None


def send_after_opt_out(received_at: datetime, now: datetime) -> SendVerdict:
    """What a marketing send to an opted-out phone must give at `now` (OPT-ENQUEUE-FAILED, OPT-NO-SEND-AFTER)."""
    if now < received_at:
        return SendVerdict("enqueued")
    if now < batch_time(received_at):
        return SendVerdict("enqueue_failed", "blacklisted", ENQUEUE_FAILED_MESSAGE)
    return SendVerdict("skipped", "consent_rejected")


def events_visible(received_at: datetime, now: datetime) -> bool:
    """Whether the consent reject and incoming_message events of the reply exist at `now`."""
    return now >= batch_time(received_at)


def expected_consent_events(
    *, customer_ids: list[str], categories: list[str], sender: str, body: str,
    received_at: datetime,
) -> list[dict]:
    """The consent events the batch must write (CONS-FIELDS, CONS-ALL-CATEGORIES): one per customer and category."""
    imported = batch_time(received_at)
    return [
        {"type": "consent", "customer_id": customer_id, "action": "reject", "source": "sms_reply",
         "category": category, "identification": sender, "identification_type": "phone",
         "message": body, "timestamp": received_at, "imported_timestamp": imported}
        for customer_id in customer_ids for category in categories
    ]
