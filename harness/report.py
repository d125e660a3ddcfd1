"""Verdicts per requirement from scenario results, and the report files (report.json, report.html).

A requirement is FAILED when any of its checks failed (blocking when one failed at MUST level),
PASSED when at least one check passed and none failed, NOT APPLICABLE when its profile is not
offered or not selected, and NOT CHECKED when no check of the suite ran for it. Nothing without a
passing check is ever reported PASSED. The HTTP exchanges and timelines are kept for failures only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from harness import SUITE_VERSION, catalogue

PASSED, FAILED, NOT_APPLICABLE, NOT_CHECKED = "PASSED", "FAILED", "NOT APPLICABLE", "NOT CHECKED"
TEMPLATE = Path(__file__).with_name("report.html")


@dataclass
class RequirementVerdict:
    id: str
    profile: str
    level: str
    title: str
    verdict: str
    blocking: bool = False
    reason: str = ""
    evidence: list[dict] = field(default_factory=list)


def read_results(results_dir: Path) -> list[dict]:
    results = []
    for path in sorted(results_dir.glob("results-*.jsonl")):
        results += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return sorted(results, key=lambda r: (r["file"], r["name"]))


def verdicts(results: list[dict], cat: catalogue.Catalogue, offered_profiles: set[str],
             selected_profiles: set[str] | None = None) -> list[RequirementVerdict]:
    by_requirement: dict[str, list[dict]] = {r: [] for r in cat.requirements}
    for result in results:
        for requirement in result["requirements"]:
            by_requirement.setdefault(requirement, []).append(result)
    out = []
    for requirement in cat.requirements.values():
        runs = by_requirement[requirement.id]
        evidence = [{"scenario": r["name"], "file": r["file"], "line": r["line"], "verdict": r["verdict"],
                     "level": (r.get("levels") or {}).get(requirement.id, requirement.level),
                     "reason": r.get("reason", ""), "failed_step": r.get("failed_step")} for r in runs]
        verdict = RequirementVerdict(requirement.id, requirement.profile, requirement.level, requirement.title,
                                     NOT_CHECKED, evidence=evidence)
        failed = [e for e in evidence if e["verdict"] in (FAILED, "ERROR")]
        if selected_profiles and requirement.profile not in selected_profiles:
            verdict.verdict, verdict.reason = NOT_APPLICABLE, f"profile {requirement.profile} not selected"
        elif requirement.profile not in offered_profiles:
            verdict.verdict, verdict.reason = NOT_APPLICABLE, f"profile {requirement.profile} not offered by the platform"
        elif failed:
            verdict.verdict = FAILED
            verdict.blocking = any(e["level"] == "MUST" for e in failed)
            verdict.reason = f"{len(failed)} of {len(evidence)} checks failed"
        elif any(e["verdict"] == PASSED for e in evidence):
            verdict.verdict = PASSED
            verdict.reason = f"{sum(e['verdict'] == PASSED for e in evidence)} checks passed"
        elif any(e["verdict"] == NOT_CHECKED for e in evidence):  # e.g. past the real-time budget
            verdict.reason = next(e["reason"] for e in evidence if e["verdict"] == NOT_CHECKED)
        elif evidence:
            verdict.verdict, verdict.reason = NOT_APPLICABLE, evidence[0]["reason"]
        else:
            verdict.reason = "no check of the suite covers it yet"
        out.append(verdict)
    return out


def summary(requirement_verdicts: list[RequirementVerdict], results: list[dict]) -> dict[str, Any]:
    counts = {v: sum(r.verdict == v for r in requirement_verdicts) for v in (PASSED, FAILED, NOT_APPLICABLE, NOT_CHECKED)}
    blocking = [r.id for r in requirement_verdicts if r.blocking]
    contract = sorted({p for r in results for p in r.get("contract_problems") or []})
    return {**counts, "blocking_failures": blocking, "certified": not blocking, "contract_problems": contract}


def build(*, run_id: str, started_at: str, duration_s: float, platform: dict, options: dict, files: dict,
          results: list[dict], cat: catalogue.Catalogue, selected_profiles: set[str] | None) -> dict:
    offered = set((platform.get("capabilities") or {}).get("profiles") or [])
    requirement_verdicts = verdicts(results, cat, offered, selected_profiles)
    return {
        "suite_version": SUITE_VERSION,
        "run_id": run_id,
        "started_at": started_at,
        "duration_s": round(duration_s, 2),
        "platform": platform,
        "options": options,
        "files": files,
        "summary": summary(requirement_verdicts, results),
        "requirements": [vars(v) for v in requirement_verdicts],
        "scenarios": [r if r["verdict"] in (FAILED, "ERROR") else {**r, "exchanges": [], "timeline": []} for r in results],
    }


def write(report: dict, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    (directory / "report.html").write_text(render_html(report), encoding="utf-8")


def render_html(report: dict) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["pretty"] = lambda value: json.dumps(value, indent=2, ensure_ascii=False, default=str)
    profiles: dict[str, list[dict]] = {}
    for requirement in report["requirements"]:
        profiles.setdefault(requirement["profile"], []).append(requirement)
    failures = [s for s in report["scenarios"] if s["verdict"] in (FAILED, "ERROR")]
    return env.from_string(TEMPLATE.read_text(encoding="utf-8")).render(report=report, profiles=profiles, failures=failures)
