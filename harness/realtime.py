"""Real-time mode: the same scenarios against a platform whose clock cannot be driven.

A scenario's time stays declarative (`given.clock`, `advance`, `advance_to`). In real time each
scenario is *shifted*: its timeline is laid on the platform's real clock with the same durations and
the same position inside the hour (inside the week for scenarios with business hours), so that every
step lies on the same side of every full hour as it does on the scenario clock. An advance becomes a
wait until the shifted moment. Scenarios run concurrently (one thread each, `Scheduler`), so a full
certification takes about the longest scenario plus its wait for the right minute of the hour, not
the sum of the waits. A scenario whose shifted end lies past the budget is NOT CHECKED, with the
budget it would need; nothing is ever passed for lack of time.

Timestamps a check expects are shifted likewise and compared within a tolerance (the shift's distance
from the exact minute of the hour plus `LAG`), since a real run cannot hit a millisecond.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from harness.exchanges import HarnessHTTPError, UnexpectedResponse
from harness.scenario.loader import Scenario
from harness.scenario.matching import format_time, parse_time, seconds

HOUR, WEEK = 3600.0, 7 * 86400.0
GUARD = 3.0  # seconds every step keeps from a full hour (the batch runs there) on the real clock
SETUP_LEAD = 2.0  # seconds before its first step that a scenario sets up its workspace
PHASE_SLACK = 60.0  # seconds a scenario with business hours may start after its exact moment of the week
LAG = 2.0  # seconds a step may run late (load, HTTP) on top of the shift's offset from the exact phase
DEFAULT_BUDGET = 2 * HOUR  # every hour-based scenario fits, whatever the minute the run starts
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")
WORKSPACE_SHAPE, CLOCK_SHAPE = '{"workspace": id}', '{"now": an ISO 8601 timestamp}'  # what measure reads
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)  # a Thursday: phases modulo a week keep the weekday


class NotChecked(Exception):
    """The check cannot run in real time within the budget (the reason says what it would need)."""


def duration_text(value: float) -> str:
    """3725 -> '1h2m5s' (the form `--time-budget` and scenarios take)."""
    value = int(math.ceil(value))
    days, rest = divmod(value, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = "".join(f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")) if n)
    return text or "0s"


def parse_budget(text: str) -> float:
    """'90m', '1h30m', '600' -> seconds; ValueError otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = None
    try:
        value = seconds(text) if value is None else value
    except (AttributeError, TypeError):
        raise ValueError(f"invalid duration {text!r}: use e.g. 90m, 1h30m or 600 (seconds)") from None
    if not value > 0 or math.isinf(value):
        raise ValueError(f"invalid duration {text!r}: must be positive")
    return value


# -- a scenario's timeline and its shift onto the real clock ---------------------------------------
@dataclass
class Timeline:
    origin: datetime  # scenario time of the first step that is not an advance (setup runs just before)
    end: datetime  # scenario time of the `then` checks
    moments: list[datetime]  # scenario times at which steps run
    period: float  # the phase to keep: an hour, or a week where business hours matter


def timeline(scenario: Scenario, default_clock: str) -> Timeline:
    """Leading advances are not waited for: nothing happens before them that a platform could see."""
    now = parse_time(scenario.given.get("clock", default_clock))
    origin, moments = None, []
    for step in scenario.when:
        kind, spec = next(iter(step.items()))
        if kind == "advance":
            now += timedelta(seconds=seconds(spec))
        elif kind == "advance_to":
            now = max(now, parse_time(spec))
        else:
            origin = origin or now
            moments.append(now)
    moments.append(now)
    period = WEEK if _mentions(scenario, "business_hours") else HOUR
    return Timeline(origin or now, now, moments, period)


def _mentions(scenario: Scenario, key: str) -> bool:
    def walk(value) -> bool:
        if isinstance(value, dict):
            return key in value or any(walk(v) for v in value.values())
        return isinstance(value, list) and any(walk(v) for v in value)
    return walk(scenario.given) or walk(scenario.when)


