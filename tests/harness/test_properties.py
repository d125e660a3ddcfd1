"""The property checks pass on the embedded reference platform and catch the mutants of the rules they check.

The checks are called directly with a `Target` (what the `target` fixture of harness/properties
gives them); each mutant gets its own embedded platform next to one shared instance of the fakes.
"""

import contextlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import hypothesis
import pytest
from hypothesis import Phase, settings

from harness import servers
from harness.properties import test_confirmation as confirmation_checks
from harness.properties import test_keywords as keyword_checks
from harness.properties import test_machine as machine_checks
from harness.properties import test_opt_out as opt_out_checks
from harness.properties import test_segments as segment_checks
from harness.properties.sandbox import Target
from harness.scenario.runner import CheckFailed, Environment

PROPERTIES = Path(machine_checks.__file__).parent


@pytest.fixture(scope="module")
def fakes_url():
    with servers.running_fakes() as url:
        yield url


@contextlib.contextmanager
def platform(fakes_url: str, mutant: str | None = None):
    with servers.running_platform(servers.resolve_platform("reference", mutant)) as url:
        env = Environment.connect(url, fakes_url)
        try:
            yield Target(env)
        finally:
            env.close()


@pytest.fixture(scope="module")
def reference(fakes_url):
    with platform(fakes_url) as target:
        yield target


