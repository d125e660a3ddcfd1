"""The journal at scale: resident memory and the latency of the control API's reads and of the
Sinch fake's own reads (its batch, delivery-report and inbound listings, an MO picking up a
`client_reference`) after 1,000, 100,000 and 1,000,000 single-recipient Sinch sends (issue 11:
a million sends under 1 GB, reads in milliseconds that never hold up sends).

    python benchmarks/bench_journal.py [--sends 1000,100000,1000000] [--max-messages N]

The fakes' app runs in this process, called straight through ASGI (no sockets: what is
measured is the app's memory and the time a read holds the event loop, which is the time every
send waiting behind it waits). Sends go through the full Sinch send path (validation, batch,
journal), one in a hundred with a `client_reference`; the virtual clock is advanced 10 s every
1,000 sends, so batches are dispatched and delivered as in a server. The collector runs as under `smsproof serve` (survivors frozen).
Each read is timed 5 times; the table gives the median and the slowest.

Stalls: every send's CPU time (this thread's, so what other processes on a shared machine do
does not count) and every collection's pause are recorded; each checkpoint prints the
percentiles and the longest, the time one send can hold the event loop (issue 11: p99 under
10 ms at 1,000 sends/s).
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import time
from array import array
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fake_providers.app import create_app  # noqa: E402
from fake_providers.clock import iso_millis  # noqa: E402
from fake_providers.network import Network  # noqa: E402
from fake_providers.server import add_demo_accounts, freeze_survivors  # noqa: E402

ACCOUNT, TOKEN = "demo-service-plan", "demo-token"
HEADERS = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {TOKEN}".encode()),
           (b"content-type", b"application/json")]


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def recipient(n: int) -> str:
    return f"+3460{n * 7919 % 10_000_000:07d}"  # distinct for the first ten million sends


async def call(app, method: str, path: str, body: bytes = b"", query: bytes = b"") -> tuple[int, bytes]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
             "root_path": "", "server": ("127.0.0.1", 8010), "client": ("127.0.0.1", 50000),
             "headers": HEADERS + [(b"content-length", str(len(body)).encode())]}
    received = False
    status, chunks = 0, []

    async def receive():
        nonlocal received
        if not received:
            received = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def reference(n: int) -> str | None:
    return f"order-{n}" if n % 100 == 0 else None


async def send_sms(app, n: int) -> None:
    request = {"to": [recipient(n)], "from": "Shop", "body": f"Your code is {n % 10000:04d}"}
    if reference(n) is not None:
        request["client_reference"] = reference(n)
    body = json.dumps(request).encode()
    status, answer = await call(app, "POST", f"/xms/v1/{ACCOUNT}/batches", body)
    if status != 201:
        raise SystemExit(f"send {n} answered {status}: {answer[:200]!r}")


async def timed(app, method: str, path: str, query: str = "", body: bytes = b"") -> tuple[float, float, int]:
    """(median ms, slowest ms, response bytes) of 5 calls."""
    times, size = [], 0
    for _ in range(5):
        started = time.perf_counter()
        status, answer = await call(app, method, path, body, query.encode())
        times.append((time.perf_counter() - started) * 1000)
        typed = path.startswith("/_smsproof/inbox/messages/") and "seq=" not in query
        if status not in ((200, 201, 404) if typed else (200, 201)):  # an old typed id: not found
            raise SystemExit(f"{method} {path}?{query} answered {status}: {answer[:200]!r}")
        size = len(answer)
    return statistics.median(times), max(times), size


def provider_reads(sent: int, started: datetime) -> list[tuple[str, str, str, str, bytes]]:
    """The Sinch fake's own reads: listings filtered and paged into the middle, an MO."""
    plan, middle = f"/xms/v1/{ACCOUNT}", sent // 2
    halfway = started + timedelta(seconds=middle // 1000 * 10)  # the clock's 10 s per 1,000 sends
    window = (f"start_date={iso_millis(halfway - timedelta(seconds=5))}"
              f"&end_date={iso_millis(halfway + timedelta(seconds=5))}")
    referenced = middle // 100 * 100  # a send with a client_reference
    mo = json.dumps({"provider": "sinch", "from": recipient(referenced), "to": "+4915112348765",
                     "body": "STOP"}).encode()
    return [
        ("sinch batches, first page (30)", "GET", f"{plan}/batches", "", b""),
        ("sinch batches from=Shop, a page in the middle", "GET", f"{plan}/batches",
         f"from=Shop&page_size=100&page={middle // 100}", b""),
        ("sinch batches in 10 s of the middle, last page", "GET", f"{plan}/batches",
         f"{window}&page_size=100&page=9", b""),
        ("sinch batches by client_reference", "GET", f"{plan}/batches",
         f"client_reference={reference(referenced)}", b""),
        ("sinch delivery_reports, first page (30)", "GET", f"{plan}/delivery_reports", "", b""),
        ("sinch delivery_reports status=Delivered, middle", "GET", f"{plan}/delivery_reports",
         f"status=Delivered&page_size=100&page={middle // 100}", b""),
        ("sinch delivery_reports code=0 + client_reference", "GET", f"{plan}/delivery_reports",
         f"code=0&client_reference={reference(referenced)}", b""),
        ("sinch inbounds to a number", "GET", f"{plan}/inbounds", "to=%2B4915112348765", b""),
        ("sinch MO (picks up the phone's client_reference)", "POST", "/_smsproof/inbound", "", mo),
    ]


def inbox_pages(network: Network, sent: int) -> list[tuple[str, str, str, str, bytes]]:
    """The web inbox's pages, rendered: the newest and an older page of conversations, a
    search, a handset's thread, an early message's details (history read from its creation)
    by its link and by a typed URL, the callbacks and the journal."""
    early = network.journal.message_at(sent // 10 + 1)
    handset = recipient(sent // 10).replace("+", "%2B")
    return [
        ("inbox: conversations (50 newest)", "GET", "/_smsproof/", "", b""),
        ("inbox: conversations, older page from the middle", "GET", "/_smsproof/",
         f"before={sent // 2}", b""),
        ("inbox: search, no match (a budget of messages)", "GET", "/_smsproof/",
         "q=nothing-matches", b""),
        ("inbox: one handset's thread", "GET", "/_smsproof/", f"handset={handset}", b""),
        ("inbox: an early message's details, its link", "GET",
         f"/_smsproof/inbox/messages/{early.id}", f"seq={early.seq}", b""),
        ("inbox: an early message, typed URL (404)", "GET",
         f"/_smsproof/inbox/messages/{early.id}", "", b""),
        ("inbox: callbacks (50 newest)", "GET", "/_smsproof/inbox/callbacks", "", b""),
        ("inbox: callbacks failed", "GET", "/_smsproof/inbox/callbacks", "state=failed", b""),
        ("inbox: journal, dlr (100 newest)", "GET", "/_smsproof/inbox/journal", "kind=dlr", b""),
    ]


async def reads(app, network: Network, sent: int,
                started: datetime) -> list[tuple[str, float, float, int]]:
    early, middle = recipient(sent // 10), str(sent // 2)
    verify = json.dumps({"to": early, "count": 1}).encode()
    cases = [
        ("messages, first page (1,000)", "GET", "/_smsproof/messages", "", b""),
        ("messages to one number", "GET", "/_smsproof/messages", f"to={early.replace('+', '%2B')}", b""),
        ("messages of the account, 100 from the middle", "GET", "/_smsproof/messages",
         f"account={ACCOUNT}&provider=sinch&limit=100&cursor={middle}", b""),
        ("messages by body (no index: one bounded page)", "GET", "/_smsproof/messages",
         "body=no-such-text", b""),
        ("journal mt_request, 100 from the middle", "GET", "/_smsproof/journal",
         f"kind=mt_request&limit=100&cursor={middle}", b""),
        ("verify count of one number", "POST", "/_smsproof/messages/verify", "", verify),
    ]
    rows = []
    for name, method, path, query, body in cases + provider_reads(sent, started) + inbox_pages(network, sent):
        median, slowest, size = await timed(app, method, path, query, body)
        rows.append((name, median, slowest, size))
    return rows


class Pauses:
    """The collector's pauses (this thread's CPU time), per generation, as a gc callback."""

    def __init__(self) -> None:
        self.longest = [0.0, 0.0, 0.0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.thread_time()
        else:
            generation = info["generation"]
            self.longest[generation] = max(self.longest[generation],
                                           time.thread_time() - self._started)


def stall_line(cpu: array, pauses: Pauses) -> str:
    ordered = sorted(cpu)
    cut = statistics.quantiles(ordered, n=1000) if len(ordered) > 1 else ordered * 999
    gen0, gen1, gen2 = (ms * 1000 for ms in pauses.longest)
    return (f"  CPU per send: p50 {cut[499] * 1000:.2f} ms, p99 {cut[989] * 1000:.2f}, "
            f"p99.9 {cut[998] * 1000:.2f}, longest {ordered[-1] * 1000:.2f}; longest collection "
            f"pause: gen0 {gen0:.2f} ms, gen1 {gen1:.2f}, gen2 {gen2:.2f}")


async def run(checkpoints: list[int], max_messages: int | None) -> None:
    network = Network()
    network.journal.max_records = max_messages
    app = create_app(network)
    add_demo_accounts(network)
    network.clock.set_mode("virtual")
    clock_started = network.clock.now()
    gc.collect()
    gc.freeze()
    gc.callbacks.append(freeze_survivors)
    pauses = Pauses()
    gc.callbacks.insert(0, pauses)
    baseline = rss_bytes()
    print(f"start: RSS {baseline / 2**20:,.0f} MiB; load average {os.getloadavg()[0]:.2f}"
          + (f"; --max-messages {max_messages:,}" if max_messages else ""), flush=True)
    sent, started = 0, time.perf_counter()
    for target in checkpoints:
        cpu = array("d")
        pauses.longest = [0.0, 0.0, 0.0]
        while sent < target:
            began = time.thread_time()
            await send_sms(app, sent)
            cpu.append(time.thread_time() - began)
            sent += 1
            if sent % 1000 == 0:
                await network.clock.advance(10)
        await network.clock.advance(10)
        elapsed = time.perf_counter() - started
        stalls = stall_line(cpu, pauses)
        del cpu  # the timings are the benchmark's, not the app's memory
        rss = rss_bytes()
        print(f"\n{sent:,} sends ({sent / elapsed:,.0f}/s in-process, {len(network.journal._messages):,} "
              f"messages kept): RSS {rss / 2**20:,.0f} MiB, {(rss - baseline) / sent:,.0f} B per send; "
              f"load average {os.getloadavg()[0]:.2f}", flush=True)
        print(stalls)
        print(f"  {'read':<50} {'median ms':>10} {'slowest ms':>11} {'bytes':>10}")
        for name, median, slowest, size in await reads(app, network, sent, clock_started):
            print(f"  {name:<50} {median:>10.2f} {slowest:>11.2f} {size:>10,}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", default="1000,100000,1000000",
                        help="checkpoints, comma-separated (each at most 2,000,000)")
    parser.add_argument("--max-messages", type=int, default=None)
    args = parser.parse_args()
    checkpoints = sorted(int(n) for n in args.sends.split(","))
    if not checkpoints or checkpoints[0] < 1 or checkpoints[-1] > 2_000_000:
        raise SystemExit("--sends: checkpoints from 1 to 2,000,000")
    asyncio.run(run(checkpoints, args.max_messages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
