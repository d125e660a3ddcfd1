"""Every scenario shown in the docs runs: it passes on the reference platform and fails on a mutant.

A fenced block in docs/*.md or README.md tagged `yaml scenario mutant=NAME` is a complete scenario; an
example that a platform without the rule would also pass proves nothing, so each names the mutant
(python -m reference_platform --list-mutants) that it must catch. Untagged YAML blocks are refused.
"""

import re
from pathlib import Path

import pytest

from harness import servers
from harness.scenario.loader import load_file
from harness.scenario.runner import FAILED, PASSED, Environment, run_scenario
from reference_platform.adapter import platform as reference

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
FENCE = re.compile(r"^```(yaml|yml)([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks():
    """(doc, line, info string, text) of every YAML block of the docs."""
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            yield doc, text.count("\n", 0, match.start()) + 1, match.group(2).strip(), match.group(3)


EXAMPLES = [pytest.param(doc, line, re.fullmatch(r"scenario mutant=(\S+)", info).group(1), text,
                         id=f"{doc.name}:{line}")
            for doc, line, info, text in blocks() if re.fullmatch(r"scenario mutant=(\S+)", info)]


def test_every_yaml_block_of_the_docs_is_a_tagged_scenario():
    untagged = [f"{doc.relative_to(ROOT)}:{line}" for doc, line, info, _ in blocks()
                if not re.fullmatch(r"scenario mutant=(\S+)", info)]
    assert not untagged, f"YAML blocks without `yaml scenario mutant=NAME`: {untagged}"
    assert len(EXAMPLES) >= 2  # docs/scenarios.md: the complete example and the examples block


@pytest.fixture(scope="module")
def fakes_url():
    with servers.running_fakes() as url:
        yield url


def _verdicts(scenarios, fakes_url: str, mutant: str | None) -> list[str]:
    with servers.serve(lambda base: reference.create_app(mutant=mutant, base_url=base), "docs-example") as url:
        env = Environment.connect(url, fakes_url)
        try:
            results = [run_scenario(s, env) for s in scenarios]
        finally:
            env.close()
    return [(r.verdict, r.reason, r.observed) for r in results]


@pytest.mark.parametrize("doc, line, mutant, text", EXAMPLES)
def test_a_docs_example_passes_on_the_reference_and_catches_its_mutant(doc, line, mutant, text, tmp_path, fakes_url):
    assert mutant in {m.name for m in reference.mutants()}, f"{doc.name}:{line}: unknown mutant {mutant!r}"
    path = tmp_path / f"{doc.stem}-{line}.yaml"
    path.write_text(text, encoding="utf-8")
    scenarios = load_file(path)  # a docs example is a valid scenario (schema, requirement ids)
    assert all(verdict == PASSED for verdict, _, _ in _verdicts(scenarios, fakes_url, None)), \
        f"{doc.name}:{line} fails on the reference platform"
    caught = _verdicts(scenarios, fakes_url, mutant)
    assert any(verdict == FAILED for verdict, _, _ in caught), f"{doc.name}:{line} does not catch mutant {mutant}"
