"""Real-time mode (harness/realtime.py): shifts onto the real clock, the budget, the progress display,
the reference platform's real clock, and one end-to-end certification on a real clock."""

import io
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from harness import realtime, servers
from harness.driver.client import Driver, Refused
from harness.scenario.loader import load_file
from harness.scenario.matching import parse_time
from harness.scenario.runner import DEFAULT_CLOCK, Environment, run_scenario

ROOT = Path(__file__).resolve().parents[2]
PROOF_SCENARIOS = Path(__file__).with_name("realtime_scenarios")
BATCH_HOURLY = ROOT / "scenarios" / "consent_timeline" / "batch-hourly.yaml"


def at(text: str) -> datetime:
    return parse_time(text)


def batch_hourly():
    (scenario,) = load_file(BATCH_HOURLY)
    return scenario


def test_a_shift_keeps_every_step_on_its_side_of_the_full_hour():
    """batch-hourly replies at 10:20, looks at 10:59 and 11:00: on the real clock it starts at a :20."""
    line = realtime.timeline(batch_hourly(), DEFAULT_CLOCK)
    assert line.origin == at("2026-01-05T10:20:00Z") and line.end == at("2026-01-05T11:00:00Z")
    before = realtime.shift(line, at("2026-11-29T12:10:00Z"))
    assert line.origin + before == at("2026-11-29T12:20:03Z")  # GUARD after the exact minute: 11:00 stays past the hour
    late = realtime.shift(line, at("2026-11-29T12:25:00Z"))  # too late for this hour's 12:59: the next hour
    assert line.origin + late == at("2026-11-29T13:20:03Z")
    inside = realtime.shift(line, at("2026-11-29T12:20:30Z"))  # inside the window: at once
    assert line.origin + inside == at("2026-11-29T12:20:30Z")
    for delta in (before, late, inside):
        for moment in line.moments:
            shifted = moment + delta
            assert shifted.minute == moment.minute  # the same minute of the hour, GUARD away from its ends
            assert realtime.GUARD <= shifted.minute * 60 + shifted.second <= 3600 - realtime.GUARD


def test_scenarios_with_business_hours_keep_the_phase_of_the_week():
    scenario = load_file(ROOT / "scenarios" / "contact_centre" / "out-of-hours-message.yaml")[0]
    line = realtime.timeline(scenario, DEFAULT_CLOCK)
    assert line.period == realtime.WEEK
    delta = realtime.shift(line, at("2026-11-29T12:00:00Z"))
    assert (line.origin + delta).weekday() == line.origin.weekday()
    assert (line.origin + delta).hour == line.origin.hour


def _real_time_at(platform_now: str, budget: float) -> realtime.RealTime:
    rt = realtime.RealTime(budget, realtime.Progress(io.StringIO()))
    rt.offset = at(platform_now).timestamp() - time.time()
    return rt


def test_a_check_past_the_budget_is_not_checked_with_the_budget_it_needs():
    with pytest.raises(realtime.NotChecked, match=r"needs a drivable clock or a budget of 1h35m\d+s "):
        _real_time_at("2026-11-29T12:25:00Z", budget=90 * 60).plan(batch_hourly(), DEFAULT_CLOCK)
    plan = _real_time_at("2026-11-29T12:25:00Z", budget=2 * 3600).plan(batch_hourly(), DEFAULT_CLOCK)
    assert plan.on_platform(plan.line.origin) == at("2026-11-29T13:20:03Z")
    assert plan.tolerance == pytest.approx(realtime.GUARD + realtime.LAG)
    (link_expiry,) = load_file(ROOT / "scenarios" / "links" / "short-link-expiry.yaml")
    with pytest.raises(realtime.NotChecked, match=r"needs a drivable clock or a budget of \d+d"):
        _real_time_at("2026-11-29T12:25:00Z", budget=90 * 60).plan(link_expiry, DEFAULT_CLOCK)


def test_expected_timestamps_move_with_the_shift():
    plan = _real_time_at("2026-11-29T12:10:00Z", budget=3600).plan(batch_hourly(), DEFAULT_CLOCK)
    shifted = plan.shift_expected({"match": {"timestamp": "2026-01-05T10:20:00.000Z", "action": "reject"}, "count": 1})
    assert shifted == {"match": {"timestamp": "2026-11-29T12:20:03.000Z", "action": "reject"}, "count": 1}


def test_durations_and_budgets_parse_and_print():
    assert realtime.parse_budget("90m") == 5400 and realtime.parse_budget("1h30m") == 5400
    assert realtime.parse_budget("600") == 600
    for bad in ("0", "-5", "soon", "inf", "nan"):
        with pytest.raises(ValueError):
            realtime.parse_budget(bad)
    assert realtime.duration_text(3725) == "1h2m5s" and realtime.duration_text(0) == "0s"


