"""Per-requirement verdicts from scenario results, and the report files."""

import json

from harness import catalogue, report

CAT = catalogue.default()
ALL_PROFILES = set(CAT.profiles)
SUITE = {"smsproof_version": "0.1.0", "hash": "f" * 64, "files": 1}


EXCHANGE = {"side": "platform", "method": "GET", "url": "http://p/driver/v1/capabilities", "request": None,
            "status": 200, "response": {"name": "p"}, "at": 0.0, "elapsed_ms": 1.0}


def result(name, requirements, verdict, levels=None, **extra):
    return {"name": name, "file": f"scenarios/{name}.yaml", "line": 1, "title": name, "requirements": requirements,
            "levels": levels or {r: CAT[r].level for r in requirements}, "verdict": verdict, "reason": "",
            "failed_step": None, "steps": [], "exchanges": [EXCHANGE], "timeline": [{"at": None, "source": "platform", "what": "x"}],
            "expected": None, "observed": None, **extra}


def by_id(verdicts):
    return {v.id: v for v in verdicts}


def test_failed_blocks_at_must_only_and_errors_count_as_failures():
    v = by_id(report.verdicts([
        result("a", ["KW-CASE"], "PASSED"), result("b", ["KW-CASE"], "FAILED"),
        result("c", ["DUP-CAP-10"], "FAILED", levels={"DUP-CAP-10": "SHOULD"}), result("d", ["DUP-CAP-10"], "PASSED"),
        result("e", ["KW-PREFIX"], "ERROR"),
    ], CAT, ALL_PROFILES))
    assert (v["KW-CASE"].verdict, v["KW-CASE"].blocking) == ("FAILED", True)
    assert (v["DUP-CAP-10"].verdict, v["DUP-CAP-10"].blocking) == ("FAILED", False)
    assert (v["KW-PREFIX"].verdict, v["KW-PREFIX"].blocking) == ("FAILED", True)
    assert v["KW-ACCENT"].verdict == "NOT CHECKED"


def test_nothing_passes_without_a_passing_check():
    v = by_id(report.verdicts([result("a", ["KW-CASE"], "NOT APPLICABLE", reason="needs a drivable clock")],
                              CAT, ALL_PROFILES))
    assert (v["KW-CASE"].verdict, v["KW-CASE"].reason) == ("NOT APPLICABLE", "needs a drivable clock")
    v = by_id(report.verdicts([result("a", ["CC-STATUS"], "PASSED")], CAT, ALL_PROFILES - {"contact_centre"}))
    assert v["CC-STATUS"].verdict == "NOT APPLICABLE" and "not offered" in v["CC-STATUS"].reason
    v = by_id(report.verdicts([result("a", ["CC-STATUS"], "PASSED")], CAT, ALL_PROFILES, {"opt_out_keywords"}))
    assert v["CC-STATUS"].verdict == "NOT SELECTED" and "not selected" in v["CC-STATUS"].reason


def test_report_files_keep_evidence_for_failures_only(tmp_path):
    results = [result("ok", ["KW-CASE"], "PASSED", contract_problems=["GET /clock 200: now: bad"]),
               result("bad", ["DUP-CAP-10"], "FAILED", expected={"count": 10}, observed=[{"customer_id": "p<1>"}],
                      failed_step="then[0].events (line 9)")]
    built = report.build(run_id="r1", started_at="t", duration_s=1.234, platform={"name": "p", "url": None, "mutant": None, "capabilities": {
        "profiles": sorted(ALL_PROFILES)}}, options={}, files={"catalogue": {"c": "0" * 64}, "scenarios": {}},
        results=results, cat=CAT, profiles=sorted(ALL_PROFILES), narrowed=False, suite=SUITE)
    assert built["summary"]["blocking_failures"] == ["DUP-CAP-10"] and not built["summary"]["certified"]
    assert built["summary"]["contract_problems"] == ["GET /clock 200: now: bad"]
    scenarios = {s["name"]: s for s in built["scenarios"]}
    assert scenarios["ok"]["exchanges"] == [] and scenarios["bad"]["exchanges"] == [EXCHANGE]
    report.write(built, tmp_path)
    assert json.loads((tmp_path / "report.json").read_text())["run_id"] == "r1"
    html = (tmp_path / "report.html").read_text()
    assert "NOT CERTIFIED" in html and 'id="fail-DUP-CAP-10"' in html and "then[0].events (line 9)" in html
    assert "p&lt;1&gt;" in html and "GET /clock 200: now: bad" in html  # escaped evidence, conformance listed


def passing(profile):
    return [result(f"ok-{r.id}", [r.id], "PASSED") for r in CAT.by_profile(profile)]


