"""Single-recipient Sinch sends against `python -m fake_providers` (the server `smsproof serve`
starts), journal on: sends per second at saturation, and latency percentiles at a fixed rate.

    python benchmarks/bench_sinch_send.py [--seconds 5] [--connections 16] [--rate 1000]
                                          [--without httptools,uvloop]
    python benchmarks/bench_sinch_send.py --in-process 20000

The server runs in its own process (one core); `wrk` (Debian package) drives saturation on the
other cores when installed, else this process's lean HTTP/1.1 keep-alive client (which tops out
at a few thousand sends/s); the fixed rate comes from this process. Every loop is bounded in time.
Aim (issue 2): >= 3,000 sends/s; p99 < 10 ms at 1,000 sends/s. uvicorn parses HTTP with
httptools when it is installed, else with the much slower pure-Python h11, and runs on uvloop
when it is installed, else on asyncio's own loop; `--without` hides either from the server to
measure the difference. The table says which ones served. `--in-process SENDS` measures the app
alone instead (CPU per send through ASGI, no sockets): the figure least disturbed by a busy machine.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ACCOUNT, TOKEN = "demo-service-plan", "demo-token"
# wrk's requests: single-recipient sends, a new recipient each
WRK_SCRIPT = """
counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"to":["+3460%%07d"],"from":"Shop","body":"Your code is %%04d"}',
                             counter %% 10000000, counter %% 10000)
  return wrk.format("POST", "/xms/v1/%s/batches",
                    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %s"}, body)
end
""" % (ACCOUNT, TOKEN)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, without: list[str]) -> subprocess.Popen:
    """`python -m fake_providers`, with the modules in `without` made unimportable."""
    launch = ("import runpy, sys; sys.modules.update(dict.fromkeys(sys.argv[1].split(',')));"
              "sys.argv[1:2] = []; runpy.run_module('fake_providers', run_name='__main__')")
    server = subprocess.Popen([sys.executable, "-c", launch, ",".join(without), "--port", str(port), "--quiet"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_smsproof/health", timeout=1)
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("the fake server did not start")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def send_request(port: int, n: int) -> bytes:
    body = json.dumps({"to": [f"+3460{n % 10_000_000:07d}"], "from": "Shop",
                       "body": f"Your code is {n % 10000:04d}"}).encode()
    head = (f"POST /xms/v1/{ACCOUNT}/batches HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> "Connection":
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def roundtrip(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, chunked = 0, False
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
            elif line.lower().replace(b" ", b"") == b"transfer-encoding:chunked":
                chunked = True
        if not chunked:
            await self.reader.readexactly(length)
            return status
        while True:  # WireMock answers templated bodies in chunks
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await self.reader.readexactly(size + 2)
            if size == 0:
                return status

    def close(self) -> None:
        self.writer.close()


async def saturate(port: int, connections: int, seconds: float) -> tuple[int, list[float], int]:
    """Closed loop: every connection sends as fast as answers come back."""
    conns = [await Connection.open(port) for _ in range(connections)]
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def worker(conn: Connection) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status = await conn.roundtrip(send_request(port, next(counter)))
            latencies.append(time.perf_counter() - started)
            errors += status != 201

    began = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    elapsed = time.perf_counter() - began
    for conn in conns:
        conn.close()
    return int(len(latencies) / elapsed), latencies, errors


async def paced(port: int, rate: int, seconds: float, connections: int) -> tuple[list[float], int]:
    """Open loop: one send every 1/rate s, each on a free connection; latency from its due time."""
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await Connection.open(port))
    latencies: list[float] = []
    errors = 0

    async def one(n: int, due: float) -> None:
        nonlocal errors
        conn = await pool.get()
        status = await conn.roundtrip(send_request(port, n))
        latencies.append(time.perf_counter() - due)
        errors += status != 201
        pool.put_nowait(conn)

    tasks = []
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 30)
    while not pool.empty():
        pool.get_nowait().close()
    return latencies, errors


def wrk_saturate(port: int, connections: int, seconds: float) -> tuple[int, dict, int]:
    """Saturation driven by `wrk` (C, one thread): (sends/s, latency percentiles in ms,
    non-2xx answers)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(WRK_SCRIPT)
        script.flush()
        out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s",
                              "--latency", "-s", script.name, f"http://127.0.0.1:{port}"],
                             capture_output=True, text=True, timeout=seconds + 60).stdout

    def ms(pattern: str) -> float:
        found = re.search(pattern, out, re.M)
        if not found:
            return float("nan")
        return float(found[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found[2]]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    latencies = {f"p{p}": ms(rf"^\s*{p}%\s+([\d.]+)(us|ms|s)\s*$") for p in (50, 90, 99)}
    latencies["max"] = ms(r"^\s*Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)")
    return int(float(rate[1])) if rate else 0, latencies, int(errors[1]) if errors else 0


def percentiles(latencies: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=1000)
    return {"p50": cuts[499] * 1000, "p90": cuts[899] * 1000, "p99": cuts[989] * 1000,
            "max": max(latencies) * 1000}


def in_process(sends: int) -> None:
    per_send = app_cpu_per_send(sends)
    print(f"in-process (the app without uvicorn): {per_send * 1e6:.1f} µs CPU per send over {sends:,} "
          f"single-recipient sends; load average {os.getloadavg()[0]:.2f}")


def app_cpu_per_send(sends: int) -> float:
    """The app alone: CPU seconds per send through ASGI in this process (no sockets, no
    uvicorn), the clock advanced every 1,000 sends so batches are dispatched as in a server."""
    from bench_journal import call, recipient  # the fakes' app, called straight through ASGI
    from fake_providers.app import create_app
    from fake_providers.network import Network
    from fake_providers.server import add_demo_accounts, freeze_survivors

    async def run() -> float:
        network = Network()
        app = create_app(network)
        add_demo_accounts(network)
        network.clock.set_mode("virtual")
        gc.collect()
        gc.freeze()
        gc.callbacks.append(freeze_survivors)
        path = f"/xms/v1/{ACCOUNT}/batches"
        bodies = [json.dumps({"to": [recipient(n)], "from": "Shop",
                              "body": f"Your code is {n % 10000:04d}"}).encode() for n in range(sends + 2000)]
        for n, body in enumerate(bodies):
            if n == 2000:  # after a warm-up
                started = time.process_time()
            status, answer = await call(app, "POST", path, body)
            if status != 201:
                raise SystemExit(f"send {n} answered {status}: {answer[:200]!r}")
            if n % 1000 == 999:
                await network.clock.advance(10)
        return (time.process_time() - started) / sends

    return asyncio.run(run())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--without", default="", help="modules hidden from the server, "
                        "comma-separated: httptools (h11 parses), uvloop (asyncio's loop)")
    parser.add_argument("--in-process", type=int, metavar="SENDS", default=0,
                        help="instead: CPU per send of the app alone, called through ASGI in-process")
    args = parser.parse_args()
    if args.in_process:
        if not 1 <= args.in_process <= 200_000:
            raise SystemExit("bounded runs only: --in-process 1..200000")
        in_process(args.in_process)
        return 0
    without = [name for name in args.without.split(",") if name]
    port = free_port()
    server = start_server(port, without)
    try:
        if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) > 1:
            cores = sorted(os.sched_getaffinity(0))
            os.sched_setaffinity(server.pid, {cores[0]})  # the server gets one core
            os.sched_setaffinity(0, set(cores[1:]))
        asyncio.run(saturate(port, 4, 1.0))  # warm-up
        cpu_before = cpu_seconds(server.pid)
        if shutil.which("wrk"):
            rate, sat, sat_errors = wrk_saturate(port, args.connections, args.seconds)
        else:  # this process's client: it tops out at a few thousand sends/s
            rate, sat_latencies, sat_errors = asyncio.run(saturate(port, args.connections, args.seconds))
            sat = percentiles(sat_latencies)
        cpu_after = cpu_seconds(server.pid)
        sends = rate * args.seconds
        paced_latencies, paced_errors = asyncio.run(paced(port, args.rate, args.seconds, 64))
        journaled, cursor = 0, ""
        while cursor is not None:  # the journal is paged
            page = json.load(urllib.request.urlopen(
                f"http://127.0.0.1:{port}/_smsproof/journal?kind=mt_request&provider=sinch"
                f"&account={ACCOUNT}&limit=10000&cursor={cursor}"))
            journaled, cursor = journaled + len(page["entries"]), page["next_cursor"]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    pac = percentiles(paced_latencies)
    driver = "wrk" if shutil.which("wrk") else "python"
    rows = [
        ("saturation", f"{args.connections} conns ({driver})", f"{rate:,}/s", sat, sat_errors),
        ("fixed rate", f"{args.rate:,}/s", f"{len(paced_latencies) / args.seconds:,.0f}/s", pac,
         paced_errors),
    ]
    def served(module: str, fallback: str) -> str:
        return module if module not in without and importlib.util.find_spec(module) else fallback

    print(f"Sinch single-recipient sends, journal on ({journaled:,} requests "
          f"journaled), uvicorn HTTP parser: {served('httptools', 'h11')}, "
          f"loop: {served('uvloop', 'asyncio')}; load average {os.getloadavg()[0]:.2f}")
    if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
        print(f"server CPU at saturation: {(cpu_after - cpu_before) / args.seconds:.0%} of one core, "
              f"{sends / (cpu_after - cpu_before):,.0f} sends per server CPU-second")
    print(f"{'run':<11} {'load':<17} {'sends':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'errors':>7}")
    for name, load, sends, lat, errors in rows:
        print(f"{name:<11} {load:<17} {sends:>9} {lat['p50']:>8.2f} {lat['p90']:>8.2f} "
              f"{lat['p99']:>8.2f} {lat['max']:>8.2f} {errors:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
