"""Side by side: `smsproof serve` (the Sinch fake, full validation, journal on) against
WireMock (a templated 201 stub of the same endpoint, with its request journal), each server on
one core, the load generator on the other, over loopback.

    python benchmarks/bench_vs_wiremock.py [--seconds 10] [--connections 32] [--rounds 2]
                                           [--rate 1000] [--wiremock-jar PATH]

Peers: WireMock from its npm package (`npm install -g wiremock`: the jar in its `build/`), run
by `java`; `wrk` (Debian package `wrk`) drives saturation. A missing peer is skipped and the
table says so. Per round and server: a warm-up (WireMock's JIT needs it), saturation with wrk
(sends/s, p50/p99), then a fixed 1,000 sends/s from this process (p50/p99 from each send's due
time). Server CPU seconds come from /proc, so "per CPU-second" is the figure least disturbed
by other work on a shared machine; the load average is printed with every row.
Target (issue 11): 2.5 times WireMock's sends/s, p99 under 10 ms at 1,000/s.
"""
from __future__ import annotations

import argparse
import asyncio
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sinch_send import WRK_SCRIPT, cpu_seconds, free_port, paced, percentiles  # noqa: E402

ACCOUNT, TOKEN = "demo-service-plan", "demo-token"
# The stub echoes the request as Sinch's answer does (id, to, from, body, timestamps).
STUB = {
    "request": {"method": "POST", "urlPathPattern": "/xms/v1/[^/]+/batches"},
    "response": {
        "status": 201, "headers": {"Content-Type": "application/json"},
        "transformers": ["response-template"],
        "body": ('{"id":"{{randomValue length=26 type=\'ALPHANUMERIC\' uppercase=true}}",'
                 '"to":["{{jsonPath request.body \'$.to[0]\'}}"],'
                 '"from":"{{jsonPath request.body \'$.from\'}}",'
                 '"canceled":false,"body":"{{jsonPath request.body \'$.body\'}}",'
                 '"type":"mt_text","created_at":"{{now}}","modified_at":"{{now}}",'
                 '"delivery_report":"none","expire_at":"{{now offset=\'3 days\'}}",'
                 '"feedback_enabled":false,"flash_message":false}'),
    },
}


