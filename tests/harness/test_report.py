"""Per-requirement verdicts from scenario results, and the report files."""

import json

from harness import catalogue, report

CAT = catalogue.default()
ALL_PROFILES = set(CAT.profiles)


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
    assert v["CC-STATUS"].verdict == "NOT APPLICABLE" and "not selected" in v["CC-STATUS"].reason


def test_report_files_keep_evidence_for_failures_only(tmp_path):
    results = [result("ok", ["KW-CASE"], "PASSED", contract_problems=["GET /clock 200: now: bad"]),
               result("bad", ["DUP-CAP-10"], "FAILED", expected={"count": 10}, observed=[{"customer_id": "p<1>"}],
                      failed_step="then[0].events (line 9)")]
    built = report.build(run_id="r1", started_at="t", duration_s=1.234, platform={"name": "p", "url": None, "mutant": None, "capabilities": {
        "profiles": sorted(ALL_PROFILES)}}, options={}, files={"catalogue": {"c": "0" * 64}, "scenarios": {}},
        results=results, cat=CAT, selected_profiles=None)
    assert built["summary"]["blocking_failures"] == ["DUP-CAP-10"] and not built["summary"]["certified"]
    assert built["summary"]["contract_problems"] == ["GET /clock 200: now: bad"]
    scenarios = {s["name"]: s for s in built["scenarios"]}
    assert scenarios["ok"]["exchanges"] == [] and scenarios["bad"]["exchanges"] == [EXCHANGE]
    report.write(built, tmp_path)
    assert json.loads((tmp_path / "report.json").read_text())["run_id"] == "r1"
    html = (tmp_path / "report.html").read_text()
    assert "NOT CERTIFIED" in html and 'id="bad"' in html and "then[0].events (line 9)" in html
    assert "p&lt;1&gt;" in html and "GET /clock 200: now: bad" in html  # escaped evidence, conformance listed