def test_progress_writes_plain_lines_when_not_a_terminal():
    out = io.StringIO()
    progress = realtime.Progress(out, interval=0.1)
    progress.waiting("batch-hourly", "when[5].events (line 22)", time.time() + 30, at("2026-01-05T11:00:03Z"))
    assert "batch-hourly waits until 2026-01-05T11:00:03.000Z (in 30s) for when[5].events (line 22)" in out.getvalue()
    time.sleep(1.3)  # the summary ticker (interval 0.1 s, checked each second)
    progress.done("batch-hourly")
    progress.close()
    assert "1 scenario(s) waiting; next batch-hourly in" in out.getvalue()
    assert "\r" not in out.getvalue()


def test_a_wait_stops_when_the_run_is_stopped():
    rt = _real_time_at("2026-11-29T12:00:00Z", budget=3600)
    rt.cancelled.set()
    with pytest.raises(realtime.NotChecked, match="stopped"):
        rt.wait_until(rt.platform_now() + timedelta(minutes=5), "s", "x")


def test_the_reference_on_a_real_clock_says_so_and_refuses_to_move_it():
    start = at("2026-01-05T10:59:59Z")
    with servers.running_platform(servers.resolve_platform("reference"), clock_start=start) as url:
        driver = Driver(url)
        assert driver.capabilities()["clock"] == "real"
        workspace = driver.create_workspace()
        clock = workspace.clock()
        assert clock["drivable"] is False and abs((parse_time(clock["now"]) - start).total_seconds()) < 5
        with pytest.raises(Refused):
            workspace.advance_clock(3600)
        with pytest.raises(Refused):
            workspace.set_clock("2026-01-05T12:00:00.000Z")
        assert parse_time(workspace.clock()["now"]) >= parse_time(clock["now"])
        driver.close()


def _run_in_real_time(mutant: str | None, clock_start: datetime, scenarios: list) -> dict:
    """The proof scenarios, all at once, against a reference (and fakes) started on a real clock."""
    target = servers.resolve_platform("reference", mutant)
    with servers.running_fakes(clock_start=clock_start) as fakes, \
            servers.running_platform(target, clock_start=clock_start) as url:
        env = Environment.connect(url, fakes)
        env.real_time = realtime.RealTime(50, realtime.Progress(io.StringIO()))
        env.real_time.measure(env.driver)
        scheduler = realtime.Scheduler()

        def run(scenario):
            forked = env.fork()
            try:
                return run_scenario(scenario, forked)
            finally:
                forked.close()

        scheduler.start({s.name: (lambda s=s: run(s)) for s in scenarios})
        try:
            return {s.name: scheduler.result(s.name) for s in scenarios} | {"progress": env.real_time.progress.stream}
        finally:
            scheduler.close()
            env.real_time.close()
            env.close()


@pytest.mark.slow(23)
def test_real_time_passes_the_reference_and_fails_a_mutant_at_the_full_hour():
    """The clocks start 20 s before 11:00: the reply, the check that nothing is tracked yet and the
    events after the hourly batch all happen on the real clock, concurrently, in about 25 s."""
    start = datetime.now(timezone.utc)
    clock_start = at("2026-01-05T10:59:40Z")
    scenarios = [s for path in sorted(PROOF_SCENARIOS.glob("*.yaml")) for s in load_file(path)]
    with ThreadPoolExecutor(2) as pool:
        reference = pool.submit(_run_in_real_time, None, clock_start, scenarios)
        mutant = pool.submit(_run_in_real_time, "consent_events_at_once", clock_start, scenarios)
        results, mutant_results = reference.result(), mutant.result()
    batch = results["rt-batch-at-the-full-hour"]
    assert batch.verdict == "PASSED", (batch.reason, batch.failed_step)
    assert results["rt-blacklist-at-once"].verdict == "PASSED", results["rt-blacklist-at-once"].reason
    assert "waited until the platform's clock read 2026-01-05T11:00:0" in batch.steps[6].detail
    assert "rt-batch-at-the-full-hour waits until 2026-01-05T11:00:0" in results["progress"].getvalue()
    failed = mutant_results["rt-batch-at-the-full-hour"]
    assert failed.verdict == "FAILED" and failed.failed_step == "when[3].events (line 22)", failed.reason
    assert (datetime.now(timezone.utc) - start).total_seconds() < 60


