"""The command line: mutants listed and selectable, unknown names a one-line error."""

import subprocess
import sys

import pytest

from reference_platform import server
from reference_platform.__main__ import main
from reference_platform.mutants import MUTANTS


def test_list_mutants(capsys):
    assert main(["--list-mutants"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(MUTANTS) and lines[0].split()[:2] == [MUTANTS[0].name, MUTANTS[0].requirement]


def test_unknown_mutant_is_a_one_line_error():
    result = subprocess.run([sys.executable, "-m", "reference_platform", "--mutant", "nope"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and "unknown mutant 'nope'" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_mutant_selected_from_the_command_line(monkeypatch):
    started = {}
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **kw: started.update(app=app, **kw))
    assert main(["--mutant", "dup_only_one", "--port", "8123"]) == 0
    assert started["app"].state.broken.name == "dup_only_one" and started["port"] == 8123
    assert started["host"] == "127.0.0.1" and started["app"].state.base_url == "http://127.0.0.1:8123"


def test_run_refuses_unknown_mutants():
    with pytest.raises(SystemExit) as exit_info:
        server.run(port=0, mutant="nope")
    assert exit_info.value.code == 2
