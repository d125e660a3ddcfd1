"""The three false certificates of issue 7 are impossible: each ran end to end through `smsproof certify`."""

import json
import re

import httpx
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness import servers
from tests.harness.test_cli import ROOT, _run_dir, smsproof


def real_clock_proxy(platform_url: str):
    """The platform at `platform_url`, declaring `"clock": "real"`, as a vendor's staging platform would."""
    client = httpx.AsyncClient(base_url=platform_url, timeout=30)

    async def forward(request):
        if request.url.path == "/driver/v1/capabilities":
            capabilities = (await client.get("/driver/v1/capabilities")).json()
            return JSONResponse({**capabilities, "clock": "real"})
        answer = await client.request(request.method, request.url.path, params=request.query_params,
                                      content=await request.body(), headers={"content-type": "application/json"})
        return Response(answer.content, answer.status_code, media_type=answer.headers.get("content-type"))

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])


def test_a_real_clock_platform_with_must_faults_is_not_certified(tmp_path):
    """Seven MUST faults and `"clock": "real"` gave CERTIFIED with 55 not applicable: never again."""
    target = servers.resolve_platform("reference", "dup_no_cap")
    with servers.running_platform(target) as platform_url, \
            servers.serve(lambda _url: real_clock_proxy(platform_url), "real-clock-proxy") as proxy_url:
        done = smsproof("certify", "--platform", proxy_url, "--profile", "opt_out_keywords", "--reports", str(tmp_path),
                        timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "NOT CERTIFIED" in done.stdout and "opt_out_keywords NOT CERTIFIED" in done.stdout
    built = json.loads((_run_dir(tmp_path) / "report.json").read_text())
    assert built["verdict"] == "NOT CERTIFIED" and built["summary"]["profiles_certified"] == []
    (profile,) = built["profiles"]
    assert profile["failed"] or profile["not_passed"]
    assert "DUP-CAP-10" in profile["failed"] + [item["id"] for item in profile["not_passed"]]


def test_a_platform_offering_no_profile_is_refused_with_exit_4(tmp_path):
    capabilities = {"name": "empty", "version": "0", "providers": ["sinch"], "profiles": [], "clock": "drivable",
                    "workspaces": True}
    app = Starlette(routes=[Route("/driver/v1/capabilities", lambda request: JSONResponse(capabilities))])
    with servers.serve(lambda _url: app, "no-profile-platform") as url:
        done = smsproof("certify", "--platform", url, "--reports", str(tmp_path))
    assert done.returncode == 4, done.stdout + done.stderr
    assert done.stderr.startswith("smsproof: error: the platform offers no certification profile")


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
    assert 'name="smsproof.verdict" value="PARTIAL"' in (run / "junit.xml").read_text()


def test_k_narrows_the_run_too(tmp_path):
    done = smsproof("certify", "--profile", "contact_centre", "-k", "channel", "--reports", str(tmp_path))
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