@pytest.mark.slow(8)
def test_certify_chooses_real_time_for_a_real_clock_and_shows_its_waits(tmp_path):
    """`smsproof certify` of a platform whose capabilities say clock: real: the short scenario runs on
    the real clock (a progress line in the log), the catalogue's batch-hourly, 40 minutes between
    its steps, is NOT CHECKED with the budget it would need."""
    clock_start = at("2026-01-05T10:10:00Z")  # far from a full hour: no wait for the right minute
    with servers.running_fakes(clock_start=clock_start) as fakes, \
            servers.running_platform(servers.resolve_platform("reference"), clock_start=clock_start) as url:
        done = subprocess.run(
            [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())", "certify",
             "--platform", url, "--fakes", fakes, "--scenarios", str(PROOF_SCENARIOS / "blacklist-at-once.yaml"),
             "--scenarios", str(BATCH_HOURLY), "--time-budget", "30s", "--reports", str(tmp_path)],
            capture_output=True, text=True, cwd=ROOT, timeout=120, env={**os.environ, "CI": "true"})
    (run,) = [p for p in tmp_path.iterdir() if p.name != "latest"]
    report = json.loads((run / "report.json").read_text())
    results = {s["name"]: s for s in report["scenarios"]}
    assert results["rt-blacklist-at-once"]["verdict"] == "PASSED", done.stdout + done.stderr
    assert results["batch-hourly"]["verdict"] == "NOT CHECKED"
    assert results["batch-hourly"]["reason"].startswith("needs a drivable clock or a budget of ")
    assert "(real time, budget 30s)" in results["batch-hourly"]["reason"]
    assert "smsproof real time: rt-blacklist-at-once waits until 2026-01-05T10:" in done.stderr
    assert report["options"]["real_time"] is True


def test_property_checks_keep_the_clock_still_in_real_time_or_are_not_checked():
    from harness.properties.sandbox import START, Sandbox, Target

    clock_start = at("2026-01-05T10:10:00Z")
    with servers.running_fakes(clock_start=clock_start) as fakes, \
            servers.running_platform(servers.resolve_platform("reference"), clock_start=clock_start) as url:
        env = Environment.connect(url, fakes)
        env.real_time = realtime.RealTime(60, realtime.Progress(io.StringIO()))
        try:
            with Sandbox(Target(env)) as sandbox:  # the default start: the platform's current time
                assert abs((sandbox.now - clock_start).total_seconds()) < 10
                with pytest.raises(pytest.skip.Exception, match="NOT CHECKED: needs a drivable clock .*by 1h"):
                    sandbox.advance(3600)
            with pytest.raises(pytest.skip.Exception, match="NOT CHECKED: .*starts at a set moment"):
                with Sandbox(Target(env), start=START + timedelta(minutes=59)):
                    pass
            assert env.fakes.clock()["mode"] == "real"  # never switched to virtual time
        finally:
            env.close()


def test_smsproof_platform_starts_on_a_real_clock_at_the_given_moment():
    from test_cli import _free_port, _start, smsproof  # tests/harness is on sys.path (rootdir-relative prepend)

    port = _free_port()
    process = _start(port, "/driver/v1/capabilities", "platform", "--real-clock", "--clock-start", "2026-01-05T10:59:50Z")
    try:
        driver = Driver(f"http://127.0.0.1:{port}")
        assert driver.capabilities()["clock"] == "real"
        now = parse_time(driver.create_workspace().clock()["now"])
        assert at("2026-01-05T10:59:50Z") <= now < at("2026-01-05T11:00:20Z")
        driver.close()
    finally:
        process.terminate()
        process.wait(10)
    done = smsproof("platform", "--clock-start", "soon")
    assert done.returncode == 2 and "invalid timestamp 'soon'" in done.stdout + done.stderr
    done = smsproof("certify", "--time-budget", "0")
    assert done.returncode == 2 and "must be positive" in done.stderr


def test_progress_redraws_one_line_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    out = Terminal()
    progress = realtime.Progress(out)
    progress.waiting("batch-hourly", "then[0].events (line 24)", time.time() + 90, at("2026-01-05T11:00:03Z"))
    progress.done("batch-hourly")
    progress.close()
    assert "\r\033[Ksmsproof real time: 1 scenario(s) waiting; next batch-hourly in 1m" in out.getvalue()
    assert "\n" not in out.getvalue()


def test_real_time_forced_on_a_clock_that_only_moves_when_driven_is_refused(tmp_path):
    from test_cli import smsproof

    done = smsproof("certify", "--real-time", "--scenarios", str(PROOF_SCENARIOS), "--reports", str(tmp_path))
    assert done.returncode == 4, done.stdout + done.stderr
    assert "real-time mode needs a clock that runs by itself" in done.stderr
