"""What ``submit_restore`` costs over ``create_restore_task``, in client CPU, in steady state.

    python -m benchmarks.submit_cpu [--rounds 12] [--requests 1000] [--algorithm MD5 ...]

The main harness's client rounds, narrowed to the three clients this question
needs (the raw aiohttp floor, ``ob-async-create``, ``ob-async-submit``) so that a
run is short enough to repeat on each change of the retry loop or the submitter:
the minimal digest server in its own process, every client opened and warmed up
once, then interleaved windows (client order rotated each round), 64 in flight,
CPU per accepted call from the process's CPU time. Prints, per algorithm, the
median CPU per call and the median of the per-round ratios to the floor (with
their range): ratios taken within a round, because a shared machine moves all
three together from one round to the next.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
from typing import Any

from .common import ServerStats, pin_client, start_minimal_server
from .throughput import open_warm, window

CLIENTS = ("raw-aiohttp", "ob-async-create", "ob-async-submit")


async def measure(algorithm: str, *, rounds: int, requests: int, warmup: int) -> dict[str, Any]:
    """Per-round CPU figures of the three clients against one minimal server."""
    with start_minimal_server(algorithm) as server:
        stats = ServerStats(server.url, "minimal")
        clients = {
            name: await open_warm(name, server.url, concurrency=64, warmup=warmup)
            for name in CLIENTS
        }
        gc.collect()
        gc.freeze()  # as the harness does: what lives for the whole run is not walked
        per_round: list[dict[str, float]] = []
        try:
            for number in range(rounds):
                shift = number % len(CLIENTS)
                cpu: dict[str, float] = {}
                for name in CLIENTS[shift:] + CLIENTS[:shift]:
                    result = await window(clients[name], stats, requests=requests, concurrency=64)
                    if result["failed"]:
                        raise RuntimeError(f"{name}: {result['failed']} calls failed")
                    cpu[name] = result["cpu_us"]
                per_round.append(cpu)
        finally:
            for client in clients.values():
                await client.close()
            gc.unfreeze()
    return {"algorithm": algorithm, "rounds": per_round}


def summary(figures: dict[str, Any]) -> str:
    rounds = figures["rounds"]
    parts = [f"{figures['algorithm']}:"]
    for name in CLIENTS:
        parts.append(f"{name} {statistics.median(r[name] for r in rounds):.0f} us")
    for name in CLIENTS[1:]:
        ratios = [r[name] / r[CLIENTS[0]] for r in rounds]
        parts.append(
            f"{name}/floor {statistics.median(ratios):.2f}x [{min(ratios):.2f}-{max(ratios):.2f}]"
        )
    return "  ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.submit_cpu", description=__doc__)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--requests", type=int, default=1000, help="calls per window")
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument(
        "--algorithm", action="append", choices=("MD5", "SHA-256"), help="default: both"
    )
    args = parser.parse_args(argv)
    pin_client()
    for algorithm in args.algorithm or ("MD5", "SHA-256"):
        figures = asyncio.run(
            measure(algorithm, rounds=args.rounds, requests=args.requests, warmup=args.warmup)
        )
        print(summary(figures), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
