"""The STOP storm: N handsets reply STOP at once (50 in flight) through the fakes' inbound
endpoint into the reference platform, which must blacklist every one of them.

    python benchmarks/bench_stop_storm.py [--replies 10000] [--concurrency 50]
                                          [--provider sinch|cm|instasent] [--profile DIR]

`python -m fake_providers` and `python -m reference_platform` run as two processes on
127.0.0.1; each reply is `POST /_smsproof/inbound`, which answers once the fake's MO callback to
the platform's webhook has been attempted, so a reply's latency is the whole chain (fake ->
platform -> any reply the platform sends back through the fake). Afterwards the platform's
blacklist and the fakes' callbacks are checked: nothing may be lost. The CPU seconds each
server used say where the time goes; `--profile DIR` runs both under cProfile and prints
their top functions (slower; for finding the cost, not for the figure).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sinch_send import cpu_seconds, free_port  # noqa: E402

LONG_CODE = "+4915112348765"
ACCOUNTS = {"sinch": ("SP1", {"api_token": "TOKEN1"}, {"service_plan_id": "SP1", "api_token": "TOKEN1"}),
            "cm": ("00000000-0000-0000-0000-00000000000c", {},
                   {"product_token": "00000000-0000-0000-0000-00000000000c"}),
            "instasent": ("ITOKEN", {}, {"token": "ITOKEN"})}


def start(module: str, port: int, profile: Path | None) -> subprocess.Popen:
    command = [sys.executable]
    if profile is not None:
        command += ["-m", "cProfile", "-o", str(profile / f"{module}.prof")]
    command += ["-m", module, "--port", str(port)]
    if module == "fake_providers":
        command.append("--no-demo")
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_up(client: httpx.AsyncClient, url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            await client.get(url)
            return
        except httpx.TransportError:
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def ok(response: httpx.Response) -> dict:
    if response.status_code >= 300:
        raise SystemExit(f"{response.request.method} {response.request.url}: {response.status_code} {response.text[:300]}")
    return response.json() if response.content else {}


async def storm(fakes_url: str, platform_url: str, args) -> None:
    async with httpx.AsyncClient(timeout=60) as client:  # set-up and checks
        await wait_up(client, f"{fakes_url}/_smsproof/health")
        await wait_up(client, f"{platform_url}/driver/v1/capabilities")
        created = ok(await client.post(f"{platform_url}/driver/v1/workspaces"))
        prefix = f"{platform_url}/driver/v1/workspaces/{created['workspace']}"
        webhooks = created["webhooks"][args.provider]
        account, settings, platform_settings = ACCOUNTS[args.provider]
        ok(await client.put(f"{fakes_url}/_smsproof/accounts/{args.provider}/{account}", json={
            "mo_callback_url": webhooks["mo"], "dlr_callback_url": webhooks["dlr"],
            "numbers": [{"number": LONG_CODE, "type": "long_code"}], **settings}))
        ok(await client.put(f"{prefix}/config", json={
            "providers": {args.provider: {"base_url": fakes_url, **platform_settings}},
            "default_provider": args.provider,
            "inbound_numbers": [{"number": LONG_CODE, "type": "long_code", "provider": args.provider}],
            "two_way": {"track_incoming": True, "opt_out_enabled": True, "keywords": ["stop"],
                        "categories": ["sms_marketing"]},
            "consent_categories": [{"name": "sms_marketing", "legal_basis": "consent"}],
            "sending": {"sender": "Shop"}}))

        phones = [f"+3461{n:07d}" for n in range(args.replies)]
        queue = iter(phones)
        latencies: list[float] = []
        failures: list[str] = []

        # The handsets post with aiohttp: httpx's pool cost this process a core at 300 replies/s.
        # Idle connections are dropped before uvicorn closes them (5 s): no keep-alive race.
        handsets = aiohttp.ClientSession(connector=aiohttp.TCPConnector(
            limit=args.concurrency, keepalive_timeout=2), timeout=aiohttp.ClientTimeout(total=60))

        async def handset() -> None:
            for phone in queue:
                started = time.perf_counter()
                try:
                    async with handsets.post(f"{fakes_url}/_smsproof/inbound", json={
                            "provider": args.provider, "from": phone, "to": LONG_CODE,
                            "body": "STOP"}) as answer:
                        status, text = answer.status, await answer.text()
                except (aiohttp.ClientError, TimeoutError) as exc:  # counted, and the storm goes on
                    failures.append(f"{phone}: {type(exc).__name__} {exc}")
                    continue
                latencies.append(time.perf_counter() - started)
                if status != 201 or json.loads(text)["callback"]["state"] != "delivered":
                    failures.append(f"{phone}: {status} {text[:200]}")

        pids = {name: server.pid for name, server in args.servers.items()}
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        began = time.perf_counter()
        try:
            await asyncio.wait_for(asyncio.gather(*(handset() for _ in range(args.concurrency))),
                                   timeout=args.timeout)
        finally:
            await handsets.close()
        elapsed = time.perf_counter() - began
        cpu_after = {name: cpu_seconds(pid) for name, pid in pids.items()}
        load = os.getloadavg()[0]

        blacklisted = {e["phone"] for e in ok(await client.get(f"{prefix}/opt-outs"))["blacklist"]}
        missing = [p for p in phones if p not in blacklisted]
        undelivered, cursor = 0, None
        while True:
            page = ok(await client.get(f"{fakes_url}/_smsproof/callbacks",
                                       params={"state": "failed", **({"cursor": cursor} if cursor else {})}))
            undelivered += len(page["callbacks"])
            cursor = page["next_cursor"]
            if cursor is None:
                break

    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    print(f"STOP storm via {args.provider}: {args.replies:,} replies, {args.concurrency} in flight; "
          f"load average {load:.2f}")
    print(f"  {args.replies / elapsed:,.0f} replies/s ({elapsed:.1f} s); latency p50 "
          f"{cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms")
    for name in pids:
        if cpu_before[name] is not None and cpu_after[name] is not None:
            used = cpu_after[name] - cpu_before[name]
            print(f"  {name:<18} {used:6.1f} CPU-s, {used / args.replies * 1e6:,.0f} us per reply")
    print(f"  blacklisted {len(blacklisted):,} of {args.replies:,}; failed replies {len(failures)}; "
          f"failed callbacks {undelivered}")
    for failure in failures[:5]:
        print(f"    {failure}")
    if missing or failures or undelivered:
        raise SystemExit(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--provider", choices=sorted(ACCOUNTS), default="sinch")
    parser.add_argument("--timeout", type=float, default=600, help="seconds the storm may take at most")
    parser.add_argument("--profile", type=Path, help="run both servers under cProfile, stats into DIR")
    args = parser.parse_args()
    if not 1 <= args.replies <= 50_000 or not 1 <= args.concurrency <= 500 or not 1 <= args.timeout <= 1800:
        raise SystemExit("bounded runs only: --replies 1..50000, --concurrency 1..500, --timeout 1..1800")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    fakes_port, platform_port = free_port(), free_port()
    args.servers = {"fake_providers": start("fake_providers", fakes_port, args.profile),
                    "reference_platform": start("reference_platform", platform_port, args.profile)}
    try:
        asyncio.run(storm(f"http://127.0.0.1:{fakes_port}", f"http://127.0.0.1:{platform_port}", args))
    finally:
        for server in args.servers.values():
            server.send_signal(signal.SIGINT)
        for server in args.servers.values():
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    if args.profile:
        for name in args.servers:
            path = args.profile / f"{name}.prof"
            if path.exists():
                print(f"\n{name}: top functions by own time")
                pstats.Stats(str(path)).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
