"""Where a Sinch send's time goes, and what 2.5 times WireMock would leave for it.

    python benchmarks/bench_send_parts.py [--sends 20000] [--runs 3] [--seconds 6]

Two tables. **The app**: CPU per single-recipient send through ASGI in-process (as
`bench_sinch_send.py --in-process`), once whole, once with each part of a send stubbed out and
once with all of them, so the difference is what a part costs (a stubbed run is a measurement,
not a working fake: it answers without journal, delivery or body). **The server stack alone**:
requests/s of two floors served as `smsproof serve` serves (uvicorn, httptools, uvloop, one
core; `wrk` with 32 connections on the other core): a raw ASGI app that reads the body and
answers 201, and a bare Starlette route that parses the JSON and answers it. 2.5 times WireMock's
rate (`bench_vs_wiremock.py`) leaves 1 / (2.5 x rate) per send for server and app together.
Runs are interleaved and the least CPU kept.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import time
import sys
import tempfile
import textwrap
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sinch_send import WRK_SCRIPT, app_cpu_per_send, cpu_seconds, free_port  # noqa: E402
from bench_vs_wiremock import cores, pinned, stop, wrk  # noqa: E402

# part -> (module, attribute path, stub source): the stub replaces that part in a child process
PARTS = {
    "journal entry of the request": (
        "fake_providers.provider", "ProviderBackend._journal_request", "lambda *a, **k: None"),
    "clock events (dispatch, outcome)": (
        "fake_providers.clock", "Clock.call_at", "lambda *a, **k: None"),
    "answer's fields (Batch.to_dict)": (
        "fake_providers.sinch", "Batch.to_dict", "lambda self: {}"),
    "answer's JSON encoding": (
        "fake_providers.provider", "JSONResponse.render", "lambda self, content: b'{}'"),
    "journal record of the message": (
        "fake_providers.journal", "Journal.add_message", "lambda self, message: message"),
    "validation (sinch_requests.validate)": (
        "fake_providers.sinch", "validate",
        "lambda body, account, groups: {**body, 'type': 'mt_text', 'delivery_report': 'none'}"),
}

ALL = "all of the above at once"

FLOORS = {
    "raw ASGI app": textwrap.dedent('''
        async def app(scope, receive, send):
            if scope["type"] == "lifespan":
                while (await receive())["type"] != "lifespan.shutdown":
                    await send({"type": "lifespan.startup.complete"})
                await send({"type": "lifespan.shutdown.complete"})
                return
            more = True
            while more:
                more = (await receive()).get("more_body", False)
            await send({"type": "http.response.start", "status": 201,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b'{"id":"01"}'})
        '''),
    "bare Starlette route": textwrap.dedent('''
        from starlette.applications import Starlette
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def send(request):
            body = await request.json()
            return JSONResponse({"id": "01", "to": body["to"], "body": body["body"]}, 201)

        app = Starlette(routes=[Route("/xms/v1/{plan}/batches", send, methods=["POST"])])
        '''),
}


def child(part: str, sends: int) -> None:
    """Run in a child process: the in-process measure with `part` stubbed out ("" for none)."""
    for name in (PARTS if part == ALL else [part] if part else []):
        module, path, stub = PARTS[name]
        owner = __import__(module, fromlist=["_"])
        *parents, attribute = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        setattr(owner, attribute, eval(stub))  # a literal of this file
    print(app_cpu_per_send(sends))


def app_parts(sends: int, runs: int) -> dict[str, float]:
    least: dict[str, float] = {}
    for _ in range(runs):
        for part in ["", *PARTS, ALL]:
            out = subprocess.run([sys.executable, __file__, "--child", part, "--sends", str(sends)],
                                 capture_output=True, text=True, check=True).stdout
            least[part] = min(least.get(part, float("inf")), float(out.split()[-1]) * 1e6)
    return least


def listening(port: int, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while server.poll() is None and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the floor server on port {port} did not come up")


def floor(source: str, seconds: float) -> tuple[float, float]:
    """(requests/s, server CPU seconds per request) of an ASGI app served as `smsproof serve`
    serves, over the Sinch wrk script."""
    server_cpus, load_cpus = cores()
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "floor_app.py").write_text(source)
        Path(folder, "sends.lua").write_text(WRK_SCRIPT)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", folder, "--port", str(port),
             "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
             "floor_app:app"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=pinned(server_cpus))
        try:
            listening(port, server)
            wrk(port, 2, 32, Path(folder, "sends.lua"), load_cpus)  # warm-up
            cpu_before = cpu_seconds(server.pid)
            rate = wrk(port, seconds, 32, Path(folder, "sends.lua"), load_cpus)["rate"]
            cpu_after = cpu_seconds(server.pid)
            if not rate or cpu_before is None or cpu_after is None:
                return rate, float("nan")
            return rate, (cpu_after - cpu_before) / (rate * seconds)
        finally:
            stop(server)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1000 <= args.sends <= 200_000 or not 1 <= args.runs <= 10:
        raise SystemExit("bounded runs only: --sends 1000..200000, --runs 1..10")
    if args.child is not None:
        child(args.child, args.sends)
        return 0
    least = app_parts(args.sends, args.runs)
    whole = least.pop("")
    print(f"The app: CPU per single-recipient send, in-process, least of {args.runs} runs "
          f"of {args.sends:,} (load average {os.getloadavg()[0]:.2f})")
    print(f"{'part stubbed out':38} {'µs per send':>12} {'the part costs':>15}")
    print(f"{'(none: the whole send)':38} {whole:12.1f}")
    for part, cpu in least.items():
        print(f"{part:38} {cpu:12.1f} {whole - cpu:15.1f}")
    if not shutil.which("wrk"):
        print("\nThe server stack alone: skipped (wrk is not installed; Debian package wrk)")
        return 0
    print(f"\nThe server stack alone: uvicorn + httptools + uvloop on one core, wrk -c32, "
          f"{args.seconds:.0f} s")
    print(f"{'app':38} {'requests/s':>12} {'server CPU µs per request':>26}")
    for name, source in FLOORS.items():
        rate, cpu = floor(source, args.seconds)
        print(f"{name:38} {rate:12,.0f} {cpu * 1e6:26.1f}")
    print(f"load average {os.getloadavg()[0]:.2f}: on a busy machine requests/s falls, CPU per "
          f"request much less")
    return 0


if __name__ == "__main__":
    sys.exit(main())