def build(results, profiles, narrowed=False, offered=None):
    platform = {"name": "p", "url": "http://p", "mutant": None, "capabilities": {"profiles": sorted(offered or profiles)}}
    return report.build(run_id="r", started_at="t", duration_s=1, platform=platform, options={"seed": 1},
                        files={}, results=results, cat=CAT, profiles=profiles, narrowed=narrowed, suite=SUITE)


def test_a_profile_certifies_only_when_every_must_requirement_passed():
    built = build(passing("opt_out_keywords"), ["opt_out_keywords"])
    assert built["verdict"] == "CERTIFIED" and built["summary"]["profiles_certified"] == ["opt_out_keywords"]
    assert built["profiles"][0]["must_passed"] == built["profiles"][0]["must"] > 0


def test_must_requirements_not_applicable_never_certify():
    """A real-clock platform whose time-dependent checks were NOT APPLICABLE was CERTIFIED (issue 7)."""
    results = [r if r["requirements"][0] in ("KW-CASE", "KW-LIMITS") else
               {**r, "verdict": "NOT APPLICABLE", "reason": "needs a drivable clock"} for r in passing("opt_out_keywords")]
    built = build(results, ["opt_out_keywords"])
    assert built["verdict"] == "NOT CERTIFIED" and not built["summary"]["certified"]
    not_passed = {item["id"]: item["reason"] for item in built["profiles"][0]["not_passed"]}
    assert not_passed["OPT-BATCH-HOURLY"] == "needs a drivable clock" and "KW-CASE" not in not_passed


def test_must_requirements_not_checked_never_certify():
    results = [r for r in passing("opt_out_keywords") if r["requirements"] != ["DUP-CAP-10"]]
    built = build(results, ["opt_out_keywords"])
    assert built["verdict"] == "NOT CERTIFIED"
    assert built["profiles"][0]["not_passed"] == [
        {"id": "DUP-CAP-10", "verdict": "NOT CHECKED", "reason": "no check of this run covers it"}]


def test_a_must_requirement_checked_only_at_should_does_not_certify():
    results = [r if r["requirements"] != ["DUP-CAP-10"] else {**r, "levels": {"DUP-CAP-10": "SHOULD"}}
               for r in passing("opt_out_keywords")]
    assert build(results, ["opt_out_keywords"])["verdict"] == "NOT CERTIFIED"


def test_no_profile_named_is_never_certified():
    """A platform offering no profile was CERTIFIED with 61 not applicable (issue 7)."""
    built = build([], [], offered=[])
    assert built["verdict"] == "NOT CERTIFIED" and built["profiles"] == []


def test_a_narrowed_run_is_partial_never_certified():
    """One scenario file run alone printed CERTIFIED (issue 7)."""
    built = build(passing("opt_out_keywords"), ["opt_out_keywords"], narrowed=True)
    assert built["verdict"] == "PARTIAL" and built["summary"]["profiles_certified"] == []
    failed = [r if r["requirements"] != ["KW-CASE"] else {**r, "verdict": "FAILED"} for r in passing("opt_out_keywords")]
    assert build(failed, ["opt_out_keywords"], narrowed=True)["verdict"] == "NOT CERTIFIED"


def test_failures_resting_on_a_failed_requirement_name_their_root_cause():
    """Case-sensitive matching failed 13 requirements, DUP-CAP-10 among them (issue 7 §5)."""
    failing = {"KW-CASE", "OPT-BLACKLIST-IMMEDIATE", "OPT-BATCH-HOURLY", "DUP-CAP-10", "SEG-COUNT"}
    results = [{**r, "verdict": "FAILED"} if r["requirements"][0] in failing else r
               for p in CAT.profiles for r in passing(p)]
    built = build(results, sorted(CAT.profiles))
    causes = {r["id"]: r["probable_cause"] for r in built["requirements"] if r["verdict"] == "FAILED"}
    assert causes == {"KW-CASE": None, "OPT-BLACKLIST-IMMEDIATE": "KW-CASE", "OPT-BATCH-HOURLY": "KW-CASE",
                      "DUP-CAP-10": "KW-CASE", "SEG-COUNT": None}
    assert built["summary"]["root_causes"] == ["KW-CASE", "SEG-COUNT"]


def test_junit_gets_the_verdict_profiles_version_suite_hash_and_seed(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text('<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="0"></testsuite></testsuites>')
    report.stamp_junit(junit, build(passing("opt_out_keywords"), ["opt_out_keywords"]))
    text = junit.read_text()
    for expected in ('name="smsproof.verdict" value="CERTIFIED"', 'name="smsproof.profiles_certified" value="opt_out_keywords"',
                     'name="smsproof.suite_hash" value="' + "f" * 64, 'name="smsproof.seed" value="1"',
                     'name="smsproof.version" value="0.1.0"'):
        assert expected in text
