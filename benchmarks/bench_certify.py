"""`smsproof certify` of the embedded reference platform at default settings: wall time per setting.

    python benchmarks/bench_certify.py [--runs 1] [--workers 1,2] [--seed 1]

Each run is a fresh `smsproof certify` process (what a user or CI waits for, start-up included),
with a fixed seed so that the runs check the same examples; the table gives the wall time, the
verdict and the load average, since a busy machine slows every figure. Aim (issue 7 §6): under
20 s on the 2-core machine with the same checks.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def certify(workers: int, seed: int) -> tuple[float, str]:
    with tempfile.TemporaryDirectory() as reports:
        started = time.perf_counter()
        command = [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())", "certify",
                   "--workers", str(workers), "--seed", str(seed), "--reports", reports]
        done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "CI": "true"}, timeout=900)
        elapsed = time.perf_counter() - started
        runs = [p for p in Path(reports).iterdir() if p.name != "latest"]
        verdict = json.loads((runs[0] / "report.json").read_text())["verdict"] if runs else f"exit {done.returncode}"
    return elapsed, verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts to compare")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"{'workers':>7}  {'median s':>8}  {'min s':>6}  {'verdict':<14} load average (1 min) before each run")
    for workers in [int(w) for w in args.workers.split(",")]:
        times, verdicts, loads = [], set(), []
        for _ in range(args.runs):
            loads.append(os.getloadavg()[0])
            elapsed, verdict = certify(workers, args.seed)
            times.append(elapsed)
            verdicts.add(verdict)
        print(f"{workers:>7}  {statistics.median(times):>8.1f}  {min(times):>6.1f}  {'/'.join(sorted(verdicts)):<14} "
              + ", ".join(f"{load:.1f}" for load in loads))


if __name__ == "__main__":
    main()
