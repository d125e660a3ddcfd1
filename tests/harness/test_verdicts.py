"""The three false certificates of issue 7 are impossible: each ran end to end through `smsproof certify`."""

import json
import re

import pytest

from harness import servers
from tests.harness.test_cli import ROOT, _main, _run_dir, capabilities_platform, smsproof


@pytest.mark.slow(9)
def test_a_real_clock_platform_with_must_faults_is_not_certified(tmp_path):
    """Seven MUST faults and `"clock": "real"` gave CERTIFIED with 55 not applicable: never again. In real
    time, a check that does not fit the budget is NOT CHECKED, and a MUST not checked never certifies."""
    adapter = servers.load_adapter("reference")

    def real_clock_platform(url):
        return adapter.create_app(mutant="dup_no_cap", base_url=url, real_clock=True)

    with servers.serve(real_clock_platform, "real-clock-platform") as url:
        done = smsproof("certify", "--platform", url, "--profile", "opt_out_keywords", "--time-budget", "20s",
                        "--reports", str(tmp_path), timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "NOT CERTIFIED" in done.stdout and "opt_out_keywords NOT CERTIFIED" in done.stdout
    built = json.loads((_run_dir(tmp_path) / "report.json").read_text())
    assert built["verdict"] == "NOT CERTIFIED" and built["summary"]["profiles_certified"] == []
    (profile,) = built["profiles"]
    not_passed = {item["id"]: item for item in profile["not_passed"]}
    assert "DUP-CAP-10" in profile["failed"] or not_passed["DUP-CAP-10"]["verdict"] == "NOT CHECKED"


def test_a_platform_offering_no_profile_is_refused_with_exit_4(tmp_path, capsys):
    capabilities = {"name": "empty", "version": "0", "providers": ["sinch"], "profiles": [], "clock": "drivable",
                    "workspaces": True}
    with capabilities_platform(capabilities) as url:
        code, out, err = _main(capsys, "certify", "--platform", url, "--reports", str(tmp_path))
    assert code == 4, out + err
    assert err.startswith("smsproof: error: the platform offers no certification profile")


def test_one_scenario_file_is_a_partial_run_with_exit_5(tmp_path):
    done = smsproof("certify", "--scenarios", str(ROOT / "scenarios" / "keywords" / "keyword-limits.yaml"),
                    "--reports", str(tmp_path))
    assert done.returncode == 5, done.stdout + done.stderr
    assert "smsproof: PARTIAL (narrowed by scenario paths: certifies nothing)" in done.stdout
    assert "CERTIFIED reference" not in done.stdout
    total = len(re.findall(r"^smsproof: (\d+)/(\d+) checks run, 0 failed, \d+ s$", done.stdout, re.M))
    assert total >= 1  # progress lines in CI logs (no terminal)
    run = _run_dir(tmp_path)
    built = json.loads((run / "report.json").read_text())
    assert built["verdict"] == "PARTIAL" and built["summary"]["narrowed"]
    assert built["options"]["workers"] == 1  # one scenario: a second worker would cost more than it saves
    assert 'name="smsproof.verdict" value="PARTIAL"' in (run / "junit.xml").read_text()


@pytest.mark.slow(3)
def test_k_narrows_the_run_too(tmp_path):
    done = smsproof("certify", "--profile", "contact_centre", "-k", "channel", "--workers", "1", "--reports", str(tmp_path))
    assert done.returncode == 5, done.stdout + done.stderr
    assert "narrowed by -k" in done.stdout


def test_the_property_checks_accept_a_batch_one_hour_after_each_reply(tmp_path):
    """Issue 7 §3: a platform processing each reply one hour after it failed eight MUST requirements."""
    from tests.harness.test_properties import PROPERTIES, _pytest

    run = _pytest(str(PROPERTIES / "test_opt_out.py"), "-k",
                  "relative_to_batch and (OPT-BATCH-HOURLY or OPT-NO-SEND-AFTER or CONS-FIELDS)", "--smsproof-examples", "4",
                  "--smsproof-mutant", "batch_one_hour_after_reply", cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
