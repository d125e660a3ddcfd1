"""A platform that integrates only CM.com or only Instasent is certified through the provider it declares:
the checks not about one provider's own format go through the platform's provider, the report says which,
and the checks still catch faults through it. A Sinch platform runs as it always did."""

import json
from pathlib import Path

import pytest

from harness import report, servers
from harness.fakes_client import Fakes
from harness.scenario.loader import load_file, load_paths
from harness.scenario.runner import FAILED, NOT_APPLICABLE, PASSED, Environment, providers_used, run_scenario
from reference_platform.adapter import platform as reference
from tests.harness.test_cli import ROOT, _main, _run_dir, capabilities_platform, smsproof

SCENARIOS = ROOT / "scenarios"


def declaring_only(provider: str, mutant: str | None = None):
    """An app factory: the reference platform, but its capabilities declare `provider` alone (a platform
    that integrates only that provider; the reference would still answer the others, nobody asks it to)."""
    def factory(base_url: str):
        app = reference.create_app(mutant=mutant, base_url=base_url)

        async def narrowed(scope, receive, send):
            if scope["type"] != "http" or scope["path"].rstrip("/") != "/driver/v1/capabilities":
                return await app(scope, receive, send)
            start: dict = {}

            async def rewrite(message):
                if message["type"] == "http.response.start":
                    start.update(message)
                    return
                body = json.dumps({**json.loads(message["body"]), "providers": [provider]}).encode()
                headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
                await send({**start, "headers": headers + [(b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
            await app(scope, receive, rewrite)
        return narrowed
    return factory


def _certify_declaring_only(provider: str, profile: str, reports: Path):
    with servers.serve(declaring_only(provider), f"{provider}-only-platform") as url:
        done = smsproof("certify", "--platform", url, "--profile", profile, "--workers", "1",
                        "--reports", str(reports), timeout=300)
    run = _run_dir(reports)
    return done, json.loads((run / "report.json").read_text()), run


@pytest.mark.slow(8)
def test_a_cm_only_platform_is_certified_for_opt_out_keywords_through_cm(tmp_path):
    """Before, 16 of its 20 MUST requirements were NOT APPLICABLE (every check spoke Sinch)."""
    done, built, run = _certify_declaring_only("cm", "opt_out_keywords", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.splitlines()[-1]
    assert " opt_out_keywords CERTIFIED; 22/23 requirements passed, 1 not applicable; " in last
    assert "; checked through cm (" in last and "sinch" not in last
    assert built["summary"]["platform_provider"] == "cm" and list(built["summary"]["checked_through"]) == ["cm"]
    ran = [s for s in built["scenarios"] if s["verdict"] == PASSED]
    assert {tuple(s["providers"]) for s in ran} <= {("cm",), ()}
    assert any(s["name"].startswith("property:") and s["providers"] == ["cm"] for s in ran)  # the Hypothesis checks too
    assert any(s["name"].startswith("keyword-configured-in-capitals[") and s["providers"] == ["cm"] for s in ran)
    verdicts = {r["id"]: r for r in built["requirements"] if r["profile"] == "opt_out_keywords"}
    # the one about Sinch's webhook signature (a SHOULD) stays Sinch's, honestly not applicable
    assert [r for r in verdicts if verdicts[r]["verdict"] != PASSED] == ["IN-SIGNATURE"]
    assert verdicts["IN-SIGNATURE"]["verdict"] == NOT_APPLICABLE
    assert verdicts["IN-SIGNATURE"]["reason"] == "provider sinch not supported by the platform"
    assert all(e["providers"] == ["cm"] for e in verdicts["KW-CASE"]["evidence"])
    html = (run / "report.html").read_text()
    assert "went through\n<b>cm</b>, the platform's provider" in html and ", through cm)" in html
    assert 'name="smsproof.platform_provider" value="cm"' in (run / "junit.xml").read_text()


@pytest.mark.slow(4)
def test_an_instasent_only_platform_is_certified_for_sms_processes_through_instasent(tmp_path):
    """Short codes, shared short codes with provider keywords and the replies of the processes, all through Instasent."""
    done, built, _ = _certify_declaring_only("instasent", "sms_processes", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " sms_processes CERTIFIED; 12/12 requirements passed; " in done.stdout.splitlines()[-1]
    assert built["summary"]["platform_provider"] == "instasent"
    assert list(built["summary"]["checked_through"]) == ["instasent"]
    shared = [s for s in built["scenarios"] if s["name"] == "process-shared-code-help-per-keyword"]
    assert [(s["verdict"], s["providers"]) for s in shared] == [(PASSED, ["instasent"])]


# A mutant of each kind of rule, caught through each provider by the checks of its requirement (the
# checks hold through CM.com and Instasent, they do not merely pass there).
MUTANTS = ["kw_case_sensitive", "blacklist_at_batch", "dup_no_cap", "duplicate_callbacks_processed",
           "malformed_callbacks_accepted", "shared_code_keyword_first", "paused_process_acts",
           "confirmation_prohibited_sent", "delivery_reports_ignored", "bounce_not_recorded", "cc_no_queue_timeout"]


@pytest.fixture(scope="module")
def fakes_url():
    with servers.running_fakes() as url:
        yield url


@pytest.mark.parametrize("provider", ["cm", "instasent"])
def test_mutants_are_caught_through_the_providers_own_api(fakes_url, provider):
    scenarios = load_paths([SCENARIOS])
    missed = []
    for mutant in MUTANTS:
        requirement = next(m.requirement for m in reference.mutants() if m.name == mutant)
        chosen = [s for s in scenarios if requirement in s.requirements]
        with servers.serve(declaring_only(provider, mutant), "mutant") as url:
            env = Environment.connect(url, fakes_url)
            try:
                results = [run_scenario(s, env) for s in chosen]
            finally:
                env.close()
        caught = [r for r in results if r.verdict == FAILED]
        if not caught or any(r.providers not in ([provider], []) for r in caught):
            missed.append(mutant)
    assert not missed


def test_provider_placeholder_binds_to_the_platforms_provider():
    (scenario,) = load_file(SCENARIOS / "keywords" / "keyword-configured-in-capitals.yaml")[:1]
    assert scenario.follows_platform and scenario.provider == "sinch"  # loaded, listed and validated as Sinch
    assert providers_used(scenario) == {"sinch"}
    through_cm = scenario.through("cm")
    assert providers_used(through_cm) == {"cm"} and through_cm.provider == "cm" and through_cm.name == scenario.name
    assert through_cm.given["numbers"][0]["provider"] == "cm" and through_cm.given["config"]["default_provider"] == "cm"
    assert scenario.through("sinch") is scenario


def test_an_example_binding_the_provider_keeps_it():
    by_name = {s.name: s for s in load_file(SCENARIOS / "inbound" / "malformed-callback.yaml")}
    assert by_name["inbound-malformed-callback[not JSON]"].follows_platform
    sinch_shaped = by_name["inbound-malformed-callback[MO without sender]"]
    assert not sinch_shaped.follows_platform and sinch_shaped.through("cm") is sinch_shaped
    (each,) = [s for s in load_file(SCENARIOS / "providers" / "default-provider.yaml") if s.name.endswith("[instasent]")]
    assert not each.follows_platform and providers_used(each) == {"instasent"}


@pytest.mark.parametrize("declared, chosen", [
    (["sinch", "cm", "instasent"], "sinch"), (["instasent", "sinch"], "sinch"), (["instasent", "cm"], "cm"),
    (["instasent"], "instasent"), ([], None), (["vonage"], None)])
def test_the_platforms_provider_is_sinch_when_declared_else_cm_else_instasent(declared, chosen):
    env = Environment(driver=None, fakes=Fakes("http://127.0.0.1:9"), capabilities={"providers": declared})
    try:
        assert env.platform_provider == chosen
    finally:
        env.fakes.close()


def test_a_platform_without_a_provider_the_fakes_serve_gets_not_applicable_naming_sinch(env):
    narrowed = Environment(env.driver, env.fakes, {**env.capabilities, "providers": ["vonage"]}, env.fake_providers,
                           env.account_prefix)
    (scenario,) = load_file(SCENARIOS / "keywords" / "keyword-configured-in-capitals.yaml")[:1]
    result = run_scenario(scenario, narrowed)
    assert (result.verdict, result.reason) == (NOT_APPLICABLE, "provider sinch not supported by the platform")


def test_the_summary_names_the_providers_the_checks_went_through():
    results = [{"verdict": PASSED, "providers": ["cm"], "follows_platform": True},
               {"verdict": FAILED, "providers": ["cm"], "follows_platform": True},
               {"verdict": PASSED, "providers": ["sinch", "cm"]},
               {"verdict": PASSED, "providers": ["instasent"]},
               {"verdict": NOT_APPLICABLE, "providers": ["sinch"]},  # did not run: not counted
               {"verdict": PASSED, "providers": []}]  # a configuration check: no provider
    assert report.checked_through(results) == ("cm", {"cm": 3, "instasent": 1, "sinch": 1})
    summary = report.summary([], results, [], narrowed=False)
    assert report.providers_text(summary) == "checked through cm (3 checks), instasent (1), sinch (1)"
    assert report.providers_text({"checked_through": {}}) == "checked through no provider"


def test_provider_option_checks_a_multi_provider_platform_through_the_one_chosen(tmp_path):
    done = smsproof("certify", "--provider", "cm", "--scenarios", str(SCENARIOS / "keywords" / "keyword-configured-in-capitals.yaml"),
                    "--reports", str(tmp_path))
    assert done.returncode == 5, done.stdout + done.stderr  # a narrowed run: PARTIAL
    assert "; checked through cm (" in done.stdout.splitlines()[-1]
    built = json.loads((_run_dir(tmp_path) / "report.json").read_text())
    assert built["options"]["provider"] == "cm" and built["summary"]["platform_provider"] == "cm"
    assert {tuple(s["providers"]) for s in built["scenarios"]} == {("cm",)}


def test_provider_option_naming_a_provider_the_platform_does_not_declare_is_exit_4(tmp_path, capsys):
    capabilities = {"name": "sinch-only", "version": "0", "providers": ["sinch"], "profiles": ["opt_out_keywords"],
                    "clock": "drivable", "workspaces": True}
    with capabilities_platform(capabilities) as url:
        code, out, err = _main(capsys, "certify", "--platform", url, "--provider", "cm", "--reports", str(tmp_path))
    assert code == 4, out + err
    assert err == "smsproof: error: the platform does not declare provider 'cm' (capabilities.providers: sinch)\n"
