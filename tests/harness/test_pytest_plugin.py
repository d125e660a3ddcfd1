"""The pytest plugin: inert unless pointed at scenarios; fixtures for users' suites."""

from pathlib import Path

import pytest

# The inner pytest runs are in-process; pytester drops the modules they import when each test ends. The
# servers they start import these lazily: imported here first, they stay one set of modules for the
# whole process (else a later test mixes dropped and re-imported provider modules).
import fake_providers.app  # noqa: F401,E402
import fake_providers.server  # noqa: F401,E402
import reference_platform.adapter  # noqa: F401,E402

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def not_an_xdist_worker(monkeypatch):
    """The inner runs are in-process: they must not look like xdist workers when this suite runs under -n."""
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)

SCENARIO = (Path(__file__).resolve().parents[2] / "scenarios" / "duplicates" / "eleven-profiles-cap-10.yaml").read_text()


def test_yaml_is_not_collected_unless_the_directory_is_given(pytester):
    pytester.makefile(".yaml", eleven=SCENARIO)
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    assert pytester.runpytest("-p", "no:cacheprovider").parseoutcomes() == {"passed": 1}
    result = pytester.runpytest("-p", "no:cacheprovider", f"--smsproof-scenarios={pytester.path}")
    result.assert_outcomes(passed=2)


def test_a_failing_scenario_is_reported_with_its_step_and_requirement(pytester):
    pytester.makefile(".yaml", eleven=SCENARIO.replace("count: 10}", "count: 11}"))
    result = pytester.runpytest("-p", "no:cacheprovider", f"--smsproof-scenarios={pytester.path}",
                                           "-m", "requirement")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*FAILED: With eleven profiles*", "*requirements: DUP-CAP-10*",
                                 "*at then?0?.events (line 29): expected 11 events*, found 10"])


def test_fixtures_give_a_workspace_and_clocks_that_move_together(pytester):
    pytester.makepyfile(test_user="""
import pytest

@pytest.mark.requirement("OPT-BATCH-HOURLY")
def test_clock(smsproof_workspace, smsproof_clock, smsproof_fakes, smsproof_capabilities):
    assert smsproof_capabilities["clock"] == "drivable"
    assert smsproof_clock.set("2026-01-05T10:20:00.000Z") == "2026-01-05T10:20:00.000Z"
    moved = smsproof_clock.advance(2400)
    assert moved["now"] == "2026-01-05T11:00:00.000Z"
    assert smsproof_fakes.clock()["now"] == "2026-01-05T11:00:00.000Z"
    assert smsproof_workspace.events() == []
""")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_not_applicable_scenarios_are_skipped_not_passed(pytester):
    pytester.makefile(".yaml", eleven=SCENARIO)
    result = pytester.runpytest("-p", "no:cacheprovider", f"--smsproof-scenarios={pytester.path}",
                                           "--smsproof-profile=contact_centre", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*NOT APPLICABLE: profile opt_out_keywords not selected*"])


def test_a_platform_that_goes_away_mid_run_is_an_error_recorded_not_a_pass(pytester, tmp_path):
    import json
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    pytester.makefile(".yaml", eleven=SCENARIO)
    pytester.makeconftest(f"""
import pytest
from harness.pytest_plugin import _SESSION

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    env = item.config.stash[_SESSION].env
    env.driver.base_url = "{dead}"  # the platform disappears after the capabilities
""")
    result = pytester.runpytest("-p", "no:cacheprovider", f"--smsproof-scenarios={pytester.path}",
                                           f"--smsproof-results={tmp_path}")
    result.assert_outcomes(failed=1)
    (line,) = (tmp_path / "results-main.jsonl").read_text().splitlines()
    recorded = json.loads(line)
    assert recorded["verdict"] == "ERROR" and "unreachable" in recorded["reason"]
