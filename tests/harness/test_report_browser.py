"""report.html read as a QA engineer reads it: in a real browser (Debian's chromium, driven by Playwright).

Skipped, with the reason, where Playwright or chromium is missing; `.ci/run` installs both.
"""

import shutil

import pytest

from harness import catalogue, report

playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[test]')")
CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser"))), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")

CAT = catalogue.default()
SUITE = {"smsproof_version": "0.1.0", "hash": "ab" * 32, "files": 3}
CM_204 = "cm mo callback answered 204, which cm does not take as the acknowledgement: it retries"


def exchange(phase, method="GET", url="http://127.0.0.1:9/driver/v1/workspaces/ws_1/events"):
    return {"side": "platform", "method": method, "url": url, "request": None, "status": 200,
            "response": {"events": []}, "at": 1767607200.25, "elapsed_ms": 2.0, "phase": phase}


def check(name, requirement, verdict="PASSED", **extra):
    return {"name": name, "file": f"scenarios/{name}.yaml", "line": 7, "title": f"checks {requirement}",
            "requirements": [requirement], "levels": {requirement: CAT[requirement].level}, "verdict": verdict,
            "reason": "", "failed_step": None, "steps": [], "exchanges": [], "timeline": [], "expected": None,
            "observed": None, "providers": ["cm"], "follows_platform": True, **extra}  # a CM-only platform


@pytest.fixture(scope="module")
def report_page(tmp_path_factory):
    """A run where KW-CASE failed (a scenario and a property) and DUP-CAP-10, resting on it, failed too."""
    results = [check(f"ok-{r.id}", r.id) for r in CAT.by_profile("opt_out_keywords")
               if r.id not in ("KW-CASE", "DUP-CAP-10")]
    results += [
        check("eleven-profiles-cap-10", "DUP-CAP-10", "FAILED", failed_step="then[0].events (line 29)",
              reason="expected 10 events, found 0", expected={"count": 10}, observed={"count": 0},
              exchanges=[exchange("setup", "PUT", "http://127.0.0.1:9/driver/v1/workspaces/ws_1/config"), exchange("check")],
              callback_problems=[CM_204]),
        check("seed-messages-that-opt-out", "KW-CASE", "FAILED", failed_step="then[0].events (line 31)",
              reason="expected 1 events, found 0", expected=[{"reply": "STOP", "opted_out": True}],
              observed=[{"reply": "STOP", "opted_out": False}], exchanges=[exchange("check")],
              timeline=[{"at": "2026-01-05T10:20:00.000Z", "source": "platform", "what": "consent event"}]),
        {**check("property:test_keyword_case", "KW-CASE", "FAILED", reason="wrong opt-out verdict for ['Stop']",
                 failed_step="the minimal falsifying example (2 steps)",
                 expected=[{"reply": "Stop", "opted_out": True}], observed=[{"reply": "Stop", "opted_out": False}]),
         "file": "harness/properties/test_keywords.py",
         "steps": [{"section": "example", "index": 0, "kind": "configure", "spec": {"two_way": {"keywords": ["stop"]}},
                    "line": 1, "status": "ok", "detail": "", "clock": "2026-01-05T10:00:00.000Z"},
                   {"section": "example", "index": 1, "kind": "reply", "spec": {"from": "+33612345678", "body": "Stop"},
                    "line": 2, "status": "ok", "detail": "", "clock": "2026-01-05T10:00:00.000Z"}]},
    ]
    built = report.build(run_id="r1", started_at="2026-11-29T20:00:00+00:00", duration_s=3.2,
                         platform={"name": "acme", "url": "http://127.0.0.1:9", "mutant": None,
                                   "capabilities": {"name": "acme", "version": "2.1", "profiles": ["opt_out_keywords"]}},
                         options={"seed": 42, "narrowed_by": []}, files={}, results=results, cat=CAT,
                         profiles=["opt_out_keywords"], narrowed=False, suite=SUITE)
    directory = tmp_path_factory.mktemp("report")
    report.write(built, directory)
    return (directory / "report.html").as_uri()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, report_page):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(report_page)
    yield page
    page.close()


def test_the_verdict_and_the_first_failure_are_on_the_first_screen(page):
    assert page.locator("#verdict").inner_text().startswith("NOT CERTIFIED")
    assert page.locator("#profiles").inner_text().count("NOT CERTIFIED") == 1
    first_failure = page.locator("#failures nav a").first
    assert first_failure.inner_text() == "KW-CASE"  # the root cause before what it probably caused
    assert first_failure.bounding_box()["y"] < 900
    assert page.locator("#failures").bounding_box()["y"] < page.locator("#matrix").bounding_box()["y"]


