"""`smsproof` end to end: certify passes the reference, fails a mutant, works by URL; error paths."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from harness import servers

ROOT = Path(__file__).resolve().parents[2]


def smsproof(*args, cwd=None, timeout=120):
    env = {**os.environ, "CI": "true"}
    return subprocess.run([sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())", *args],
                          capture_output=True, text=True, cwd=cwd or ROOT, timeout=timeout, env=env)


def _run_dir(reports: Path) -> Path:
    (run,) = [p for p in reports.iterdir() if p.name != "latest"]
    assert (reports / "latest").resolve() == run.resolve()  # reports/latest points at the newest run
    return run


@pytest.mark.slow(28)
def test_certify_with_no_platform_argument_passes_the_reference(tmp_path):
    done = smsproof("certify", "--reports", str(tmp_path), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith("smsproof: CERTIFIED reference: opt_out_keywords CERTIFIED, ")
    run = _run_dir(tmp_path)
    assert sorted(p.name for p in run.iterdir()) == ["junit.xml", "report.html", "report.json"]
    report = json.loads((run / "report.json").read_text())
    assert report["summary"]["certified"] and report["summary"]["FAILED"] == 0
    assert report["verdict"] == "CERTIFIED" and report["summary"]["profiles_certified"] == list(report["options"]["profiles"])
    assert len(report["options"]["profiles"]) == 5 and isinstance(report["options"]["seed"], int)
    assert report["platform"]["capabilities"]["clock"] == "drivable"
    assert all(len(digest) == 64 for digest in report["files"]["scenarios"].values())
    assert any(p.endswith("catalogue.yaml") for p in report["files"]["catalogue"])
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
    assert verdicts["DUP-CAP-10"] == "PASSED" and verdicts["KW-PREFIX"] == "PASSED"
    not_passed = {i: v for i, v in verdicts.items() if v != "PASSED"}
    assert not not_passed and report["summary"]["PASSED"] == len(verdicts), not_passed
    assert report["summary"]["contract_problems"] == []  # the reference answers as openapi.yaml documents
    assert report["summary"]["callback_problems"] == []  # and acknowledges every provider callback
    assert "CERTIFIED" in (run / "report.html").read_text()


@pytest.mark.slow(3)
def test_certify_fails_a_mutant_on_the_requirement_it_breaks(tmp_path):
    done = smsproof("certify", "--mutant", "incoming_to_oldest_profile", "--reports", str(tmp_path),
                    "--scenarios", str(ROOT / "scenarios" / "duplicates"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED DUP-INCOMING-ONE (MUST, blocking)" in done.stdout
    run = _run_dir(tmp_path)
    report = json.loads((run / "report.json").read_text())
    assert report["summary"]["blocking_failures"] == ["DUP-INCOMING-ONE"]
    failed = [s for s in report["scenarios"] if s["verdict"] == "FAILED"]
    assert failed and all(s["exchanges"] and s["timeline"] and s["failed_step"] for s in failed)
    html = (run / "report.html").read_text()
    assert "NOT CERTIFIED" in html and "incoming-to-last-sms-profile" in html and "HTTP exchanges" in html
    assert 'failures="' in (run / "junit.xml").read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(port: int, ready_path: str, *command: str) -> subprocess.Popen:
    """`smsproof serve|platform` as a separate process, once it answers."""
    process = subprocess.Popen([sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())",
                                *command, "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL)
    for _ in range(300):  # wait for the separate process to listen
        try:
            httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError(f"smsproof {' '.join(command)} did not start")


@pytest.mark.slow(5)
def test_certify_by_url_against_separate_platform_and_fakes_processes(tmp_path):
    platform_port, fakes_port = _free_port(), _free_port()
    processes = [_start(platform_port, "/driver/v1/capabilities", "platform"),
                 _start(fakes_port, "/_smsproof/health", "serve", "--no-demo")]
    url = f"http://127.0.0.1:{platform_port}"
    try:
        done = smsproof("certify", "--platform", url, "--fakes", f"http://127.0.0.1:{fakes_port}",
                        "--reports", str(tmp_path), "--scenarios", str(ROOT / "scenarios" / "keywords"))
        assert done.returncode == 5, done.stdout + done.stderr  # one directory of scenarios: a PARTIAL run
        report = json.loads((_run_dir(tmp_path) / "report.json").read_text())
        assert report["platform"]["url"] == url and report["verdict"] == "PARTIAL" and report["summary"]["FAILED"] == 0
        assert report["summary"]["PASSED"] >= 6
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)


def test_fakes_with_accounts_of_others_are_refused(tmp_path, capsys):
    port = _free_port()
    process = _start(port, "/_smsproof/health", "serve")  # with its demo accounts
    try:
        code, _, err = _main(capsys, "certify", "--fakes", f"http://127.0.0.1:{port}", "--reports", str(tmp_path))
    finally:
        process.terminate()
        process.wait(10)
    assert code == 2
    assert "already have accounts" in err and "smsproof serve --no-demo" in err


def test_an_invalid_scenario_file_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntitle: Bad\nrequirements: [KW-CASE]\nwhen:\n  - advanse: 1h\n")
    code, _, err = _main(capsys, "certify", "--scenarios", str(bad), "--reports", str(tmp_path / "r"))
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(
        f"smsproof: error: invalid scenario: {bad}:5: when[0]: unknown step 'advanse' (did you mean 'advance'?); valid: ")


def test_a_check_that_cannot_be_collected_is_one_line_and_exit_2(tmp_path):
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "ok.yaml").write_text("id: ok\ntitle: Ok\nrequirements: [KW-CASE]\nwhen:\n  - advance: 1h\n")
    (checks / "test_broken.py").write_text("import module_that_does_not_exist\n")
    done = smsproof("certify", "--scenarios", str(checks), "--reports", str(tmp_path / "r"))
    assert done.returncode == 2
    assert done.stderr.startswith("smsproof: error: a check could not be collected: ")
    assert "No module named 'module_that_does_not_exist'" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_an_unreachable_platform_is_one_line_and_exit_3(tmp_path, capsys):
    url = f"http://127.0.0.1:{_free_port()}"
    code, _, err = _main(capsys, "certify", "--platform", url, "--reports", str(tmp_path))
    assert code == 3
    assert err.startswith(f"smsproof: error: the platform at {url} is unreachable")
    assert len(err.strip().splitlines()) == 1


def test_a_missing_capability_is_one_line_and_exit_4(tmp_path, capsys):
    capabilities = {"name": "tiny", "version": "0", "providers": ["sinch"], "profiles": ["opt_out_keywords"],
                    "clock": "real", "workspaces": True}
    with capabilities_platform(capabilities) as url:
        code, _, err = _main(capsys, "certify", "--platform", url, "--profile", "contact_centre", "--reports", str(tmp_path))
    assert code == 4
    assert err.strip() == ("smsproof: error: the platform does not offer profile 'contact_centre' "
                                   "(it offers: opt_out_keywords)")


def capabilities_platform(capabilities: dict):
    """A platform that answers only `GET /driver/v1/capabilities` (for refusals before any check):
    a context manager giving its URL."""
    app = Starlette(routes=[Route("/driver/v1/capabilities", lambda request: JSONResponse(capabilities))])
    return servers.serve(lambda _url: app, f"{capabilities['name']}-platform")


def _main(capsys, *args) -> tuple[int, str, str]:
    from harness.cli import main

    try:
        code = main(list(args))
    except SystemExit as exit_:  # argparse: --version, bad choices
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("args,message", [
    (["certify", "--platform", "nope"], "unknown platform 'nope'"),
    (["certify", "--mutant", "nope"], "platform 'reference' has no mutant 'nope'"),
    (["certify", "--profile", "nope"], "unknown profile 'nope'"),
    (["certify", "--fakes", "http://127.0.0.1:9", "--workers", "2"], "--fakes needs --workers 1"),
    (["selftest", "--mutant", "nope"], "platform 'reference' has no mutant 'nope'"),
    (["certify", "--examples", "-3"], "argument --examples: invalid count -3: must be at least 1"),
    (["certify", "--examples", "0"], "argument --examples: invalid count 0: must be at least 1"),
    (["certify", "--workers", "0"], "argument --workers: invalid count 0: must be at least 1"),
    (["serve", "--port", "-1"], "argument --port: invalid port -1: must be 1..65535"),
    (["serve", "--port", "99999"], "argument --port: invalid port 99999: must be 1..65535"),
    (["platform", "--port", "0"], "argument --port: invalid port 0: must be 1..65535"),
    (["platform", "--port", "http"], "argument --port: invalid port 'http': not an integer"),
])
def test_bad_arguments_are_one_line_and_exit_2(tmp_path, capsys, args, message):
    """In-process (`main`, as the console script calls it): each is refused before anything starts."""
    code, _, err = _main(capsys, *args, *(["--reports", str(tmp_path)] if args[0] == "certify" else []))
    assert code == 2
    assert err.startswith(f"smsproof: error: {message}") and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["serve", "platform"])
def test_a_busy_port_is_one_line_and_exit_2(command):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = smsproof(command, "--port", str(port), timeout=30)
    assert done.returncode == 2
    assert done.stderr.startswith(f"smsproof: error: cannot listen on 127.0.0.1:{port}: ")
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.parametrize("where", ["a file", "/proc"])
def test_a_reports_directory_that_cannot_be_created_is_one_line_and_exit_2(tmp_path, capsys, where):
    reports = tmp_path / "file"
    reports.write_text("")
    if where == "/proc":
        reports = Path("/proc/smsproof-reports")
    code, _, err = _main(capsys, "certify", "--reports", str(reports), "--scenarios", str(ROOT / "scenarios" / "keywords"))
    assert code == 2
    assert err.startswith(f"smsproof: error: cannot create the run directory in {reports}: ")
    assert len(err.strip().splitlines()) == 1, err


@pytest.mark.slow(25)
def test_selftest_passes_the_reference_and_detects_every_mutant_by_its_requirement():
    done = smsproof("selftest", timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("reference: PASSED")
    lines = done.stdout.splitlines()
    score = next(i for i, line in enumerate(lines) if line.startswith("detection score: "))
    rows = [line.split() for line in lines[2:score]]
    assert rows and all(row[-1] == "yes" for row in rows), [row for row in rows if row[-1] != "yes"]
    assert lines[score] == f"detection score: {len(rows)}/{len(rows)} (100%)"
    assert "conforming variant batch_one_hour_after_reply (OPT-BATCH-HOURLY): passes every MUST check" in lines[score + 1:]


def test_selftest_of_selected_mutants_reports_a_missing_check():
    done = smsproof("selftest", "--mutant", "dup_no_cap", "--mutant", "short_links_never_expire",
                    "--scenarios", str(ROOT / "scenarios" / "duplicates"))
    assert done.returncode == 1
    assert ["short_links_never_expire", "LINK-EXPIRY", "no", "check"] in [line.split() for line in done.stdout.splitlines()]
    assert "detection score: 1/2 (50%)" in done.stdout


# -- what an installed smsproof knows: --version and list ------------------------------------------
def test_version_is_the_installed_distribution_version(capsys):
    from importlib.metadata import version

    code, out, _ = _main(capsys, "--version")
    assert code == 0 and out.strip() == f"smsproof {version('smsproof')}"


def test_list_profiles_and_requirements_come_from_the_catalogue(capsys):
    from harness import catalogue

    cat = catalogue.default()
    code, out, _ = _main(capsys, "list", "profiles")
    assert code == 0 and [line.split("\t")[0] for line in out.splitlines()] == list(cat.profiles)
    code, out, _ = _main(capsys, "list", "requirements", "--profile", "opt_out_keywords")
    rows = [line.split("\t") for line in out.splitlines()]
    assert code == 0 and [r[0] for r in rows] == [r.id for r in cat.by_profile("opt_out_keywords")]
    assert ["KW-CASE", "MUST", "opt_out_keywords", cat["KW-CASE"].title] in rows


def test_list_mutants_names_each_with_its_requirement(capsys):
    from reference_platform.mutants import MUTANTS

    code, out, _ = _main(capsys, "list", "mutants")
    assert code == 0 and [tuple(line.split("\t")[:2]) for line in out.splitlines()] == [(m.name, m.requirement) for m in MUTANTS]
    code, _, err = _main(capsys, "list", "mutants", "--platform", "http://127.0.0.1:9")
    assert code == 2 and err.count("\n") == 1 and "not a registered platform with mutants" in err


def test_list_scenarios_of_a_profile_with_file_and_line(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, _ = _main(capsys, "list", "scenarios", "--profile", "contact_centre")
    rows = [line.split("\t") for line in out.splitlines()]
    assert code == 0 and rows and all(r[2].startswith("CC-") for r in rows)
    name, where, _, providers = rows[0]
    assert providers == "the platform's provider"  # a contact-centre rule holds whichever provider carried the SMS
    path, line = where.rsplit(":", 1)
    assert (ROOT / path).is_file() and f"id: {name.split('[')[0]}" in (ROOT / path).read_text().splitlines()[int(line) - 1]
    code, _, err = _main(capsys, "list", "scenarios", "--profile", "nope")
    assert code == 2 and "unknown profile 'nope'" in err
