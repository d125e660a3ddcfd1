"""The fakes' clock and the scheduler of everything that happens later (delivery reports,
callback retries). Real time by default; virtual on request, and then time only moves through
`advance()`, which runs every event that comes due, in time order, before it returns (including
events scheduled while it runs, such as retries). A real clock may run at an offset from the wall
clock (`start_real_at`), to share the time of a platform started at another moment.

Firing many events (an advance over a million pending deliveries, or a real clock catching up)
gives the event loop a turn every `SLICE` seconds, so requests are never held up for longer;
one served meanwhile during an advance sees the time of the events being fired."""
from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Awaitable, Callable

log = logging.getLogger("fake_providers.clock")

Action = Callable[[], Awaitable[None]]
SLICE = 0.002  # seconds of firing events before the event loop gets a turn


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


_SECONDS: dict[int, str] = {}  # whole seconds since 1970 -> "YYYY-MM-DDTHH:MM:SS", the last few


def iso_millis(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ`, the control API's and Sinch's wire format."""
    # The clock's own datetimes: the second's text is reused (a send formats 4 or 5 times, mostly
    # within one second). Below .999 s the float timestamp floors to the right second in any year.
    if moment.tzinfo is timezone.utc and moment.microsecond < 999_000:
        second = moment.timestamp().__floor__()
        text = _SECONDS.get(second)
        if text is None:
            if len(_SECONDS) >= 64:
                _SECONDS.clear()
            text = _SECONDS[second] = moment.replace(microsecond=0, tzinfo=None).isoformat()
        return f"{text}.{moment.microsecond // 1000:03d}Z"
    if moment.tzinfo is timezone.utc:
        return moment.isoformat(timespec="milliseconds")[:-6] + "Z"
    if moment.utcoffset():
        moment = moment.astimezone(timezone.utc)
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def parse_iso(text: str) -> datetime:
    """An ISO 8601 timestamp (`Z` or offset; naive means UTC) as an aware UTC datetime."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


@dataclass(slots=True)
class ScheduledEvent:
    due: datetime
    seq: int
    label: str
    action: Action = field(repr=False)
    scope: tuple[str, str] | None = None  # (provider, account)
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


class Clock:
    def __init__(self) -> None:
        self._virtual_now: datetime | None = None
        self._offset = timedelta(0)  # of the real clock from the wall clock
        self._queue: list[tuple[datetime, int, ScheduledEvent]] = []  # a heap
        self._seq = itertools.count()
        self._wakeup: asyncio.Event | None = None
        self._lock: asyncio.Lock | None = None

    @property
    def mode(self) -> str:
        return "real" if self._virtual_now is None else "virtual"

    def now(self) -> datetime:
        return self._virtual_now if self._virtual_now is not None else utcnow() + self._offset

    def start_real_at(self, moment: datetime) -> None:
        """Real time from now on, reading `moment` at this instant."""
        self._offset = moment - utcnow()
        self.set_mode("real")

    def to_dict(self) -> dict:
        return {"mode": self.mode, "now": iso_millis(self.now())}

    def set_mode(self, mode: str, now: datetime | None = None) -> None:
        if mode == "real":
            self._virtual_now = None
        else:
            self._virtual_now = now or self.now()
        self._poke()

    def call_at(self, due: datetime, action: Action, label: str,
                scope: tuple[str, str] | None = None) -> ScheduledEvent:
        event = ScheduledEvent(due, next(self._seq), label, action, scope)
        heapq.heappush(self._queue, (due, event.seq, event))
        self._poke()
        return event

    def call_later(self, seconds: float, action: Action, label: str,
                   scope: tuple[str, str] | None = None) -> ScheduledEvent:
        return self.call_at(self.now() + timedelta(seconds=seconds), action, label, scope)

    def pending(self) -> list[ScheduledEvent]:
        return [e for _, _, e in sorted(self._queue) if not e.cancelled]

    async def advance(self, seconds: float) -> int:
        """Move virtual time forward (switching to virtual time if needed); fire what comes due."""
        async with self._guard():
            if self._virtual_now is None:
                self._virtual_now = self.now()
            target = self._virtual_now + timedelta(seconds=seconds)
            fired, turn = 0, time.perf_counter() + SLICE
            while self._queue and self._queue[0][0] <= target:
                event = heapq.heappop(self._queue)[2]
                if event.cancelled:
                    continue
                self._virtual_now = max(self._virtual_now, event.due)
                await self._fire(event)
                fired += 1
                if time.perf_counter() >= turn:
                    turn = await self._give_a_turn()
            self._virtual_now = target
            return fired

    async def run_due(self) -> int:
        """Fire the events already due at `now()`."""
        fired, turn = 0, time.perf_counter() + SLICE
        async with self._guard():
            while self._queue and self._queue[0][0] <= self.now():
                event = heapq.heappop(self._queue)[2]
                if not event.cancelled:
                    await self._fire(event)
                    fired += 1
                    if time.perf_counter() >= turn:
                        turn = await self._give_a_turn()
        return fired

    @staticmethod
    async def _give_a_turn() -> float:
        """Let the event loop serve what waits (requests, I/O); the end of the next slice."""
        await asyncio.sleep(0)
        return time.perf_counter() + SLICE

    async def run_forever(self) -> None:
        """Background task for real time: sleep until the next event is due, fire it."""
        self._wakeup = asyncio.Event()
        while True:
            await self.run_due()
            timeout = None
            if self._queue and self.mode == "real":
                timeout = max(0.0, (self._queue[0][0] - self.now()).total_seconds())
            try:  # asyncio.timeout, not wait_for: no extra task per wake-up
                async with asyncio.timeout(timeout):
                    await self._wakeup.wait()
            except TimeoutError:
                pass
            self._wakeup.clear()

    def cancel_scope(self, provider: str | None = None, account: str | None = None) -> None:
        """Cancel the pending events of a provider/account (all of them when both are None)."""
        for _, _, event in self._queue:
            if provider is None or (event.scope and event.scope[0] == provider
                                    and (account is None or event.scope[1] == account)):
                event.cancel()

    def _guard(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def _poke(self) -> None:
        if self._wakeup is not None:
            self._wakeup.set()

    @staticmethod
    async def _fire(event: ScheduledEvent) -> None:
        try:
            await event.action()
        except Exception:  # one broken event must not stop the clock
            log.exception("scheduled event %s failed", event.label)