def _phase(moment: datetime, period: float) -> float:
    return (moment - _EPOCH).total_seconds() % period


def shift(line: Timeline, earliest: datetime) -> timedelta:
    """The shift of the scenario clock onto the real clock: the earliest one that starts at or after
    `earliest` and keeps every step at least GUARD from a period boundary, on the same side of it."""
    p = line.period
    phases = [_phase(m, p) for m in line.moments]
    low, high = max(GUARD - m for m in phases), min(p - GUARD - m for m in phases)
    if p != HOUR:  # business hours: the time of day and the weekday themselves matter, keep them
        low, high = 0.0, max(0.0, min(PHASE_SLACK, high))
    if low > high:  # steps crowd a boundary from both sides: keep the exact phase
        low = high = 0.0
    origin = _phase(line.origin, p)
    start_phase = _phase(earliest, p)
    period_start = earliest - timedelta(seconds=start_phase)
    if start_phase <= origin + high:
        start = period_start + timedelta(seconds=max(start_phase, origin + low))
    else:
        start = period_start + timedelta(seconds=p + origin + low)
    return start - line.origin


# -- progress ----------------------------------------------------------------------------------------
class Progress:
    """What the run waits for and until when: one redrawn line on a terminal, plain lines otherwise
    (CI logs): one when a scenario starts waiting, and a summary every `interval` seconds."""

    def __init__(self, stream=None, interval: float = 30.0, uncaptured=contextlib.nullcontext):
        """`uncaptured`: a context in which the real stderr is sys.stderr (pytest's capture suspended)."""
        self.stream, self.uncaptured = stream, uncaptured
        with uncaptured():
            self.tty = bool(getattr(stream or sys.stderr, "isatty", lambda: False)())
        self.interval = interval
        self.waits: dict[str, tuple[float, str]] = {}  # who -> (wall deadline, what)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.ticker: threading.Thread | None = None

    def waiting(self, who: str, what: str, until_wall: float, until_platform: datetime) -> None:
        with self.lock:
            self.waits[who] = (until_wall, what)
            if not self.tty:
                self._write(f"smsproof real time: {who} waits until {format_time(until_platform)} "
                            f"(in {duration_text(until_wall - time.time())}) for {what}\n")
            if self.ticker is None:
                self.ticker = threading.Thread(target=self._tick, name="smsproof-progress", daemon=True)
                self.ticker.start()
        self._redraw()

    def done(self, who: str) -> None:
        with self.lock:
            self.waits.pop(who, None)
        self._redraw()

    def close(self) -> None:
        self.stop.set()
        if self.ticker:
            self.ticker.join(2)
        if self.tty:
            self._write("\r\033[K")

    def summary(self) -> str | None:
        with self.lock:
            if not self.waits:
                return None
            now = time.time()
            ordered = sorted(self.waits.items(), key=lambda kv: kv[1][0])
        (who, (until, what)), last = ordered[0], ordered[-1][1][0]
        return (f"{len(ordered)} scenario(s) waiting; next {who} in {duration_text(max(0, until - now))} "
                f"({what}); all done in {duration_text(max(0, last - now))}")

    def _redraw(self) -> None:
        if self.tty:
            line = self.summary() or ""
            self._write(f"\r\033[Ksmsproof real time: {line}"[:200] if line else "\r\033[K")

    def _tick(self) -> None:
        last = time.time()
        while not self.stop.wait(1.0):
            if self.tty:
                self._redraw()
            elif time.time() - last >= self.interval:
                last = time.time()
                line = self.summary()
                if line:
                    self._write(f"smsproof real time: {line}\n")

    def _write(self, text: str) -> None:
        try:
            with self.uncaptured():
                stream = self.stream or sys.stderr
                stream.write(text)
                stream.flush()
        except (OSError, ValueError):
            pass  # a closed stream must not stop the run


