"""Timestamps on the driver API: ISO 8601 UTC with milliseconds."""

from datetime import datetime, timedelta, timezone


def fmt(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse(text: str) -> datetime:
    """Parse an ISO 8601 timestamp (`Z` or offset; naive means UTC). Raises ValueError."""
    if not isinstance(text, str) or not text:
        raise ValueError("not a timestamp")
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def next_full_hour(moment: datetime) -> datetime:
    """The first HH:00:00 strictly after `moment`."""
    return moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)
