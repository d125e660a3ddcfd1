"""Verdicts per requirement and per profile from check results, and the report files.

A requirement is FAILED when any of its checks failed (blocking when one failed at MUST level),
PASSED when at least one check passed and none failed, NOT APPLICABLE when its profile is not offered
or no check could run on this platform, NOT CHECKED when no check of the suite ran for it, and NOT
SELECTED when its profile is not among those the run certifies (`--profile`): those are counted apart,
outside the run's scope, so that "23/23 passed" reads as it should.
Nothing without a passing check is ever reported PASSED.

A run certifies the profiles it names. A profile is CERTIFIED only when every MUST requirement in it
was checked at MUST level and PASSED; a MUST requirement that failed, or that no check could decide
(a missing capability or provider, a check that was skipped), leaves it NOT CERTIFIED, with the
reason per requirement. A narrowed run (a scenario path, -k, SMSPROOF_REQUIREMENTS) is PARTIAL at
best: it never certifies. A failure whose prerequisite (catalogue `rests_on`) also failed is reported
as probably caused by it, below the root causes. Exchanges and timelines are kept for failures only.
Each check says which providers it went through; the summary counts the checks run per provider and
names the platform's provider, through which every check not about one provider's format went, so
that a certificate obtained through CM.com only says so.
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jinja2

from harness import SUITE_VERSION, catalogue

PASSED, FAILED, NOT_APPLICABLE, NOT_CHECKED, NOT_SELECTED = "PASSED", "FAILED", "NOT APPLICABLE", "NOT CHECKED", "NOT SELECTED"
IN_SCOPE = (PASSED, FAILED, NOT_APPLICABLE, NOT_CHECKED)  # requirement verdicts of the profiles a run certifies
CERTIFIED, NOT_CERTIFIED, PARTIAL = "CERTIFIED", "NOT CERTIFIED", "PARTIAL"
TEMPLATE = Path(__file__).with_name("report.html")


@dataclass
class RequirementVerdict:
    id: str
    profile: str
    level: str
    title: str
    verdict: str
    blocking: bool = False
    must_passed: bool = False  # a check at MUST level passed and none at MUST level failed
    reason: str = ""
    probable_cause: str | None = None  # a failed requirement this one rests on (catalogue rests_on)
    evidence: list[dict] = field(default_factory=list)


def read_results(results_dir: Path) -> list[dict]:
    results = []
    for path in sorted(results_dir.glob("results-*.jsonl")):
        results += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return sorted(results, key=lambda r: (r["file"], r["name"]))


def verdicts(results: list[dict], cat: catalogue.Catalogue, offered_profiles: set[str],
             named_profiles: set[str] | None = None) -> list[RequirementVerdict]:
    by_requirement: dict[str, list[dict]] = {r: [] for r in cat.requirements}
    for result in results:
        for requirement in result["requirements"]:
            by_requirement.setdefault(requirement, []).append(result)
    out = []
    for requirement in cat.requirements.values():
        runs = by_requirement[requirement.id]
        evidence = [{"scenario": r["name"], "file": r["file"], "line": r["line"], "verdict": r["verdict"],
                     "providers": r.get("providers") or [],
                     "level": (r.get("levels") or {}).get(requirement.id, requirement.level),
                     "reason": r.get("reason", ""), "failed_step": r.get("failed_step")} for r in runs]
        verdict = RequirementVerdict(requirement.id, requirement.profile, requirement.level, requirement.title,
                                     NOT_CHECKED, evidence=evidence)
        failed = [e for e in evidence if e["verdict"] in (FAILED, "ERROR")]
        must_checks = [e for e in evidence if e["level"] == "MUST"]
        verdict.must_passed = (any(e["verdict"] == PASSED for e in must_checks)
                               and not any(e["verdict"] in (FAILED, "ERROR") for e in must_checks))
        if named_profiles is not None and requirement.profile not in named_profiles:
            verdict.verdict = NOT_SELECTED
            verdict.reason = (f"profile {requirement.profile} not selected in this run (--profile)"
                              if requirement.profile in offered_profiles else
                              f"profile {requirement.profile} not offered by the platform, so not selected")
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
            verdict.reason = "no check of this run covers it"
        out.append(verdict)
    _attribute_causes(out, cat)
    return out


def _attribute_causes(requirement_verdicts: list[RequirementVerdict], cat: catalogue.Catalogue) -> None:
    """A failure whose prerequisite failed too is probably caused by the nearest root among them."""
    failed = {r.id for r in requirement_verdicts if r.verdict == FAILED}
    for verdict in requirement_verdicts:
        if verdict.verdict != FAILED:
            continue
        failed_below = [p for p in cat.prerequisites(verdict.id) if p in failed]
        roots = [p for p in failed_below if not any(q in failed for q in cat.prerequisites(p))]
        verdict.probable_cause = (roots or failed_below or [None])[0]


def profile_verdicts(requirement_verdicts: list[RequirementVerdict], profiles: list[str], narrowed: bool) -> list[dict]:
    """Per named profile: CERTIFIED, NOT CERTIFIED or PARTIAL, with what kept it from certifying."""
    out = []
    for profile in profiles:
        musts = [r for r in requirement_verdicts if r.profile == profile and r.level == "MUST"]
        failed = [r.id for r in musts if r.blocking]
        undecided = [{"id": r.id, "verdict": r.verdict, "reason": r.reason} for r in musts
                     if not r.must_passed and not r.blocking]
        if failed:
            verdict = NOT_CERTIFIED
        elif narrowed:
            verdict = PARTIAL
        elif undecided or not musts:
            verdict = NOT_CERTIFIED
        else:
            verdict = CERTIFIED
        out.append({"profile": profile, "verdict": verdict, "must": len(musts),
                    "must_passed": sum(r.must_passed for r in musts), "failed": failed, "not_passed": undecided})
    return out


def overall(profiles: list[dict], narrowed: bool) -> str:
    if not profiles or any(p["verdict"] == NOT_CERTIFIED for p in profiles):
        return NOT_CERTIFIED
    return PARTIAL if narrowed else CERTIFIED


def checked_through(results: list[dict]) -> tuple[str | None, dict[str, int]]:
    """The platform's provider (that of the checks following it, None when none ran) and, per provider,
    the checks that ran through it (a check through two providers counts for each), the platform's first."""
    ran = [r for r in results if r.get("verdict") in (PASSED, FAILED, "ERROR")]
    counts: dict[str, int] = {}
    for result in ran:
        for provider in result.get("providers") or []:
            counts[provider] = counts.get(provider, 0) + 1
    following = [p for r in ran if r.get("follows_platform") for p in r.get("providers") or []]
    platform = max(set(following), key=following.count) if following else None
    order = sorted(counts, key=lambda p: (p != platform, -counts[p], p))
    return platform, {p: counts[p] for p in order}