# (check, its keyword arguments besides the target) -- one per requirement family.
CHECKS = {
    "keyword_case": (keyword_checks.test_keyword_case, {}),
    "keyword_accents": (keyword_checks.test_keyword_accents, {}),
    "keyword_prefix": (keyword_checks.test_keyword_prefix, {}),
    "keyword_limits": (keyword_checks.test_keyword_limits, {}),
    "phone_forms": (opt_out_checks.test_phone_forms_are_one_identity, {}),
    "duplicates_cap": (opt_out_checks.test_duplicate_profiles, {"aspect": "cap"}),
    "duplicates_incoming": (opt_out_checks.test_duplicate_profiles, {"aspect": "incoming"}),
    "batch_hourly": (opt_out_checks.test_reply_relative_to_batch, {"aspect": "OPT-BATCH-HOURLY"}),
    "enqueue_failed": (opt_out_checks.test_reply_relative_to_batch, {"aspect": "OPT-ENQUEUE-FAILED"}),
    "legitimate_interest": (opt_out_checks.test_legitimate_interest_blocks_new_profiles, {}),
    "confirmation_prohibited": (confirmation_checks.test_confirmation_by_country, {"policy": "prohibited"}),
    "segments_extended": (segment_checks.test_extension_characters_count_two, {}),
    "segments_max_parts": (segment_checks.test_max_parts, {}),
    "duplicates_all": (opt_out_checks.test_duplicate_profiles, {"aspect": "all"}),
    "blacklist_immediate": (opt_out_checks.test_reply_relative_to_batch, {"aspect": "OPT-BLACKLIST-IMMEDIATE"}),
    "delivered_twice": (opt_out_checks.test_reply_delivered_twice, {}),
    "opt_out_disabled": (opt_out_checks.test_two_way_settings, {"aspect": "opt_out"}),
    "incoming_tracked": (opt_out_checks.test_two_way_settings, {"aspect": "tracked"}),
    "incoming_fields": (opt_out_checks.test_reply_relative_to_batch, {"aspect": "IN-EVENT-FIELDS"}),
    "confirmation_mandatory": (confirmation_checks.test_confirmation_by_country, {"policy": "mandatory"}),
    "replies_blacklisted": (opt_out_checks.test_replies_in_one_hour, {"aspect": "OPT-BLACKLIST-IMMEDIATE"}),
    "replies_processed": (opt_out_checks.test_replies_in_one_hour, {"aspect": "OPT-BATCH-HOURLY"}),
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_check_passes_on_the_reference(reference, name):
    check, kwargs = CHECKS[name]
    check(target=reference, **kwargs)


@pytest.mark.parametrize("mutant, name", [
    ("kw_case_sensitive", "keyword_case"),
    ("kw_accent_sensitive", "keyword_accents"),
    ("kw_match_anywhere", "keyword_prefix"),
    ("kw_limits_unchecked", "keyword_limits"),
    ("phone_forms_strict", "phone_forms"),
    ("dup_no_cap", "duplicates_cap"),
    ("incoming_to_oldest_profile", "duplicates_incoming"),
    ("consent_events_at_once", "batch_hourly"),
    ("blacklist_ignored_on_send", "enqueue_failed"),
    ("li_no_new_profile_block", "legitimate_interest"),
    ("confirmation_prohibited_sent", "confirmation_prohibited"),
    ("seg_extended_counted_once", "segments_extended"),
    ("max_parts_9", "segments_max_parts"),
    # issue 7: wrong behaviours that certified before, now caught by the properties too
    ("transactional_ignores_blacklist", "blacklist_immediate"),
    ("rejects_only_to_consenting", "duplicates_all"),
    ("cap_counts_consenting_only", "duplicates_cap"),
    ("ordinary_reply_to_oldest", "duplicates_incoming"),
    ("last_sms_is_first_sms", "duplicates_incoming"),
    ("last_sms_campaigns_only", "duplicates_incoming"),
    ("opt_out_while_disabled", "opt_out_disabled"),
    ("ordinary_replies_not_tracked", "incoming_tracked"),
    ("incoming_tracked_when_disabled", "incoming_tracked"),
    ("li_creation_consent_is_explicit", "legitimate_interest"),
    ("kw_pattern_match", "keyword_prefix"),
    ("confirmation_region_by_calling_code", "confirmation_prohibited"),
    ("confirmation_country_of_inbound_number", "confirmation_mandatory"),
    ("seg_escape_pair_split", "segments_extended"),
    ("duplicate_callbacks_processed", "delivered_twice"),
    ("blacklist_lookup_raw_phone", "enqueue_failed"),
    ("opt_out_reply_from_unknown_phone_ignored", "replies_blacklisted"),
    ("batch_first_reply_only", "replies_processed"),
    ("phone_match_by_national_number", "phone_forms"),
    ("incoming_sender_recipient_swapped", "incoming_fields"),
    ("incoming_recipient_is_sender", "incoming_fields"),
])
def test_check_catches_the_mutant_of_its_rule(fakes_url, mutant, name, monkeypatch):
    check, kwargs = CHECKS[name]
    _without_shrinking(check, monkeypatch)
    with platform(fakes_url, mutant) as target, pytest.raises(CheckFailed):
        check(target=target, **kwargs)


def _without_shrinking(check, monkeypatch) -> None:
    """Detection is the point here, not the minimal example (test_a_failing_check_reports_the_shrunk_example_and_evidence
    covers shrinking): shrinking a failing keyword_limits example of ~100 keywords over HTTP took up to ~170 s."""
    checked = check._hypothesis_internal_use_settings  # what @settings set; Hypothesis reads it at call time
    phases = tuple(p for p in checked.phases if p is not Phase.shrink)
    monkeypatch.setattr(check, "_hypothesis_internal_use_settings", settings(checked, phases=phases))


# Detection does not depend on the seed: each rule's boundary cases are explicit examples, run first in
# every run. A few mutants, three seeds each (what `--hypothesis-seed` / `smsproof certify --seed` set).
SEEDS = (1, 2, 3)
SEEDED_MUTANTS = [("last_sms_is_first_sms", "duplicates_incoming"), ("kw_pattern_match", "keyword_prefix"),
                  ("confirmation_region_by_calling_code", "confirmation_prohibited"),
                  ("duplicate_callbacks_processed", "delivered_twice")]


@pytest.mark.parametrize("mutant, name", SEEDED_MUTANTS)
def test_checks_catch_the_mutant_whatever_the_seed(fakes_url, mutant, name):
    check, kwargs = CHECKS[name]
    with platform(fakes_url, mutant) as target:
        for seed in SEEDS:
            hypothesis.seed(seed)(check)
            try:
                with pytest.raises(CheckFailed):
                    check(target=target, **kwargs)
            finally:
                check._hypothesis_internal_use_seed = None


# The state machine: derandomized so that the sequences (and this test) are the same on every run.
MACHINE = settings(machine_checks.MACHINE_SETTINGS, max_examples=6, derandomize=True, database=None,
                   phases=(Phase.explicit, Phase.generate))
HUNT = settings(MACHINE, max_examples=40)  # stops at the first failing run


@pytest.mark.parametrize("check", ["no_sms_before_batch", "each_reply_processed_once", "at_most_ten_profiles_per_reply"])
def test_machine_invariants_hold_on_the_reference(reference, check):
    machine_checks.run_machine(reference, check, MACHINE)


@pytest.mark.parametrize("mutant, check", [
    ("blacklist_ignored_on_send", "no_sms_before_batch"),
    ("duplicate_callbacks_processed", "each_reply_processed_once"),
    ("dup_no_cap", "at_most_ten_profiles_per_reply"),
])
def test_machine_catches_the_mutant(fakes_url, mutant, check):
    with platform(fakes_url, mutant) as target, pytest.raises(CheckFailed):
        machine_checks.run_machine(target, check, HUNT)


def _pytest(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """A pytest run of its own (not an xdist worker, whatever runs this test: it writes results-main.jsonl)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT"))}
    from harness.cli import UNUSED_PLUGINS  # as certify runs them

    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *UNUSED_PLUGINS, *args],
                          cwd=cwd, capture_output=True, text=True, timeout=300, env={**inherited, **env})


@pytest.mark.slow(3)
def test_collected_by_path_they_write_verdicts_per_requirement(tmp_path):
    """What certify relies on: results lines with requirements and verdicts, NOT APPLICABLE when not selected."""
    results = tmp_path / "results"
    run = _pytest(str(PROPERTIES / "test_confirmation.py"), "--smsproof-examples", "2", "--smsproof-results", str(results),
                  f"--junitxml={tmp_path / 'junit.xml'}", "--hypothesis-show-statistics", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("Stopped because settings.max_examples=2") == 3  # the --examples knob
    lines = [json.loads(line) for line in (results / "results-main.jsonl").read_text().splitlines()]
    assert {(tuple(r["requirements"]), r["verdict"]) for r in lines} == {
        (("CONF-MANDATORY",), "PASSED"), (("CONF-OPTIONAL",), "PASSED"), (("CONF-PROHIBITED",), "PASSED")}
    assert all(r["name"].startswith("property:") and r["file"].endswith("test_confirmation.py") for r in lines)
    assert 'name="requirements" value="CONF-MANDATORY"' in (tmp_path / "junit.xml").read_text()

    skipped = _pytest(str(PROPERTIES / "test_confirmation.py"), "--smsproof-profile", "campaign_sending",
                      "--smsproof-results", str(tmp_path / "skipped"), cwd=tmp_path)
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    verdicts = [json.loads(line) for line in (tmp_path / "skipped" / "results-main.jsonl").read_text().splitlines()]
    assert {r["verdict"] for r in verdicts} == {"NOT APPLICABLE"}
    assert all(r["reason"] == "profile sms_processes not selected" for r in verdicts)


def test_checks_can_be_narrowed_to_requirements(tmp_path):
    run = _pytest(str(PROPERTIES), "--smsproof-examples", "1", "--smsproof-results", str(tmp_path), cwd=tmp_path,
                  SMSPROOF_REQUIREMENTS="CONF-OPTIONAL, KW-CATEGORIES")
    assert run.returncode == 0, run.stdout + run.stderr
    lines = [json.loads(line) for line in (tmp_path / "results-main.jsonl").read_text().splitlines()]
    assert sorted(r["requirements"][0] for r in lines) == ["CONF-OPTIONAL", "KW-CATEGORIES"]


# Hypothesis says "Falsifying example" up to 6.15x and "Failing test case" in later releases; a failing
# explicit example (a rule's boundary case) is "Falsifying explicit example".
FAILING_EXAMPLE = re.compile(r"(Falsifying (explicit )?example|Failing test case): test_keyword_limits\(")


def test_a_failing_check_reports_the_example_and_evidence_and_saves_nothing(tmp_path):
    results = tmp_path / "results"
    args = (str(PROPERTIES / "test_keywords.py"), "-k", "test_keyword_limits", "--smsproof-mutant", "kw_limits_unchecked",
            "--smsproof-results", str(results))
    run = _pytest(*args, cwd=tmp_path, **{"SMSPROOF_HYPOTHESIS_DB": ""})
    assert run.returncode == 1
    assert FAILING_EXAMPLE.search(run.stdout), run.stdout[-3000:]
    result, = [json.loads(line) for line in (results / "results-main.jsonl").read_text().splitlines()]
    assert result["verdict"] == "FAILED" and result["requirements"] == ["KW-LIMITS"]
    assert result["expected"] == "422 at two_way.keywords" and result["observed"] == "accepted"  # no traceback text
    assert result["steps"] and all(step["section"] == "example" for step in result["steps"])  # the shrunk example
    configured = [step["spec"]["two_way"]["keywords"] for step in result["steps"] if step["kind"] == "configure"]
    assert any(len(keywords) > 100 or any(len(k) > 20 for k in keywords) for keywords in configured), result["steps"]
    assert any(e["method"] == "PUT" and e["url"].endswith("/config") for e in result["exchanges"])
    # No example database: nothing an earlier run failed on is replayed by the next one.
    assert not [p for p in tmp_path.rglob("*") if "examples" in p.parts or "smsproof" in p.parts]
