"""The workspace clock: moving it runs the scheduled work that came due, in time order."""

import asyncio
from datetime import datetime, timedelta, timezone

from . import contact_centre, opt_out
from .timeutil import fmt, next_full_hour
from .workspace import Workspace


def _due(ws: Workspace):
    """(time, name) of the next scheduled job, or None."""
    jobs = []
    if ws.pending_opt_outs:
        if ws.broken.reads("batch_one_hour_after_reply"):
            oldest = min(entry.blacklisted_at for entry in ws.pending_opt_outs)
            jobs.append((max(oldest + timedelta(hours=1), ws.now), "consent_batch"))
        else:
            jobs.append((next_full_hour(ws.now), "consent_batch"))
    timeout = contact_centre.next_timeout(ws)
    if timeout is not None:
        jobs.append((max(timeout, ws.now), "queue_timeout"))
    return min(jobs, default=None)


async def move_to(ws: Workspace, target: datetime) -> list[str]:
    ran = []
    while True:
        job = _due(ws)
        if job is None or job[0] > target:
            break
        when, name = job
        ws.now = when
        if name == "consent_batch":
            opt_out.run_batch(ws)
        else:
            await contact_centre.time_out(ws)
        ran.append(f"{name}@{fmt(when)}")
    ws.now = target
    return ran


class RealClock:
    """A wall clock, optionally started at another moment (`--clock-start`): it runs at real speed and
    nobody can move it. Every workspace follows it; its scheduled work runs when real time reaches it."""

    def __init__(self, start: datetime | None = None):
        self.offset = (start - datetime.now(timezone.utc)) if start else timedelta(0)
        self._lock = asyncio.Lock()

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset

    async def catch_up(self, workspaces) -> None:
        """Move every workspace to now, running the work that came due (one mover at a time; a
        request arriving while scheduled work runs, e.g. a callback it caused, does not wait for it)."""
        if self._lock.locked():
            return
        async with self._lock:
            for ws in list(workspaces):
                now = self.now()
                if now > ws.now:
                    await move_to(ws, now)

    async def run_forever(self, workspaces, tick: float = 0.1) -> None:
        """Background task: the hourly batch runs at the full hour even when no request comes."""
        while True:
            await self.catch_up(workspaces.values())
            await asyncio.sleep(tick)
