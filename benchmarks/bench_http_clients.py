"""CPU of one JSON call in the calling process: httpx, urllib3 (the harness's client) and http.client.

    python benchmarks/bench_http_clients.py [--calls 3000]

A certification makes tens of thousands of calls to the platform and the fakes, and the harness's
client runs in the same process as the embedded fakes and platform, so its CPU per call is the
run's. The server is a minimal Starlette app under uvicorn in another process, on 127.0.0.1; each
client sends the same POST with a query and a JSON body over one keep-alive connection and decodes
the JSON answer. The table gives the client process's CPU per call (the figure a busy machine
disturbs least) and the wall time per call.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import socket
import subprocess
import sys
import time

import httpx
import urllib3

SERVER = """
import sys
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def echo(request):
    await request.body()
    return JSONResponse({"ok": True, "items": [1, 2, 3]})

uvicorn.run(Starlette(routes=[Route("/x", echo, methods=["POST"])]), port=int(sys.argv[1]), log_level="error")
"""
BODY = {"customer_ids": ["anna", "ben"], "body": "Hello", "kind": "campaign"}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _measure(call, calls: int) -> tuple[float, float]:
    call()  # connect
    cpu, wall = _cpu(), time.perf_counter()
    for _ in range(calls):
        call()
    return (_cpu() - cpu) / calls * 1e6, (time.perf_counter() - wall) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)])
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)  # waiting for the server to listen, not for time to pass
        url = f"http://127.0.0.1:{port}/x?q=1"
        payload = json.dumps(BODY, separators=(",", ":")).encode()
        headers = {"content-type": "application/json"}
        with httpx.Client() as client:
            rows = [("httpx", _measure(lambda: client.post(url, content=payload, headers=headers).json(), args.calls))]
        pool = urllib3.PoolManager(maxsize=1, retries=False)
        rows.append(("urllib3 (the harness)", _measure(
            lambda: json.loads(pool.request("POST", url, body=payload, headers=headers).data), args.calls)))
        connection = http.client.HTTPConnection("127.0.0.1", port)

        def stdlib():
            connection.request("POST", "/x?q=1", body=payload, headers=headers)
            return json.loads(connection.getresponse().read())
        rows.append(("http.client", _measure(stdlib, args.calls)))
    finally:
        server.terminate()
        server.wait(10)
    print(f"{args.calls} calls each, load average {os.getloadavg()[0]:.2f}")
    print(f"{'client':<22} {'client CPU per call':>20} {'wall per call':>14}")
    for name, (cpu, wall) in rows:
        print(f"{name:<22} {cpu:>17.0f} µs {wall:>11.0f} µs")


if __name__ == "__main__":
    main()
