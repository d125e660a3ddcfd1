"""Send eligibility (SEND-*, SUB-*, OPT-*, LI-*, PROC-UNSUB-LIST): what one recipient's send must give.

The checks run in the order a platform must apply them; the first that refuses decides the
outcome and its `reason` (the driver API's vocabulary).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.rules import phones
from harness.rules.consent import ENQUEUE_FAILED_MESSAGE
from harness.rules.segments import segment


@dataclass
class Recipient:
    phone_raw: str | None
    sms_subscription: str = "none"  # subscribed | not_subscribed | none; 002: none is the default
    mobile_phone_status: str = "active"  # active | bounced | paused
    consents: dict[str, str] = field(default_factory=dict)  # category -> accept|reject
    blacklisted_pending: bool = False  # opt-out reply received, batch not yet run
    on_unsubscribe_list: bool = False
    # Phone unsubscribed and no consent accept tracked for this profile since (001: "blocked until explicit
    # consent accept is tracked"); a consent given when the profile was created is not such an accept.
    legitimate_interest_blocked: bool = False
    campaigns_in_period: int = 0


@dataclass(frozen=True)
class Decision:
    status: str  # enqueued | enqueue_failed | skipped
    reason: str | None = None
    message: str | None = None


def decide(
    recipient: Recipient, *, kind: str, body: str, category: str | None = None,
    legal_basis: str = "consent", max_parts: int = 8, max_campaigns: int | None = None,
) -> Decision:
    if phones.identity(recipient.phone_raw) is None:
        return Decision("skipped", "no_phone")
    if recipient.mobile_phone_status == "bounced":
        return Decision("skipped", "phone_bounced")
    if recipient.mobile_phone_status == "paused":
        return Decision("skipped", "phone_paused")
    if recipient.blacklisted_pending:  # 001: "will not accept any more SMS messages"
        return Decision("enqueue_failed", "blacklisted", ENQUEUE_FAILED_MESSAGE)
    marketing = kind == "campaign"
    if marketing:
        if recipient.sms_subscription != "subscribed":
            return Decision("skipped", "not_subscribed")
        if recipient.on_unsubscribe_list:
            return Decision("skipped", "unsubscribe_list")
        if category is not None:
            action = recipient.consents.get(category)
            if action == "reject":
                return Decision("skipped", "consent_rejected")
            if legal_basis == "legitimate_interest":
                if recipient.legitimate_interest_blocked:
                    return Decision("skipped", "legitimate_interest_block")
            elif action != "accept":
                return Decision("skipped", "no_consent")
        if max_campaigns is not None and recipient.campaigns_in_period >= max_campaigns:
            return Decision("skipped", "frequency_policy")
    if segment(body).segment_count > max_parts:
        return Decision("enqueue_failed", "too_many_parts")
    return Decision("enqueued")