def providers_text(summary: dict) -> str:
    """'checked through cm (293 checks)' or 'checked through sinch (310 checks), cm (9), instasent (9)'."""
    counts = summary.get("checked_through") or {}
    if not counts:
        return "checked through no provider"
    parts = [f"{p} ({n}{' checks' if i == 0 else ''})" for i, (p, n) in enumerate(counts.items())]
    return "checked through " + ", ".join(parts)


def summary(requirement_verdicts: list[RequirementVerdict], results: list[dict], profiles: list[dict],
            narrowed: bool) -> dict[str, Any]:
    counts = {v: sum(r.verdict == v for r in requirement_verdicts) for v in (*IN_SCOPE, NOT_SELECTED)}
    blocking = [r.id for r in requirement_verdicts if r.blocking]
    contract = sorted({p for r in results for p in r.get("contract_problems") or []})
    callbacks = sorted({p for r in results for p in r.get("callback_problems") or []})
    verdict = overall(profiles, narrowed)
    platform_provider, through = checked_through(results)
    return {**counts, "selected": sum(counts[v] for v in IN_SCOPE), "verdict": verdict, "certified": verdict == CERTIFIED, "narrowed": narrowed,
            "profiles_certified": [p["profile"] for p in profiles if p["verdict"] == CERTIFIED],
            "blocking_failures": blocking,
            "root_causes": [r.id for r in requirement_verdicts if r.verdict == FAILED and not r.probable_cause],
            "contract_problems": contract, "callback_problems": callbacks,
            "platform_provider": platform_provider, "checked_through": through}


