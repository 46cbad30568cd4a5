"""``python -m benchmarks [--quick]``: every benchmark of issue #6 in one invocation.

Order of work:

1. Servers, each in its own process pinned to CPU 0 (this process pins itself
   to CPU 1): the simulator (``ob-restore simulator``) once per digest
   algorithm, and its throughput with the raw aiohttp client, both on the wall
   clock and per second of the simulator's own CPU time (what one core serves).
   The client rounds use the benchmarks' own minimal digest server
   (``benchmarks/minimal_server.py``), which costs the server a fraction of what
   the simulator does per request, so that the server never paces a round;
   ``--server simulator`` uses the simulator instead. The output says which.
2. Interleaved rounds, for MD5 then SHA-256: every client is opened and warmed
   up once (handshake, full pool), then each round gives every client, in an
   order rotated per round, one measured window of ``--requests`` calls with
   64 in flight (httpx a fifth of that). Ratios are taken between clients of the same round.
3. Cold bursts of 64 and 256 concurrent first calls per client, against the
   simulator (its strict digest verifier counts 401s and refused nc re-uses).
4. Polling: coalesced waits versus a per-tenant describe loop.
5. Scale: a many-restore drill and a huge dry run, each in a child process.
5b. At the API's limit: drills against a rate-limited simulator
   (:mod:`benchmarks.ratelimit`, also runnable alone); cold bursts through 50 ms of
   latency and a strict nonce-count server's cost (:mod:`benchmarks.concurrency`,
   also runnable alone).
6. The tables on stdout; with an output folder, ``RESULTS.md``, ``results.png``
   and ``results.json`` (every window's raw figures).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .clients import SLOW_CLIENTS, VARIANTS
from .common import (
    ServerProcess,
    ServerStats,
    fixture_text,
    pin_client,
    start_minimal_server,
    start_simulator,
)
from .concurrency import render as render_concurrency
from .concurrency import run_concurrency
from .polling import run_polling
from .ratelimit import render as render_ratelimit
from .ratelimit import run_ratelimit
from .report import render_markdown, write_chart
from .scale import run_scale
from .throughput import cold_burst, open_warm, window

ALGORITHMS = ("MD5", "SHA-256")

FULL = {
    "rounds": 40,
    "requests": 2000,
    "warmup": 300,
    "bursts": "64,256",
    "polling_waits": 1000,
    "polling_instances": 10,
    "polling_restore_seconds": "5-60",
    "polling_initial": 2.0,
    "polling_max": 15.0,
    "drill_items": 10_000,
    "dry_run_items": 100_000,
    "ratelimit_restores": 1000,
    "concurrency_rounds": 5,
    "concurrency_sizes": "64,256",
    "strict_warmup": 2000,
    "strict_calls": 4000,
    "throughput_requests": 4000,
}
QUICK = {
    "rounds": 2,
    "requests": 400,
    "warmup": 100,
    "bursts": "64,256",
    "polling_waits": 200,
    "polling_instances": 10,
    "polling_restore_seconds": "1-4",
    "polling_initial": 0.5,
    "polling_max": 2.0,
    "drill_items": 300,
    "dry_run_items": 3000,
    "ratelimit_restores": 100,
    "concurrency_rounds": 2,
    "concurrency_sizes": "64,256",
    "strict_warmup": 500,
    "strict_calls": 1000,
    "throughput_requests": 600,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="a short run (smoke testing)")
    parser.add_argument(
        "--output-dir",
        type=Path,
        help="write RESULTS.md and results.png here (default: benchmarks/ for a full run, "
        "nowhere for --quick)",
    )
    parser.add_argument(
        "--server",
        choices=("minimal", "simulator"),
        default="minimal",
        help="server of the client rounds (default: the benchmarks' minimal digest server, "
        "whose own cost per request is a fraction of the simulator's)",
    )
    parser.add_argument("--concurrency", type=int, default=64)
    for name, default in FULL.items():
        kind = type(default)
        parser.add_argument("--" + name.replace("_", "-"), type=kind, default=None)
    parser.add_argument("--skip-polling", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-ratelimit", action="store_true")
    parser.add_argument("--skip-concurrency", action="store_true")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.output_dir is None and not args.quick:
        args.output_dir = Path(__file__).resolve().parent
    args.burst_sizes = [int(size) for size in str(args.bursts).split(",") if size.strip()]
    return args


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def _throughput(
    server: ServerProcess, stats: ServerStats, requests: int, concurrency: int
) -> dict[str, float]:
    """The simulator's authenticated restore POSTs per second: on the wall clock, and
    per second of the server's own CPU time, which is what one core can serve when the
    client cannot keep it busy (medians of three windows)."""
    client = await open_warm(
        "raw-aiohttp", server.url, concurrency=concurrency, warmup=min(300, requests)
    )
    walls, per_core, busy = [], [], []
    try:
        for _ in range(3):
            cpu_before = server.cpu_seconds()
            result = await window(client, stats, requests=requests, concurrency=concurrency)
            cpu_after = server.cpu_seconds()
            walls.append(result["rps"])
            if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
                per_core.append(result["ok"] / (cpu_after - cpu_before))
                busy.append((cpu_after - cpu_before) / result["wall"])
    finally:
        await client.close()
    nan = float("nan")
    return {
        "wall_rps": statistics.median(walls),
        "per_core_rps": statistics.median(per_core) if per_core else nan,
        "server_busy": statistics.median(busy) if busy else nan,
    }


async def _rounds(
    args: argparse.Namespace, servers: dict[str, tuple[str, ServerStats]]
) -> list[dict[str, Any]]:
    results = []
    for algorithm in ALGORITHMS:
        url, stats = servers[algorithm]
        # Every client is opened and warmed up once, then the rounds take turns among
        # them in short windows, so that each round's clients see the same machine.
        clients = {
            variant: await open_warm(variant, url, concurrency=args.concurrency, warmup=args.warmup)
            for variant in VARIANTS
        }
        # What exists now (modules, clients, pools) lives for the whole run: frozen, a
        # full collection during some window no longer walks it, which took a random
        # client's window several milliseconds longer than its neighbours'.
        gc.collect()
        gc.freeze()
        try:
            for number in range(args.rounds):
                shift = number % len(VARIANTS)
                for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                    result = await window(
                        clients[variant],
                        stats,
                        requests=args.requests // SLOW_CLIENTS.get(variant, 1),
                        concurrency=args.concurrency,
                    )
                    result.update(round=number + 1, algorithm=algorithm)
                    results.append(result)
                    _say(
                        f"  round {number + 1}/{args.rounds} {algorithm:7} {variant:19} "
                        f"{result['cpu_us']:7.0f} us/req  {result['rps']:6.0f} req/s  "
                        f"401s {result['challenges']}  failed {result['failed']}"
                    )
        finally:
            for client in clients.values():
                await client.close()
            gc.unfreeze()
    return results


async def _bursts(
    args: argparse.Namespace, simulators: dict[str, tuple[str, ServerStats]]
) -> list[dict[str, Any]]:
    results = []
    for algorithm in ALGORITHMS:
        url, stats = simulators[algorithm]
        for size in args.burst_sizes:
            for variant in VARIANTS:
                result = await cold_burst(variant, url, stats, size=size)
                result["algorithm"] = algorithm
                results.append(result)
                _say(
                    f"  cold burst {algorithm:7} {size:4} {variant:19} "
                    f"401s {result['challenges']:4}  nc re-uses {result['nc_reuses']:4}  "
                    f"failed {result['failed']}"
                )
    return results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    command = "python -m benchmarks" + (" " + shlex.join(argv) if argv else "")
    if argv is None:
        command = "python -m benchmarks " + shlex.join(sys.argv[1:])
    pinned = pin_client()
    started = time.time()
    data: dict[str, Any] = {
        "command": command.strip(),
        "quick": args.quick,
        "pinned": pinned,
        "started": started,
        "sizes": {name: getattr(args, name) for name in FULL},
        "concurrency": args.concurrency,
    }
    with tempfile.TemporaryDirectory(prefix="ob-async-bench-") as scratch:
        workdir = Path(scratch)
        fixture = workdir / "bench-fixture.toml"
        fixture.write_text(fixture_text(), encoding="utf-8")
        processes: list[ServerProcess] = []
        try:
            simulators: dict[str, tuple[str, ServerStats]] = {}
            by_algorithm: dict[str, ServerProcess] = {}
            for algorithm in ALGORITHMS:
                process = start_simulator(fixture, algorithms=algorithm)
                processes.append(process)
                by_algorithm[algorithm] = process
                simulators[algorithm] = (process.url, ServerStats(process.url, "simulator"))
            _say("simulator throughput (raw aiohttp client, SHA-256) ...")
            throughput = asyncio.run(
                _throughput(
                    by_algorithm["SHA-256"],
                    simulators["SHA-256"][1],
                    args.throughput_requests,
                    args.concurrency,
                )
            )
            data["simulator"] = throughput
            if args.server == "simulator":
                servers = simulators
                data["server"] = "the simulator (ob-restore simulator)"
            else:
                servers = {}
                for algorithm in ALGORITHMS:
                    process = start_minimal_server(algorithm)
                    processes.append(process)
                    servers[algorithm] = (process.url, ServerStats(process.url, "minimal"))
                data["server"] = (
                    "the benchmarks' minimal digest server (benchmarks/minimal_server.py)"
                )
            _say(
                f"simulator: {throughput['wall_rps']:,.0f} req/s on the wall clock with the "
                f"server {throughput['server_busy']:.0%} busy, "
                f"{throughput['per_core_rps']:,.0f} per CPU second; "
                f"client rounds against {data['server']}; pinned: {pinned}"
            )
            _say(f"steady state: {args.rounds} rounds x {args.requests} requests ...")
            data["rounds"] = asyncio.run(_rounds(args, servers))
            _say("cold bursts (against the simulator) ...")
            data["bursts"] = asyncio.run(_bursts(args, simulators))
        finally:
            for process in processes:
                process.stop()
        if not args.skip_polling:
            _say(
                f"polling: {args.polling_waits} waits over {args.polling_instances} instances, "
                f"restores {args.polling_restore_seconds} s ..."
            )
            data["polling"] = run_polling(
                workdir,
                waits=args.polling_waits,
                instances=args.polling_instances,
                restore_seconds=args.polling_restore_seconds,
                initial_interval=args.polling_initial,
                max_interval=args.polling_max,
            )
        if not args.skip_scale:
            _say(
                f"scale: a {args.drill_items}-restore drill and a "
                f"{args.dry_run_items}-item dry run ..."
            )
            data["scale"] = run_scale(
                workdir, drill_items=args.drill_items, dry_run_items=args.dry_run_items
            )
        if not args.skip_ratelimit:
            data["ratelimit"] = run_ratelimit(workdir, restores=args.ratelimit_restores)
        if not args.skip_concurrency:
            data["handshake_concurrency"] = run_concurrency(
                workdir,
                rounds=args.concurrency_rounds,
                sizes=[int(size) for size in str(args.concurrency_sizes).split(",")],
                rtt=0.05,
                strict_warmup=args.strict_warmup,
                strict_calls=args.strict_calls,
            )
    data["elapsed"] = time.time() - started
    markdown = render_markdown(data)
    if "ratelimit" in data:
        markdown += "\n" + render_ratelimit(
            data["ratelimit"], command=data["command"], restores=args.ratelimit_restores
        )
    if "handshake_concurrency" in data:
        markdown += "\n" + render_concurrency(
            data["handshake_concurrency"], command=data["command"]
        )
    print(markdown)
    if args.output_dir is not None:
        args.output_dir.mkdir(parents=True, exist_ok=True)
        chart = args.output_dir / "results.png"
        drawn = write_chart(data, chart)
        (args.output_dir / "RESULTS.md").write_text(markdown, encoding="utf-8")
        # Every window's figures, for anyone who wants other statistics than ours.
        raw = json.dumps(data, indent=1, default=str, allow_nan=True)
        (args.output_dir / "results.json").write_text(raw + "\n", encoding="utf-8")
        _say(f"wrote {args.output_dir / 'RESULTS.md'} and results.json")
        _say(f"wrote {chart}" if drawn else "no chart: matplotlib is not installed")
    return 0
