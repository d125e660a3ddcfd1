"""Consent timeline of an opt-out reply (OPT-*, CONS-*): immediate blacklist, hourly batch.

001: the phone is blacklisted at once; "On an hourly basis" the blacklist is processed into a
consent reject and an incoming message; "Wait 1-2 hours". Every hourly schedule conforms (each full
hour, one hour after each reply, any minute of the hour), so the MUST reading is a window: nothing
is tracked at the instant of the reply, everything within BATCH_DEADLINE of it. The full-hour
schedule is the SHOULD reading (`full_hour_batch`). Before the platform has processed a reply, a
send to the phone is `enqueue_failed`; after it, `skipped` because the consents are rejected. When
it processed a reply is read from the platform (`processed_at` of GET /opt-outs, the events'
`imported_timestamp`) and must itself fall in the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

ENQUEUE_FAILED_MESSAGE = "Phone number is blacklisted by an opt-out keyword."
BATCH_DEADLINE = timedelta(hours=2)  # 001: "Wait 1-2 hours and [...] you should find [...] consent event"


def full_hour_batch(received_at: datetime) -> datetime:
    """The first full hour strictly after `received_at` (the SHOULD reading of "on an hourly basis")."""
    hour = received_at.replace(minute=0, second=0, microsecond=0)
    return hour + timedelta(hours=1)


def processed_in_time(received_at: datetime, processed_at: datetime) -> bool:
    """A reply processed after it arrived and within the deadline (OPT-BATCH-HOURLY, MUST)."""
    return received_at < processed_at <= received_at + BATCH_DEADLINE


def events_may_be_visible(received_at: datetime, now: datetime) -> set[bool]:
    """Which answers to "are the reply's events tracked at `now`?" conform: no at the reply, yes by the deadline."""
    if now <= received_at:
        return {False}
    if now >= received_at + BATCH_DEADLINE:
        return {True}
    return {False, True}


@dataclass(frozen=True)
class SendVerdict:
    status: str  # enqueued | enqueue_failed | skipped
    reason: str | None = None
    message: str | None = None


def send_after_opt_out(received_at: datetime, now: datetime, processed: bool) -> SendVerdict:
    """What a marketing send to an opted-out phone must give at `now`, given whether the platform has
    processed the reply yet (OPT-ENQUEUE-FAILED, OPT-NO-SEND-AFTER)."""
    if now < received_at:
        return SendVerdict("enqueued")
    if not processed:
        return SendVerdict("enqueue_failed", "blacklisted", ENQUEUE_FAILED_MESSAGE)
    return SendVerdict("skipped", "consent_rejected")


def expected_consent_events(
    *, customer_ids: list[str], categories: list[str], sender: str, body: str,
    received_at: datetime, imported_at: datetime,
) -> list[dict]:
    """The consent events the batch must write (CONS-FIELDS, CONS-ALL-CATEGORIES): one per customer and category.

    `imported_at` is when the platform processed the reply (checked on its own by `processed_in_time`)."""
    return [
        {"type": "consent", "customer_id": customer_id, "action": "reject", "source": "sms_reply",
         "category": category, "identification": sender, "identification_type": "phone",
         "message": body, "timestamp": received_at, "imported_timestamp": imported_at}
        for customer_id in customer_ids for category in categories
    ]
