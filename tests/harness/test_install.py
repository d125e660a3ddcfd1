"""`pip install .` (not editable) into a fresh virtual environment, then smsproof from elsewhere.

The installed smsproof must find everything it needs (scenarios, catalogue, driver contract, report
template, property checks) inside the wheel. The venv borrows the third-party dependencies from this
environment (--system-site-packages) so that nothing is downloaded, but smsproof itself is imported
from the wheel: the test checks where `harness` comes from.
"""

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.install, pytest.mark.slow(15)]  # one wheel build and one narrow certify


def _run(*command, cwd, timeout=300):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTEST_XDIST_WORKER")}
    done = subprocess.run([str(c) for c in command], cwd=cwd, env={**env, "CI": "true"},
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _install(work: Path) -> Path:
    """The bin/ directory of a fresh venv with the wheel built from a copy of this checkout."""
    source = work / "source"  # a copy: building writes build/ and *.egg-info next to the sources
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "__pycache__", ".hypothesis", ".tox", ".venv", "build", "dist", "*.egg-info", "reports"))
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", work / "dist", source, cwd=work)
    (wheel,) = (work / "dist").glob("smsproof-*.whl")
    _run(sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", work / "venv", cwd=work)
    _run(work / "venv" / "bin" / "python", "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", wheel, cwd=work)
    return work / "venv" / "bin"


def test_pip_install_then_smsproof_from_another_directory(tmp_path):
    """One test (one wheel build, however xdist distributes the suite)."""
    installed = _install(tmp_path / "install")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    # the package comes from the wheel, not from this checkout or its editable install
    where = _run(installed / "python", "-c", "import harness, fake_providers, reference_platform as r; "
                 "print(harness.__file__, fake_providers.__file__, r.__file__)", cwd=elsewhere)
    assert all(Path(p).is_relative_to(installed.parent) for p in where.split()), where
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert _run(installed / "smsproof", "--version", cwd=elsewhere).strip() == f"smsproof {version}"

    # every scenario ships
    listed = _run(installed / "smsproof", "list", "scenarios", cwd=elsewhere).splitlines()
    files = {line.split("\t")[1].rsplit(":", 1)[0] for line in listed}
    assert len(files) == len(list((ROOT / "scenarios").rglob("*.yaml")))
    assert all(Path(f).is_relative_to(installed.parent) for f in files)

    # certify (one profile, to stay cheap) from a directory that is not the checkout: exit 0
    _run(installed / "smsproof", "certify", "--profile", "contact_centre", "--reports", "reports", cwd=elsewhere)
    (run,) = [p for p in (elsewhere / "reports").iterdir() if p.name != "latest"]
    report = json.loads((run / "report.json").read_text())
    assert report["summary"]["certified"] and report["summary"]["PASSED"] > 0
    assert (run / "report.html").is_file() and (run / "junit.xml").is_file()