def test_a_failure_link_leads_to_its_explanation(page):
    page.locator("#failures nav a", has_text="DUP-CAP-10").click()
    card = page.locator("#fail-DUP-CAP-10")
    assert card.is_visible() and -1 <= card.bounding_box()["y"] < 200  # scrolled to it
    text = card.inner_text()
    assert "Probably caused by KW-CASE" in text
    assert "A maximum of 10 customers with the same phone number will be unsubscribed" in text  # the seed phrase
    assert "scenarios/eleven-profiles-cap-10.yaml:7" in text and "then[0].events (line 29)" in text


def test_expected_against_observed_is_a_diff_without_traceback(page):
    card = page.locator("#fail-KW-CASE")
    assert card.locator(".diff .del", has_text='"opted_out": true').first.is_visible()
    assert card.locator(".diff .add", has_text='"opted_out": false').first.is_visible()
    assert "Traceback" not in page.content()


def test_a_property_failure_shows_its_falsifying_example_as_steps(page):
    steps = page.locator("#fail-KW-CASE table.steps").first
    assert "minimal falsifying example" in steps.inner_text()
    rows = steps.locator("tr")
    assert rows.count() == 3 and "configure" in rows.nth(1).inner_text() and "Stop" in rows.nth(2).inner_text()
    assert "2026-01-05 10:00:00.000 UTC" in rows.nth(1).inner_text()  # readable timestamps


def test_exchanges_are_labelled_and_setup_calls_hidden_by_default(page):
    card = page.locator("#fail-DUP-CAP-10")
    steps_exchanges = card.locator("details.exchanges")
    steps_exchanges.locator("summary").click()
    assert "harness → platform (driver API)" in steps_exchanges.inner_text()
    assert "request GET" in steps_exchanges.inner_text() and "response 200" in steps_exchanges.inner_text()
    setup = card.locator("details.setup-exchanges")
    assert setup.get_attribute("open") is None and not setup.locator(".exchange").first.is_visible()


def test_the_header_names_platform_version_suite_and_seed(page):
    assert page.locator("#platform-url").inner_text() == "http://127.0.0.1:9"
    assert page.locator("#smsproof-version").inner_text() == "0.1.0"
    assert page.locator("#suite-hash").inner_text() == "ab" * 8
    assert page.locator("#seed").inner_text() == "42"
    assert "None" not in page.locator("header").inner_text()


def test_readable_on_a_narrow_screen(browser, report_page):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(report_page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    assert page.locator("#verdict").is_visible()
    page.close()


def test_unacknowledged_callbacks_are_listed_under_conformance(page):
    section = page.locator("#conformance")
    section.scroll_into_view_if_needed()
    assert section.is_visible()
    assert "did not acknowledge" in section.inner_text() and CM_204 in section.inner_text()


def test_the_counts_are_of_the_selected_profiles_and_the_others_are_folded_away(page):
    """`--profile opt_out_keywords` once read "... 40 not applicable": requirements of profiles not selected."""
    total, others = len(CAT.by_profile("opt_out_keywords")), len(CAT.requirements) - len(CAT.by_profile("opt_out_keywords"))
    assert page.locator("#counts").inner_text() == (f"{total - 2}/{total} requirements passed, 2 failed; "
                                                    f"{others} requirements of other profiles not selected")
    folded = page.locator("#not-selected")
    assert folded.locator("summary").inner_text().startswith(f"{others} requirements of other profiles, not selected")
    assert not folded.locator("table").first.is_visible()
    folded.locator("summary").click()
    assert folded.locator("table").first.is_visible()
    assert folded.locator("td.NOT-SELECTED").count() == others


def test_the_provider_the_checks_went_through_is_in_the_header_and_on_each_check(page):
    """A certificate obtained through CM.com alone says so, before anything else is read."""
    header = page.locator("#providers")
    assert header.is_visible() and header.bounding_box()["y"] < page.locator("#failures").bounding_box()["y"]
    checks = len(CAT.by_profile("opt_out_keywords")) - 2 + 3  # every check of the run went through CM
    assert header.inner_text() == (f"Checked through cm ({checks} checks): every check not about one provider's own "
                                   "format went through cm, the platform's provider.")
    assert page.locator("#fail-KW-CASE .through").first.inner_text() == "cm"
    page.locator("#matrix").scroll_into_view_if_needed()
    assert "ok-KW-ACCENT (MUST, through cm)" in page.locator("#matrix").inner_text()