def cores() -> tuple[set[int], set[int]]:
    """(the server's core, the load generator's cores)."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return set(available), set(available)
    return {available[0]}, set(available[1:])


def pinned(cpus: set[int]):
    return lambda: os.sched_setaffinity(0, cpus)


def wait_until_up(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server for {url} exited with {server.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up in {seconds:.0f} s")


def start_smsproof(port: int, cpus: set[int]) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-m", "fake_providers", "--port", str(port), "--quiet"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=pinned(cpus))
    wait_until_up(f"http://127.0.0.1:{port}/_smsproof/health", server)
    return server


def start_wiremock(port: int, cpus: set[int], jar: str, root: Path) -> subprocess.Popen:
    (root / "mappings").mkdir(parents=True, exist_ok=True)
    (root / "mappings" / "sinch-send.json").write_text(json.dumps(STUB))
    server = subprocess.Popen(["java", "-Xmx1g", "-jar", jar, "--port", str(port),
                               "--root-dir", str(root), "--disable-banner",
                               "--disable-request-logging"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=pinned(cpus))
    wait_until_up(f"http://127.0.0.1:{port}/__admin/health", server)
    return server


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def wrk(port: int, seconds: float, connections: int, script: Path, cpus: set[int]) -> dict:
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "--latency",
                          "-s", str(script), f"http://127.0.0.1:{port}"],
                         capture_output=True, text=True, timeout=seconds + 60,
                         preexec_fn=pinned(cpus)).stdout

    def latency_ms(label: str) -> float:
        found = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not found:
            return float("nan")
        return float(found[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found[2]]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors:.*", out)
    return {"rate": float(rate[1]) if rate else 0.0, "p50": latency_ms("50%"),
            "p99": latency_ms("99%"), "errors": int(errors[1]) if errors else 0,
            "socket_errors": socket_errors[0] if socket_errors else ""}


def measure(name: str, server: subprocess.Popen, port: int, args, script: Path,
            load_cpus: set[int], warmup: float) -> dict:
    wrk(port, warmup, args.connections, script, load_cpus)
    cpu_before = cpu_seconds(server.pid)
    saturation = wrk(port, args.seconds, args.connections, script, load_cpus)
    cpu_after = cpu_seconds(server.pid)
    load = os.getloadavg()[0]
    os.sched_setaffinity(0, load_cpus)
    latencies, errors = asyncio.run(paced(port, args.rate, args.seconds, 64))
    fixed = percentiles(latencies)
    cpu = (cpu_after - cpu_before) if cpu_before is not None and cpu_after is not None else None
    return {"server": name, **saturation, "load": load,
            "per_cpu_second": saturation["rate"] * args.seconds / cpu if cpu else None,
            "fixed_p50": fixed["p50"], "fixed_p99": fixed["p99"], "fixed_errors": errors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--wiremock-jar", default=os.environ.get("WIREMOCK_JAR"))
    args = parser.parse_args()
    if not 1 <= args.seconds <= 120 or not 1 <= args.rounds <= 5 or not 1 <= args.rate <= 20_000:
        raise SystemExit("bounded runs only: --seconds 1..120, --rounds 1..5, --rate 1..20000")
    if shutil.which("wrk") is None:
        print("skipped: wrk is not installed (Debian: apt-get install wrk); nothing to drive the servers")
        return 0
    jar = args.wiremock_jar
    if jar is None:
        npm_root = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True).stdout.strip() \
            if shutil.which("npm") else ""
        jars = sorted(glob.glob(os.path.join(npm_root, "wiremock", "build", "wiremock-standalone-*.jar")))
        jar = jars[-1] if jars else None
    peers = ["smsproof"]
    if jar is None or not os.path.exists(jar):
        print("skipped WireMock: no jar (npm install -g wiremock, or --wiremock-jar PATH)")
    elif shutil.which("java") is None:
        print("skipped WireMock: no java runtime (Debian: apt-get install default-jre-headless)")
    else:
        peers.append("wiremock")
    server_cpus, load_cpus = cores()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "send.lua"
        script.write_text(WRK_SCRIPT)
        for round_ in range(args.rounds):
            for peer in peers:
                port = free_port()
                if peer == "smsproof":
                    server, warmup = start_smsproof(port, server_cpus), 3.0
                else:
                    server, warmup = start_wiremock(port, server_cpus, jar, Path(tmp) / f"wm{round_}"), 15.0
                try:
                    rows.append({"round": round_ + 1, **measure(peer, server, port, args, script,
                                                               load_cpus, warmup)})
                finally:
                    stop(server)
                print(f"  done: round {round_ + 1} {peer}", file=sys.stderr, flush=True)
    print(f"Single-recipient Sinch sends, server on core {sorted(server_cpus)}, wrk -t1 "
          f"-c{args.connections} on {sorted(load_cpus)}, {args.seconds:.0f} s per phase")
    print(f"{'round':>5} {'server':<9} {'sends/s':>9} {'per CPU-s':>10} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'non-2xx':>8} {'@' + str(args.rate) + '/s p50':>11} {'p99':>7} {'load':>5}")
    for row in rows:
        per_cpu = f"{row['per_cpu_second']:,.0f}" if row["per_cpu_second"] else "-"
        print(f"{row['round']:>5} {row['server']:<9} {row['rate']:>9,.0f} {per_cpu:>10} "
              f"{row['p50']:>7.2f} {row['p99']:>7.2f} {row['errors'] + row['fixed_errors']:>8} "
              f"{row['fixed_p50']:>11.2f} {row['fixed_p99']:>7.2f} {row['load']:>5.2f}")
    if "wiremock" in peers:
        for round_ in range(1, args.rounds + 1):
            ours, theirs = (next(r for r in rows if r["round"] == round_ and r["server"] == s)
                            for s in ("smsproof", "wiremock"))
            ratio = ours["rate"] / theirs["rate"] if theirs["rate"] else float("inf")
            per_cpu = (f", per server CPU-second {ours['per_cpu_second'] / theirs['per_cpu_second']:.2f}x"
                       if ours["per_cpu_second"] and theirs["per_cpu_second"] else "")
            print(f"round {round_}: smsproof / WireMock = {ratio:.2f}x in sends/s{per_cpu} (target 2.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
