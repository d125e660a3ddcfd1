"""The workspace clock: moving it runs the scheduled work that came due, in time order."""

from datetime import datetime, timedelta

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