# -- the run's real-time context ---------------------------------------------------------------------
class RealTime:
    """The real-time mode of one run: its budget, the platform's clock and the progress display.

    `offset` is the platform's clock minus the wall clock (a platform started at another moment, as
    the reference with `--clock-start`), measured once through a scratch workspace."""

    def __init__(self, budget: float = DEFAULT_BUDGET, progress: Progress | None = None):
        self.budget = budget
        self.started = time.time()
        self.progress = progress or Progress()
        self.offset = 0.0
        self.cancelled = threading.Event()
        self.keys_lock, self.key_locks = threading.Lock(), {}

    @contextlib.contextmanager
    def exclusive(self, keys: list[str]):
        """Hold `keys` (e.g. phones with a scripted outcome at the fakes) for a whole scenario run;
        taken in sorted order, so that two runs never wait for each other in a circle."""
        with self.keys_lock:
            locks = [self.key_locks.setdefault(k, threading.Lock()) for k in sorted(set(keys))]
        with contextlib.ExitStack() as stack:
            for lock in locks:
                stack.enter_context(lock)
            yield

    def measure(self, driver, why: str = "real-time mode reads the platform's clock",
                advice: str = "implement it or declare 'drivable'") -> None:
        """The platform's clock against the wall clock; NotChecked, one line starting with `why`, if it
        cannot be read (an error status, not `{"now": timestamp}`) or does not run by itself (e.g. a
        drivable platform forced into real time whose clock only moves when driven)."""
        try:
            workspace = driver.create_workspace()
        except UnexpectedResponse as error:
            raise NotChecked(f"{why} in a scratch workspace: {_answered(error)}") from None
        except (KeyError, TypeError):
            raise NotChecked(f"{why} in a scratch workspace: {_shape(driver, WORKSPACE_SHAPE)}") from None
        try:
            before = time.time()
            platform = read_clock(workspace, why, advice)
            self.offset = platform.timestamp() - (before + time.time()) / 2
            time.sleep(0.3)
            if read_clock(workspace, why, advice) <= platform:
                raise NotChecked("real-time mode needs a clock that runs by itself, and the platform's clock stood "
                                 "still for 0.3 s (a drivable clock moves only when driven)")
        finally:
            with contextlib.suppress(HarnessHTTPError):
                workspace.delete()  # best effort: the verdict on the clock is already decided

    def platform_now(self) -> datetime:
        return datetime.fromtimestamp(time.time() + self.offset, timezone.utc)

    def plan(self, scenario: Scenario, default_clock: str) -> "Plan":
        """The shifted timeline, or NotChecked when it would end past the budget."""
        line = timeline(scenario, default_clock)
        delta = shift(line, self.platform_now() + timedelta(seconds=SETUP_LEAD + LAG))
        needed = (line.end + delta).timestamp() - self.offset - self.started + LAG
        if needed > self.budget:
            raise NotChecked(f"needs a drivable clock or a budget of {duration_text(needed)} "
                             f"(real time, budget {duration_text(self.budget)})")
        off_phase = delta.total_seconds() % line.period  # distance from the scenario's exact phase
        return Plan(self, delta, min(off_phase, line.period - off_phase) + LAG, line)

    def wait_until(self, moment: datetime, who: str, what: str) -> None:
        """Sleep until the platform's clock reads `moment` (shown in the progress display)."""
        wall = moment.timestamp() - self.offset
        if wall <= time.time():
            return
        self.progress.waiting(who, what, wall, moment)
        try:
            if self.cancelled.wait(max(0.0, wall - time.time())):
                raise NotChecked("the run was stopped before this check's time")
        finally:
            self.progress.done(who)

    def close(self) -> None:
        self.cancelled.set()
        self.progress.close()


