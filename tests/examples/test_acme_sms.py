"""The example vendor platform (examples/acme_sms) is certified for opt_out_keywords by the suite.

It is the proof that the driver contract and docs/certify-your-platform.md are enough to build a
certifiable platform without smsproof's code: it runs as its own process, on its own stack, and is
certified over HTTP exactly as a vendor's platform would be.
"""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import catalogue

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PROFILE = "opt_out_keywords"


@pytest.fixture(scope="module")
def acme_url():
    """`python -m acme_sms --port 0` from examples/, as a vendor starts it; its URL from its banner."""
    process = subprocess.Popen([sys.executable, "-m", "acme_sms", "--port", "0"], cwd=EXAMPLES,
                               stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(EXAMPLES)})
    try:
        banner = process.stdout.readline()  # printed once the socket listens
        assert banner.startswith("Acme SMS on http://127.0.0.1:"), banner
        yield banner.split()[3]
    finally:
        process.terminate()
        process.wait(10)


def test_the_example_imports_nothing_of_smsproof():
    imported = set()
    for path in (EXAMPLES / "acme_sms").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    assert imported and not imported & {"harness", "reference_platform", "fake_providers", "smsproof"}, imported


@pytest.mark.slow(20)
def test_smsproof_certifies_the_example_for_opt_out_keywords(acme_url, tmp_path):
    """One worker: a second saves time on an idle machine but costs CPU the suite's other workers use."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())",
         "certify", "--platform", acme_url, "--profile", PROFILE, "--workers", "1", "--reports", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=600, env={**os.environ, "CI": "true"})
    assert done.returncode == 0, done.stdout + done.stderr
    (run,) = [p for p in tmp_path.iterdir() if p.name != "latest"]  # reports/latest points at it
    report = json.loads((run / "report.json").read_text())
    assert report["platform"]["url"] == acme_url and report["platform"]["capabilities"]["name"] == "acme-sms"
    in_profile = {r.id for r in catalogue.default().by_profile(PROFILE)}
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"] if r["id"] in in_profile}
    assert verdicts.keys() == in_profile
    assert {i: v for i, v in verdicts.items() if v != "PASSED"} == {}  # every requirement, MUST and SHOULD
    checked = [s for s in report["scenarios"] if set(s["requirements"]) & in_profile and s["verdict"] == "PASSED"]
    assert any(s["name"].startswith("property:") for s in checked)  # the Hypothesis checks ran too
    assert report["summary"]["contract_problems"] == []  # answers as harness/driver/openapi.yaml documents
