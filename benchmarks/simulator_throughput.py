"""Authenticated create-restore requests per second the simulator sustains on one core.

    python -m benchmarks.simulator_throughput [--seconds N] [--concurrency 64]

The simulator runs as ``ob-restore simulator`` in its own process, pinned to
CPU 0 with ``taskset`` when available, on the benchmarks' fixture (targets of
practically unlimited capacity). This process (pinned to CPU 1 when there is
one) drives it with a lighter client than ``python -m benchmarks`` does: the
floor's hand-computed pre-emptive digest, bodies sent without a model and
answers read but not decoded, 64 requests in flight, every request a restore
POST with a unique target tenant name, for a fixed time after a one-second
warm-up. Only 200 answers are counted.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from .clients import PreemptiveDigest
from .common import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    PROJECT_ID,
    RESTORE_BODY,
    RESTORE_PATH,
    ServerProcess,
    fixture_text,
    pin_client,
    start_simulator,
    unique_name,
)

WARM_UP_SECONDS = 1.0


async def drive(
    url: str, seconds: float, concurrency: int, server: ServerProcess | None = None
) -> tuple[int, int, float, float | None]:
    """Successes, other answers, wall seconds and server CPU seconds (None: not known)."""
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(f"{url}{RESTORE_PATH}?requestId=challenge", data=b"{}") as answer:
            if answer.status != 401:
                raise SystemExit(f"expected a digest challenge, got HTTP {answer.status}")
            digest = PreemptiveDigest(answer.headers["WWW-Authenticate"])
        numbers = itertools.count()
        counts = {"ok": 0, "other": 0}
        measuring = False
        stop_at = time.perf_counter() + WARM_UP_SECONDS + seconds

        async def worker() -> None:
            while time.perf_counter() < stop_at:
                uri = f"{RESTORE_PATH}?requestId=bench-{next(numbers)}"
                body = json.dumps({**RESTORE_BODY, "targetTenantName": unique_name()})
                headers = {
                    "Authorization": digest.header("POST", uri),
                    "X-Ob-Project-Id": PROJECT_ID,
                    "Content-Type": "application/json",
                }
                async with session.post(f"{url}{uri}", data=body, headers=headers) as response:
                    await response.read()
                    if measuring:
                        counts["ok" if response.status == 200 else "other"] += 1

        tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
        await asyncio.sleep(WARM_UP_SECONDS)
        measuring = True
        started = time.perf_counter()
        cpu_before = server.cpu_seconds() if server else None
        await asyncio.gather(*tasks)
        cpu_after = server.cpu_seconds() if server else None
        elapsed = time.perf_counter() - started
    cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
    return counts["ok"], counts["other"], elapsed, cpu


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.simulator_throughput", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement time")
    parser.add_argument("--concurrency", type=int, default=64, help="requests in flight")
    parser.add_argument(
        "--url",
        help="drive an already running simulator (started with the benchmarks' fixture, "
        f"AccessKey {ACCESS_KEY_ID}:{ACCESS_KEY_SECRET}) instead of starting one",
    )
    args = parser.parse_args()
    pinned = pin_client()
    if args.url:
        ok, other, elapsed, _ = asyncio.run(drive(args.url, args.seconds, args.concurrency))
        print(f"throughput: {ok / elapsed:,.0f} requests/s ({other} non-200 answers)")
        return 0 if ok and not other else 1
    with tempfile.TemporaryDirectory() as directory:
        fixture = Path(directory, "bench.toml")
        fixture.write_text(fixture_text(), encoding="utf-8")
        with start_simulator(fixture) as simulator:
            ok, other, elapsed, cpu = asyncio.run(
                drive(simulator.url, args.seconds, args.concurrency, simulator)
            )
    print(f"simulator: {simulator.url} (client and server pinned to their own CPUs: {pinned})")
    print(f"authenticated create-restore requests: {ok} in {elapsed:.1f} s")
    print(f"throughput: {ok / elapsed:,.0f} requests/s ({other} non-200 answers)")
    if cpu:
        # Load-independent: what one fully available core sustains, whatever else ran on it.
        print(
            f"server CPU: {cpu:.1f} s ({cpu / elapsed:.0%} of one core); "
            f"{ok / cpu:,.0f} requests per CPU-second"
        )
    return 0 if ok and not other else 1


if __name__ == "__main__":
    sys.exit(main())