def why_real_time(capabilities: dict, forced: bool) -> tuple[str, str]:
    """Why a run is in real-time mode and what would fix a clock it cannot read: the opening and the
    advice of `RealTime.measure`'s one-line errors."""
    if forced:
        return ("--real-time was given, so this is a real-time run and it reads the platform's clock",
                "implement it or run without --real-time")
    clock = capabilities.get("clock")
    declared = f"capabilities.clock is {clock!r}" if clock is not None else "capabilities.clock is missing"
    return (f"{declared}, so this is a real-time run and it reads the platform's clock",
            "implement it or declare 'drivable'")


def read_clock(workspace, why: str, advice: str) -> datetime:
    """`GET .../clock`'s `now`, or NotChecked naming the answer that is not a clock."""
    try:
        answer = workspace.clock()
    except UnexpectedResponse as error:
        raise NotChecked(f"{why}: {_answered(error)}; {advice}") from None
    now = answer.get("now") if isinstance(answer, dict) else None
    try:
        return parse_time(now)
    except (TypeError, AttributeError, ValueError):
        raise NotChecked(f"{why}: {_shape(workspace.driver, CLOCK_SHAPE)}; {advice}") from None


def _answered(error: UnexpectedResponse) -> str:
    x = error.exchange
    return f"{x.method} {x.url} answered {x.status}"


def _shape(client, wanted: str) -> str:
    """The last exchange of `client`, as an answer that is not what the harness reads."""
    x = client.transcript[-1]
    body = x.response if isinstance(x.response, str) else json.dumps(x.response, ensure_ascii=False)
    body = " ".join(body.split())
    return f"{x.method} {x.url} answered {body[:80] + '...' if len(body) > 80 else body!r}, not {wanted}"


@dataclass
class Plan:
    """One scenario's shift: scenario moment + delta = platform moment."""

    realtime: RealTime
    delta: timedelta
    tolerance: float  # seconds, for expected timestamps
    line: Timeline

    def on_platform(self, scenario_moment: datetime) -> datetime:
        return scenario_moment + self.delta

    def shift_expected(self, value: Any) -> Any:
        """Timestamps a check expects, moved onto the platform's clock (other values unchanged)."""
        if isinstance(value, dict):
            return {k: self.shift_expected(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.shift_expected(v) for v in value]
        if isinstance(value, str) and _looks_like_time(value):
            return format_time(parse_time(value) + self.delta)
        return value


def _looks_like_time(text: str) -> bool:
    return bool(_TIMESTAMP.fullmatch(text))


class RealTimeClocks:
    """`runner.Clocks` in real time: nothing is moved; an advance waits until the platform's clock
    reaches the scenario's moment, shifted."""

    def __init__(self, plan: Plan, scenario_now: datetime, who: str):
        self.plan, self.scenario_now, self.who = plan, scenario_now, who

    def set(self, now: str) -> str:
        raise NotChecked("a real clock cannot be set")

    def advance(self, seconds_: float, what: str = "the next step") -> dict:
        self.scenario_now += timedelta(seconds=seconds_)
        target = self.plan.on_platform(self.scenario_now)
        self.plan.realtime.wait_until(target, self.who, what)
        return {"now": format_time(self.scenario_now), "platform_now": format_time(self.plan.realtime.platform_now()),
                "ran": []}

    def now(self) -> str:
        return format_time(self.scenario_now)


# -- concurrent runs -----------------------------------------------------------------------------------
class Scheduler:
    """Runs every scenario of the session at once, one thread each (they mostly sleep), and hands
    each result to whoever asks for it (the pytest item of that scenario)."""

    def __init__(self, max_threads: int = 256):
        self.max_threads = max_threads
        self.pool: ThreadPoolExecutor | None = None
        self.futures: dict[str, Future] = {}

    def start(self, jobs: dict[str, Callable[[], Any]]) -> None:
        self.pool = ThreadPoolExecutor(max_workers=max(1, min(self.max_threads, len(jobs))),
                                       thread_name_prefix="smsproof-rt")
        self.futures = {key: self.pool.submit(job) for key, job in jobs.items()}

    def result(self, key: str) -> Any:
        return self.futures[key].result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
