"""The control API and the web inbox with 100,000 messages in the journal: how long each read
takes (they are paged, not all rendered) and how large the answer is.

    python benchmarks/bench_inbox.py [--messages 100000] [--repeat 20]

    python benchmarks/bench_inbox.py --in-process [--messages 1000000]

Over HTTP it starts `python -m fake_providers --quiet` on a free 127.0.0.1 port, freezes its clock (no
delivery report fires during the run), fills the journal through the Sinch API (batches of
1,000 recipients over 20,000 handsets, and 200 replies), then times each read `--repeat`
times, one at a time over one keep-alive connection. Prints a table: median, 95th percentile
and largest time in ms, and the answer's size. Bounded: the server is stopped at the end.

`--in-process` times the inbox's reads themselves (fake_providers/inbox/queries.py: the time
one holds the event loop) on journals of synthetic messages, each with a delivery report and a
callback attempt journaled: spread over 10 handsets (the conversations list looks at a budget
of messages) and over 200,000 (threads from the handsets' index). Median and largest of 5.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


def synthetic(messages: int, handsets: int):
    """A journal of `messages` MTs to `handsets` handsets, one in 100 answered by an MO, each
    with a delivery report and a callback attempt journaled at its creation."""
    from datetime import datetime, timedelta, timezone

    from fake_providers.journal import Journal, Message  # noqa: E402 (the repository's copy)
    journal, started = Journal(), datetime(2026, 1, 5, tzinfo=timezone.utc)
    for n in range(messages):
        at = started + timedelta(milliseconds=n)
        number = handset(n) if handsets == HANDSETS else f"+3462{n % handsets:07d}"
        if n % 100 == 99:
            ends, direction = (number, LONG_CODE), "mo"
        else:
            ends, direction = (LONG_CODE, number), "mt"
        journal.add_message(Message(f"m{n:08d}", "sinch", ACCOUNT, direction, *ends,
                                    f"Spring sale {n}", "GSM", 1, "Delivered", at, at))
        journal.record("sinch", ACCOUNT, "dlr", at, callback_id=f"cb_{n}", url=None,
                       payload={"batch_id": f"m{n:08d}", "status": "Delivered"})
        journal.record("sinch", ACCOUNT, "callback_attempt", at, callback_id=f"cb_{n}", status=200,
                       error=None, attempt=1, payload={"batch_id": f"m{n:08d}"})
    return journal


def in_process(messages: int) -> None:
    print(f"| read ({messages:,} messages, {2 * messages:,} entries) | median ms | max ms | rows |")
    print("|---|---|---|---|")
    for handsets in (10, 200_000):
        time_reads(messages, handsets)


def time_reads(messages: int, handsets: int) -> None:
    """Print the table's rows for one journal (freed on return, before the next is built)."""
    from fake_providers.clock import iso_millis
    from fake_providers.inbox import queries
    journal = synthetic(messages, handsets)
    early = journal.message_at(messages // 10 + 1)
    middle = messages // 2
    reads = [
        ("conversations (50 newest)", lambda: queries.conversations(journal).rows),
        ("conversations, older page from the middle",
         lambda: queries.conversations(journal, before=middle).rows),
        ("search, no match", lambda: queries.conversations(journal, "nothing-matches").rows),
        ("search, the newest handset's digits", lambda: queries.conversations(
            journal, queries.handset_of(journal.message_at(messages)).lstrip("+")).rows),
        ("an early handset's thread", lambda: queries.thread(journal, queries.handset_of(early))[0]),
        ("an early message by id and seq", lambda: [queries.message(journal, early.id, early.seq)]),
        ("an early message by id alone (not found)", lambda: [queries.message(journal, early.id)]),
        ("an early message's history", lambda: queries.history(journal, early).reports),
        ("journal page, kind=dlr", lambda: queries.entries(journal, None, None, "dlr")[0]),
        ("attempts of the 50 newest callbacks", lambda: list(queries.attempts_of(
            journal, {f"cb_{n}" for n in range(messages - 50, messages)},
            iso_millis(journal.message_at(messages - 49).created_at)))),
        ("attempts of 50 callbacks, none recent", lambda: list(queries.attempts_of(
            journal, {f"cb_{n}" for n in range(50)}, ""))),
    ]
    for name, read in reads:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            rows = read()
            times.append((time.perf_counter() - started) * 1000)
        print(f"| {name}, {handsets:,} handsets | {statistics.median(times):.2f} | "
              f"{max(times):.2f} | {len([r for r in rows if r is not None])} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    if args.in_process:
        in_process(args.messages)
        return 0
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
                ("inbox: search, no match (a budget of messages)", "/_smsproof/?q=nothing-matches"),
                ("inbox: one handset's thread", f"/_smsproof/?handset={quote(handset(7))}"),
                ("inbox: details of the oldest message, its link", f"/_smsproof/inbox/messages/{oldest}?seq=1"),
                ("inbox: the oldest message, typed URL (404)", f"/_smsproof/inbox/messages/{oldest}"),
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