def build(*, run_id: str, started_at: str, duration_s: float, platform: dict, options: dict, files: dict,
          results: list[dict], cat: catalogue.Catalogue, profiles: list[str], narrowed: bool, suite: dict) -> dict:
    """The report of a run certifying `profiles` (narrowed: only part of the suite ran)."""
    offered = set((platform.get("capabilities") or {}).get("profiles") or [])
    requirement_verdicts = verdicts(results, cat, offered, set(profiles))
    by_profile = profile_verdicts(requirement_verdicts, profiles, narrowed)
    return {
        "suite_version": SUITE_VERSION,
        "suite": suite,
        "verdict": overall(by_profile, narrowed),
        "profiles": by_profile,
        "run_id": run_id,
        "started_at": started_at,
        "duration_s": round(duration_s, 2),
        "platform": platform,
        "options": options,
        "files": files,
        "summary": summary(requirement_verdicts, results, by_profile, narrowed),
        "requirements": [vars(v) for v in requirement_verdicts],
        "scenarios": [r if r["verdict"] in (FAILED, "ERROR") else {**r, "exchanges": [], "timeline": []} for r in results],
    }


def level_text(requirement: dict) -> str:
    """A failed requirement's level and whether its failure blocks: 'MUST, blocking', or, for a MUST
    requirement whose failed checks ran at SHOULD (a reading the catalogue holds at SHOULD), 'MUST
    requirement, checked at SHOULD: not blocking', so that a PARTIAL or CERTIFIED run reads right."""
    if requirement["blocking"]:
        return f"{requirement['level']}, blocking"
    if requirement["level"] == "MUST":
        return "MUST requirement, checked at SHOULD: not blocking"
    return f"{requirement['level']}: not blocking"


def counts_text(summary: dict) -> str:
    """'23/23 requirements passed; 40 requirements of other profiles not selected' (zeros left out)."""
    rest = ", ".join(f"{summary[v]} {v.lower()}" for v in IN_SCOPE[1:] if summary.get(v))
    selected = summary.get("selected", sum(summary.get(v, 0) for v in IN_SCOPE))
    text = f"{summary[PASSED]}/{selected} requirements passed" + (f", {rest}" if rest else "")
    if summary.get(NOT_SELECTED):
        text += f"; {summary[NOT_SELECTED]} requirements of other profiles not selected"
    return text


