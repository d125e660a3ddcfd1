from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings, strategies as st

from fake_providers.clock import Clock, iso_millis, parse_iso

pytestmark = pytest.mark.anyio
T0 = parse_iso("2026-01-05T10:00:00Z")


async def test_real_by_default_and_virtual_on_request():
    clock = Clock()
    assert clock.mode == "real"
    clock.set_mode("virtual", T0)
    assert clock.now() == T0
    clock.set_mode("real")
    assert clock.now() > T0


async def test_advance_fires_due_events_in_time_order_and_sets_now():
    clock = Clock()
    clock.set_mode("virtual", T0)
    seen = []

    def note(label):
        async def action():
            seen.append((label, clock.now()))
        return action

    clock.call_later(30, note("b"), "b")
    clock.call_later(10, note("a"), "a")
    clock.call_later(90, note("late"), "late")
    assert await clock.advance(60) == 2
    assert seen == [("a", T0 + timedelta(seconds=10)), ("b", T0 + timedelta(seconds=30))]
    assert clock.now() == T0 + timedelta(seconds=60)
    assert await clock.advance(30) == 1


async def test_events_scheduled_while_firing_run_in_the_same_advance():
    clock = Clock()
    clock.set_mode("virtual", T0)
    seen = []

    async def retry(n=0):
        seen.append(clock.now())
        if n < 3:
            clock.call_later(5 * 2 ** n, lambda: retry(n + 1), "retry")

    clock.call_later(0, retry, "first")
    assert await clock.advance(100) == 4
    assert [(t - T0).total_seconds() for t in seen] == [0, 5, 15, 35]


async def test_cancelled_and_out_of_scope_events_do_not_fire():
    clock = Clock()
    clock.set_mode("virtual", T0)
    seen = []

    async def mark():
        seen.append(1)

    clock.call_later(1, mark, "a", ("sinch", "A"))
    clock.call_later(1, mark, "b", ("sinch", "B"))
    clock.cancel_scope("sinch", "A")
    assert await clock.advance(2) == 1 and seen == [1]


async def test_a_failing_event_does_not_stop_the_others():
    clock = Clock()
    clock.set_mode("virtual", T0)
    seen = []

    async def boom():
        raise RuntimeError("broken")

    async def fine():
        seen.append(1)

    clock.call_later(1, boom, "boom")
    clock.call_later(2, fine, "fine")
    assert await clock.advance(3) == 2 and seen == [1]


def test_wire_format_has_milliseconds_and_z():
    assert iso_millis(parse_iso("2026-01-05T10:00:00.123456+01:00")) == "2026-01-05T09:00:00.123Z"


@settings(max_examples=500)
@given(st.datetimes(datetime(1, 1, 2), datetime(9999, 12, 30), timezones=st.just(timezone.utc) | st.timezones()))
@example(datetime(2026, 1, 5, 9, 59, 59, 998_999, tzinfo=timezone.utc))
@example(datetime(2026, 1, 5, 9, 59, 59, 999_999, tzinfo=timezone.utc))
@example(datetime(9999, 12, 29, 23, 59, 59, 998_999, tzinfo=timezone.utc))
@example(datetime(1, 1, 2, 0, 0, 0, 1, tzinfo=timezone.utc))
def test_wire_format_is_isoformat_in_utc_for_any_moment(moment):
    """The cache of each second's text (iso_millis' fast path) gives isoformat's own answer,
    at the edges of seconds too and in any year."""
    expected = moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    assert iso_millis(moment) == iso_millis(moment) == expected


async def test_in_real_time_the_background_task_fires_due_events():
    import asyncio
    from fake_providers.clock import utcnow

    clock = Clock()
    fired = asyncio.Event()

    async def mark():
        fired.set()

    ticker = asyncio.create_task(clock.run_forever())
    try:
        await asyncio.sleep(0)  # let the ticker start waiting
        clock.call_at(utcnow() - timedelta(seconds=1), mark, "already due")
        await asyncio.wait_for(fired.wait(), timeout=5)
    finally:
        ticker.cancel()


async def test_firing_many_events_gives_the_event_loop_turns(monkeypatch):
    """An advance over many due events (deliveries of a big run) lets requests be served in
    between, every SLICE seconds of firing (0 here: after every event)."""
    import asyncio

    from fake_providers import clock as clock_module

    monkeypatch.setattr(clock_module, "SLICE", 0.0)
    clock = Clock()
    clock.set_mode("virtual", T0)
    order = []

    def event(n):
        async def action():
            order.append(("event", n))
        return action

    for n in range(3):
        clock.call_later(n + 1, event(n), f"e{n}")

    async def request():  # a request waiting for the loop while the advance runs
        for n in range(3):
            order.append(("request", n))
            await asyncio.sleep(0)

    served = asyncio.get_running_loop().create_task(request())
    assert await clock.advance(10) == 3
    await served
    assert order.index(("request", 1)) < order.index(("event", 2))  # served in between
    assert [item for item in order if item[0] == "event"] == [("event", n) for n in range(3)]
