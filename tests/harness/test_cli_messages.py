"""The CLI's messages as a vendor meets them certifying a fresh platform: one line, the documented exit code."""

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from harness import servers
from harness.cli import EXIT_CAPABILITY, EXIT_USAGE, load_scenarios, main
from harness.scenario.loader import DEFAULT_SCENARIOS

ROOT = Path(__file__).resolve().parents[2]
ONE_SCENARIO = ROOT / "scenarios" / "keywords" / "keyword-limits.yaml"
CLOCK_ANSWERS = {  # what a fresh platform's GET .../clock answers, and what the one line then says of it
    "missing": (PlainTextResponse("Not Found", 404), "answered 404; implement it or declare 'drivable'"),
    "text": (PlainTextResponse("<html>it is noon</html>"),
             "answered '<html>it is noon</html>', not {\"now\": an ISO 8601 timestamp}; implement it or declare 'drivable'"),
    "shape": (JSONResponse({"time": "2026-01-05T10:00:00Z"}),
              "answered '{\"time\": \"2026-01-05T10:00:00Z\"}', not {\"now\": an ISO 8601 timestamp}"),
    "not-a-time": (JSONResponse({"now": "noon"}), "answered '{\"now\": \"noon\"}', not {\"now\": an ISO 8601 timestamp}"),
}


class FreshPlatform:
    """A platform as a vendor starts one: capabilities and workspaces, the clock not (yet) right."""

    def __init__(self):
        self.clock, self.clock_answer = "real", PlainTextResponse("", 404)
        self.workspace_answer = JSONResponse({"workspace": "w1", "webhooks": {}}, 201)
        self.app = Starlette(routes=[
            Route("/driver/v1/capabilities", lambda request: JSONResponse(
                {"profiles": ["opt_out_keywords"], "providers": ["sinch"], "workspaces": True,
                 **({"clock": self.clock} if self.clock else {})})),
            Route("/driver/v1/workspaces", lambda request: self.workspace_answer, methods=["POST"]),
            Route("/driver/v1/workspaces/{ws}", lambda request: Response(status_code=204), methods=["DELETE"]),
            Route("/driver/v1/workspaces/{ws}/clock", lambda request: self.clock_answer),
        ])

    def answer(self, clock_answer: Response, clock: str | None = "real") -> "FreshPlatform":
        self.clock_answer, self.clock = clock_answer, clock
        return self


@pytest.fixture(scope="module")
def fakes_url():
    with servers.running_fakes() as url:
        yield url


@pytest.fixture(scope="module")
def fresh():
    platform = FreshPlatform()
    with servers.serve(lambda _url: platform.app, "fresh-platform") as url:
        platform.url = url
        yield platform


def certify(fresh, fakes_url, tmp_path, *more):
    """certify the fresh platform in-process, on one scenario (loading them all costs a second)."""
    return main(["certify", "--platform", fresh.url, "--fakes", fakes_url, "--reports", str(tmp_path),
                 "--scenarios", str(ONE_SCENARIO), *more])


@pytest.mark.parametrize("answer", sorted(CLOCK_ANSWERS))
def test_a_real_clock_that_cannot_be_read_is_one_line_and_exit_4(answer, fresh, fakes_url, tmp_path, capsys):
    response, says = CLOCK_ANSWERS[answer]
    code, url = certify(fresh.answer(response), fakes_url, tmp_path), fresh.url
    err = capsys.readouterr().err
    assert code == EXIT_CAPABILITY, err
    assert err.startswith("smsproof: error: capabilities.clock is 'real', so this is a real-time run and it reads the "
                          f"platform's clock: GET {url}/driver/v1/workspaces/w1/clock {says}"), err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_a_forced_real_time_run_says_so_and_how_to_undo_it(fresh, fakes_url, tmp_path, capsys):
    code = certify(fresh.answer(PlainTextResponse("", 404), clock="drivable"), fakes_url, tmp_path, "--real-time")
    url = fresh.url
    err = capsys.readouterr().err
    assert code == EXIT_CAPABILITY
    assert err == ("smsproof: error: --real-time was given, so this is a real-time run and it reads the platform's "
                   f"clock: GET {url}/driver/v1/workspaces/w1/clock answered 404; implement it or run without "
                   "--real-time\n")


def test_no_clock_declared_is_named_as_missing(fresh, fakes_url, tmp_path, capsys):
    code = certify(fresh.answer(PlainTextResponse("", 404), clock=None), fakes_url, tmp_path)
    assert code == EXIT_CAPABILITY
    assert capsys.readouterr().err.startswith("smsproof: error: capabilities.clock is missing, so this is a real-time run")


def test_a_scenario_path_from_the_docs_outside_a_checkout_runs_the_shipped_copy(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # a vendor's own directory: no scenarios/ here
    assert main(["list", "scenarios", "--scenarios", "scenarios/keywords/keyword-limits.yaml"]) == 0
    out, err = capsys.readouterr()
    shipped = DEFAULT_SCENARIOS / "keywords" / "keyword-limits.yaml"
    assert out.startswith("keyword-limits") and str(shipped) in out
    assert err == f"smsproof: scenarios/keywords/keyword-limits.yaml is not under {tmp_path}: using the shipped {shipped}\n"
    assert load_scenarios(["keywords/keyword-limits.yaml"])[0] == [str(shipped)]  # relative to scenarios/ too


def test_a_scenario_path_found_nowhere_names_the_directory_and_suggests_k(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["certify", "--scenarios", "scenarios/keywords/keyword-limit.yaml"]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        f"smsproof: error: no scenarios at scenarios/keywords/keyword-limit.yaml (neither under the current directory "
        f"{tmp_path} nor under the shipped scenarios); to run a shipped scenario by name use -k NAME "
        "(`smsproof list scenarios` names them)\n")
    assert main(["certify", "--scenarios", str(tmp_path / "none.yaml")]) == EXIT_USAGE
    assert capsys.readouterr().err == f"smsproof: error: no scenarios at {tmp_path / 'none.yaml'}\n"


def test_a_scratch_workspace_the_real_time_run_cannot_create_is_one_line_and_exit_4(fresh, fakes_url, tmp_path, capsys):
    fresh.answer(JSONResponse({"now": "2026-01-05T10:00:00Z"}))
    for answer, says in [(PlainTextResponse("nope", 500), "answered 500"),
                         (JSONResponse({"id": "w1"}, 201), "answered '{\"id\": \"w1\"}', not {\"workspace\": id}")]:
        fresh.workspace_answer = answer
        try:
            code = certify(fresh, fakes_url, tmp_path)
        finally:
            fresh.workspace_answer = JSONResponse({"workspace": "w1", "webhooks": {}}, 201)
        err = capsys.readouterr().err
        assert code == EXIT_CAPABILITY
        assert err == ("smsproof: error: capabilities.clock is 'real', so this is a real-time run and it reads the "
                       f"platform's clock in a scratch workspace: POST {fresh.url}/driver/v1/workspaces {says}\n")
