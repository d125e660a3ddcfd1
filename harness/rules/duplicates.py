"""Several profiles on one phone (DUP-CAP-10, DUP-ALL-UP-TO-10, DUP-INCOMING-ONE).

Reading (docs/architecture.md): at most 10 profiles are unsubscribed, those that most recently
received an SMS first, then the oldest; the incoming message goes to the profile that received the
last SMS, or the oldest profile when none received one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MAX_UNSUBSCRIBED = 10


@dataclass(frozen=True)
class Profile:
    id: str
    created_order: int  # 0 = oldest
    last_sms_at: datetime | None = None


def _priority(profile: Profile):
    received = profile.last_sms_at is not None
    # Received first (most recent first), then never-received by age (oldest first).
    return (0, -profile.last_sms_at.timestamp(), profile.created_order) if received else (1, 0, profile.created_order)


def unsubscribed(profiles: list[Profile]) -> list[str]:
    """Ids of the profiles that the opt-out reply unsubscribes, in priority order."""
    return [p.id for p in sorted(profiles, key=_priority)[:MAX_UNSUBSCRIBED]]


def incoming_profile(profiles: list[Profile]) -> str | None:
    """Id of the one profile that gets the incoming_message event."""
    return min(profiles, key=_priority).id if profiles else None
