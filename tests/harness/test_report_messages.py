"""How a run's counts and failures are worded: what a vendor reads in the verdict line and the reports."""

import re

from harness import report
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
