"""How a run's counts and failures are worded: what a vendor reads in the verdict line and the reports."""

import re
from pathlib import Path

from harness import cli, report
from test_report import CAT, build, passing, result

OPT_OUT = len(CAT.by_profile("opt_out_keywords"))
OTHERS = len(CAT.requirements) - OPT_OUT


def test_requirements_of_profiles_not_selected_are_counted_apart_not_as_not_applicable():
    """`--profile opt_out_keywords` read "23 passed, 0 failed, 40 not applicable": the 40 were other profiles."""
    built = build(passing("opt_out_keywords"), ["opt_out_keywords"], offered=sorted(CAT.profiles))
    s = built["summary"]
    assert (s["PASSED"], s["NOT APPLICABLE"], s["NOT SELECTED"], s["selected"]) == (OPT_OUT, 0, OTHERS, OPT_OUT)
    assert built["verdict"] == "CERTIFIED"  # what certifies is unchanged
    assert report.counts_text(s) == f"{OPT_OUT}/{OPT_OUT} requirements passed; {OTHERS} requirements of other profiles not selected"
    cc = next(r for r in built["requirements"] if r["id"] == "CC-STATUS")
    assert (cc["verdict"], cc["reason"]) == ("NOT SELECTED", "profile contact_centre not selected in this run (--profile)")


def test_a_profile_the_platform_does_not_offer_is_not_selected_and_says_why():
    built = build(passing("opt_out_keywords"), ["opt_out_keywords"], offered=["opt_out_keywords"])
    cc = next(r for r in built["requirements"] if r["id"] == "CC-STATUS")
    assert (cc["verdict"], cc["reason"]) == ("NOT SELECTED", "profile contact_centre not offered by the platform, so not selected")


def test_counts_leave_out_zeros_and_name_what_did_not_pass():
    results = [{**r, "verdict": "FAILED"} if r["requirements"] == ["KW-CASE"] else r for r in passing("opt_out_keywords")]
    results = [r for r in results if r["requirements"] != ["DUP-CAP-10"]]
    s = build(results, ["opt_out_keywords"])["summary"]
    assert report.counts_text(s) == (f"{OPT_OUT - 2}/{OPT_OUT} requirements passed, 1 failed, 1 not checked; "
                                     f"{OTHERS} requirements of other profiles not selected")
    everything = build([r for p in CAT.profiles for r in passing(p)], sorted(CAT.profiles))["summary"]
    assert report.counts_text(everything) == f"{len(CAT.requirements)}/{len(CAT.requirements)} requirements passed"


def test_the_html_report_counts_the_selected_profiles_and_folds_away_the_others():
    html = report.render_html(build(passing("opt_out_keywords"), ["opt_out_keywords"]))
    counts = re.search(r'<span id="counts">(.*?)</span>', html).group(1)
    assert counts == f"{OPT_OUT}/{OPT_OUT} requirements passed; {OTHERS} requirements of other profiles not selected"
    folded = html[html.index('<details id="not-selected">'):]
    assert f"{OTHERS} requirements of other profiles, not selected in this run: " in folded
    assert "<h3>contact_centre (not selected)</h3>" in folded and "<h3>opt_out_keywords</h3>" not in folded
    assert "not applicable" not in html.lower().split('<section id="matrix">')[0]


def test_a_must_requirement_failed_only_at_should_says_so_and_that_it_does_not_block(capsys):
    """"FAILED OPT-BATCH-HOURLY (MUST):" came from batch-hourly, a SHOULD-level reading, in a PARTIAL run."""
    results = passing("opt_out_keywords") + [
        result("batch-hourly", ["OPT-BATCH-HOURLY"], "FAILED", levels={"OPT-BATCH-HOURLY": "SHOULD"},
               failed_step="then[0].events (line 24)", reason="expected 1 events, found 0"),
        result("limits", ["KW-LIMITS"], "FAILED", failed_step="then[0].events (line 9)", reason="found 11")]
    built = build(results, ["opt_out_keywords"])
    cli._print_summary(built, Path("reports/r"))
    out = capsys.readouterr().out
    assert "  FAILED OPT-BATCH-HOURLY (MUST requirement, checked at SHOULD: not blocking): " in out
    assert "  FAILED KW-LIMITS (MUST, blocking): " in out
    html = report.render_html(built)
    assert "OPT-BATCH-HOURLY</a> (MUST requirement, checked at SHOULD: not blocking)" in html
    assert '<p class="level">MUST, blocking</p>' in html
    matrix = html[html.index('<section id="matrix">'):]
    assert "FAILED (MUST requirement, checked at SHOULD: not blocking)</td>" in matrix
    assert "FAILED (MUST, blocking)</td>" in matrix


def test_a_should_requirement_failing_says_it_does_not_block():
    assert report.level_text({"level": "SHOULD", "blocking": False}) == "SHOULD: not blocking"


def test_the_terminal_names_a_check_failed_at_must_level_for_a_blocking_requirement(capsys):
    results = passing("opt_out_keywords") + [
        result("a-should-reading", ["DUP-CAP-10"], "FAILED", levels={"DUP-CAP-10": "SHOULD"}, reason="at SHOULD"),
        result("the-must-check", ["DUP-CAP-10"], "FAILED", reason="at MUST")]
    cli._print_summary(build(results, ["opt_out_keywords"]), Path("reports/r"))
    out = capsys.readouterr().out
    assert "scenarios/the-must-check.yaml:1 the-must-check: at (setup): at MUST" in out and "a-should-reading" not in out