def write(report: dict, directory: Path) -> None:
    """report.json and report.html in the run's directory, and `latest` beside it pointing at it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    (directory / "report.html").write_text(render_html(report), encoding="utf-8")
    latest = directory.parent / "latest"
    try:
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(directory.name, target_is_directory=True)
    except OSError:  # a file system without symbolic links: the run directory is still named in the output
        pass


EXCHANGE = """<div class="exchange"><p><span class="who">harness &rarr; {{ 'platform (driver API)' if x.side == 'platform' else 'fake providers (control API)' }}</span>:
request <code>{{ x.method }} {{ x.url }}</code>, response <b>{{ x.status if x.status is not none else "none" }}</b>
in {{ "%.1f" | format(x.elapsed_ms) }} ms, at {{ x.at | readable_time }}</p>
{% if x.request is not none %}<p class="legend">request body</p><pre>{{ x.request | pretty }}</pre>{% endif %}
<p class="legend">response body</p><pre>{{ x.response | pretty }}</pre></div>
"""


def render_html(report: dict, cat: catalogue.Catalogue | None = None) -> str:
    """report.html: the verdict and profiles, then the failures (root causes first), then the matrix."""
    cat = cat or catalogue.default()
    templates = {"report": TEMPLATE.read_text(encoding="utf-8"), "exchange": EXCHANGE}
    env = jinja2.Environment(loader=jinja2.DictLoader(templates), autoescape=True, undefined=jinja2.StrictUndefined)
    env.globals.update(counts_text=counts_text, level_text=level_text, providers_text=providers_text, NOT_SELECTED=NOT_SELECTED)
    env.filters.update(pretty=_pretty, compact=_compact, diff=_diff, relative=relative, readable_time=_readable_time)
    profiles: dict[str, list[dict]] = {}
    for requirement in report["requirements"]:
        profiles.setdefault(requirement["profile"], []).append(requirement)
    failed_checks = [{**s, "step_exchanges": [x for x in s["exchanges"] if x.get("phase", "check") == "check"],
                      "setup_exchanges": [x for x in s["exchanges"] if x.get("phase", "check") != "check"]}
                     for s in report["scenarios"] if s["verdict"] in (FAILED, "ERROR")]
    failed = [r for r in report["requirements"] if r["verdict"] == FAILED]
    failed.sort(key=lambda r: (r["probable_cause"] is not None, not r["blocking"]))  # root causes first
    failures = []
    for r in failed:
        known = cat.requirements.get(r["id"])
        requirement = {**r, "phrase": known.phrase if known else "", "seed_title": cat.seeds.get(known.seed, known.seed) if known else ""}
        failures.append({"requirement": requirement, "anchor": f"fail-{r['id']}",
                         "checks": [s for s in failed_checks if r["id"] in s["requirements"]]})
    anchors = {f["requirement"]["id"]: f["anchor"] for f in failures}
    other_profiles = [name for name, requirements in profiles.items()
                      if all(r["verdict"] == NOT_SELECTED for r in requirements)]
    return env.get_template("report").render(report=report, profiles=profiles, failures=failures, anchors=anchors,
                                             other_profiles=other_profiles)


def _pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def _compact(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _diff(check: dict) -> list[tuple[str, str]]:
    """Expected against observed, line by line: ("same" | "del" | "add", text)."""
    expected = _pretty(check.get("expected")).splitlines()
    observed = _pretty(check.get("observed")).splitlines()
    kinds = {" ": "same", "-": "del", "+": "add"}
    return [(kinds[line[0]], line[:1] + " " + line[2:]) for line in difflib.ndiff(expected, observed) if line[0] in kinds]


def _readable_time(value) -> str:
    """ISO timestamps and wall-clock seconds as "2026-01-05 10:20:00.000 UTC"."""
    if value in (None, ""):
        return ""
    try:
        moment = (datetime.fromtimestamp(value, timezone.utc) if isinstance(value, (int, float))
                  else datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(timezone.utc))
    except (ValueError, OverflowError, OSError):
        return str(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d} UTC"


def relative(path: str) -> str:
    """A path as a reader finds it: relative to the working directory when below it."""
    try:
        return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd()) else path
    except (OSError, ValueError):
        return path


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def stamp_junit(path: Path, report: dict) -> None:
    """The verdict, certified profiles, version, suite hash and seed as junit.xml testsuite properties."""
    if not path.exists():
        return
    tree = ElementTree.parse(path)
    suites = [tree.getroot()] if tree.getroot().tag == "testsuite" else list(tree.getroot().iter("testsuite"))
    values = {"smsproof.verdict": report["verdict"],
              "smsproof.profiles": " ".join(p["profile"] for p in report["profiles"]),
              "smsproof.profiles_certified": " ".join(report["summary"]["profiles_certified"]),
              "smsproof.version": report["suite"]["smsproof_version"], "smsproof.suite_hash": report["suite"]["hash"],
              "smsproof.seed": str(report["options"]["seed"]), "smsproof.platform": report["platform"]["name"],
              "smsproof.platform_provider": report["summary"].get("platform_provider") or "",
              "smsproof.checked_through": " ".join(report["summary"].get("checked_through") or [])}
    for testsuite in suites:
        properties = testsuite.find("properties")
        if properties is None:
            properties = ElementTree.Element("properties")
            testsuite.insert(0, properties)
        for name, value in values.items():
            ElementTree.SubElement(properties, "property", name=name, value=value)
    tree.write(path, encoding="utf-8", xml_declaration=True)
