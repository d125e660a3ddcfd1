"""The control API and the web inbox with 100,000 messages in the journal: how long each read
takes (they are paged, not all rendered) and how large the answer is.

    python benchmarks/bench_inbox.py [--messages 100000] [--repeat 20]

Starts `python -m fake_providers --quiet` on a free 127.0.0.1 port, freezes its clock (no
delivery report fires during the run), fills the journal through the Sinch API (batches of
1,000 recipients over 20,000 handsets, and 200 replies), then times each read `--repeat`
times, one at a time over one keep-alive connection. Prints a table: median, 95th percentile
and largest time in ms, and the answer's size. Bounded: the server is stopped at the end.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from urllib.parse import quote

import httpx

ACCOUNT, TOKEN, LONG_CODE = "demo-service-plan", "demo-token", "+4915112348765"
HANDSETS, BATCH = 20_000, 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def handset(n: int) -> str:
    return f"+3461{n % HANDSETS:07d}"


def start_server(port: int) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-m", "fake_providers", "--quiet", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_smsproof/health", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("the fake server did not start")


def fill(client: httpx.Client, messages: int) -> float:
    started = time.perf_counter()
    client.post("/_smsproof/clock", json={"mode": "virtual", "now": "2026-01-05T10:00:00Z"})
    for first in range(0, messages, BATCH):
        count = min(BATCH, messages - first)
        response = client.post(f"/xms/v1/{ACCOUNT}/batches", headers={"Authorization": f"Bearer {TOKEN}"},
                               json={"from": LONG_CODE, "to": [handset(first + i) for i in range(count)],
                                     "body": f"Spring sale {first}: 20% off. Reply STOP to opt out"})
        response.raise_for_status()
        client.post("/_smsproof/clock/advance", json={"seconds": 1})  # dispatched, and time moves
    for n in range(200):
        client.post("/_smsproof/inbound", json={"provider": "sinch", "from": handset(n * 7),
                                                "to": LONG_CODE, "body": "STOP"}).raise_for_status()
    return time.perf_counter() - started


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            line = next(line for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return None
    return int(line.split()[1]) / 1024


def timed(client: httpx.Client, path: str, repeat: int) -> tuple[list[float], int, int]:
    times, size, status = [], 0, 0
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        size, status = len(response.content), response.status_code
    return times, size, status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    port = free_port()
    server = start_server(port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            seconds = fill(client, args.messages)
            total = args.messages + 200
            oldest = client.get("/_smsproof/messages", params={"limit": 1}).json()["messages"][0]["id"]
            reads = [
                ("GET /_smsproof/messages?limit=100", "/_smsproof/messages?limit=100"),
                ("GET /_smsproof/messages (1,000: default page)", "/_smsproof/messages"),
                ("GET /_smsproof/messages?to=<one handset>", f"/_smsproof/messages?to={quote(handset(7))}"),
                ("GET /_smsproof/journal?kind=mo", "/_smsproof/journal?kind=mo"),
                ("inbox: conversations (50 newest)", "/_smsproof/"),
                ("inbox: conversations, page 2", "/_smsproof/?before=" + str(total - 60)),
                ("inbox: search, no match (scans all)", "/_smsproof/?q=nothing-matches"),
                ("inbox: one handset's thread", f"/_smsproof/?handset={quote(handset(7))}"),
                ("inbox: details of the oldest message", f"/_smsproof/inbox/messages/{oldest}"),
                ("inbox: callbacks (50 newest)", "/_smsproof/inbox/callbacks"),
                ("inbox: journal (100 newest)", "/_smsproof/inbox/journal"),
            ]
            rows = [(name, *timed(client, path, args.repeat)) for name, path in reads]
        memory = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"{total:,} messages journaled in {seconds:.1f} s; server RSS {memory or 0:.0f} MB; "
          f"{args.repeat} runs of each read; load average {os.getloadavg()[0]:.1f}\n")
    print("| read | median ms | p95 ms | max ms | bytes | status |\n|---|---|---|---|---|---|")
    for name, times, size, status in rows:
        ordered = sorted(times)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        print(f"| {name} | {statistics.median(times):.1f} | {p95:.1f} | {ordered[-1]:.1f} | {size:,} | {status} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
