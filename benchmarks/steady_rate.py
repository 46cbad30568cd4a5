"""The client's CPU at a steady request rate: what share of one core 100 requests/s cost.

    python -m benchmarks.steady_rate [--rate 100] [--seconds 30] [--warmup 3]

This process is the client: one :class:`~ob_async.ObClient` with its defaults (retry
policy and budget, adaptive throttle, digest authentication), as an application
opens it. ``ob-restore simulator`` answers in a process of its own, so its CPU
is not counted. The client submits restores (``submit_restore``, the API's main
call, each with its own requestId, marker and target name) at ``--rate`` a second
on a fixed schedule, as arrivals come, whether or not earlier ones have been
answered; after ``--warmup`` seconds (the digest handshake, the connection pool),
``--seconds`` more are measured: this process's CPU time (``time.process_time``:
user and system, garbage collection included) over the wall time of the window.

Goal (issue 23): at 100 requests/s the client uses at most 10% of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ob_async import Credentials, ObClient

from .common import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    PROJECT_ID,
    TARGET_INSTANCE,
    fixture_text,
    new_request,
    report,
    start_simulator,
)

GOAL_CORE_SHARE = 0.10


async def _drive(url: str, *, rate: float, seconds: float, warmup: float) -> dict[str, Any]:
    client = ObClient(
        url, Credentials(ACCESS_KEY_ID, access_key_secret=ACCESS_KEY_SECRET), PROJECT_ID
    )
    async with client:
        pending: set[asyncio.Task[Any]] = set()
        measured: list[asyncio.Task[Any]] = []
        loop = asyncio.get_running_loop()
        interval = 1.0 / rate
        start = loop.time()
        measure_from = start + warmup
        end = measure_from + seconds
        cpu_before = wall_before = None
        sent = 0
        while True:
            due = start + sent * interval
            if due >= end:
                break
            await asyncio.sleep(max(0.0, due - loop.time()))
            if cpu_before is None and due >= measure_from:
                cpu_before, wall_before = time.process_time(), time.perf_counter()
            request = new_request()
            task = asyncio.create_task(client.submit_restore(TARGET_INSTANCE, request))
            pending.add(task)
            task.add_done_callback(pending.discard)
            if cpu_before is not None:
                measured.append(task)
            sent += 1
        # The window ends when its last request has been answered.
        await asyncio.gather(*measured)
        cpu = time.process_time() - (cpu_before or 0.0)
        wall = time.perf_counter() - (wall_before or 0.0)
        await asyncio.gather(*pending)
    accepted = sum(1 for task in measured if task.result().submitted)
    return {
        "rate": rate,
        "requests": len(measured),
        "accepted": accepted,
        "wall": wall,
        "cpu": cpu,
        "core_share": cpu / wall,
        "cpu_ms_per_request": cpu / len(measured) * 1000,
    }


def run(folder: Path, *, rate: float, seconds: float, warmup: float) -> dict[str, Any]:
    fixture = folder / "steady-fixture.toml"
    fixture.write_text(fixture_text(), encoding="utf-8")
    with start_simulator(fixture) as simulator:
        result = asyncio.run(_drive(simulator.url, rate=rate, seconds=seconds, warmup=warmup))
    result["goals"] = [
        (
            f"{rate:g} requests/s: client CPU <= {GOAL_CORE_SHARE:.0%} of one core",
            f"{result['core_share']:.1%}",
            result["core_share"] <= GOAL_CORE_SHARE,
        ),
        (
            f"every request accepted ({result['requests']:,})",
            f"{result['accepted']:,}",
            result["accepted"] == result["requests"],
        ),
    ]
    return result


def describe(result: dict[str, Any]) -> str:
    return (
        f"{result['requests']:,} restore submissions at {result['rate']:g}/s over "
        f"{result['wall']:.1f} s: client CPU {result['cpu']:.2f} s = "
        f"{result['core_share']:.1%} of one core, {result['cpu_ms_per_request']:.2f} ms "
        f"per request; {result['accepted']:,} accepted"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.steady_rate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="the measured window")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ob-async-steady-") as scratch:
        result = run(Path(scratch), rate=args.rate, seconds=args.seconds, warmup=args.warmup)
    return report(describe(result), result["goals"])


if __name__ == "__main__":
    sys.exit(main())
