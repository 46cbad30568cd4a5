"""Concurrency at real servers: cold bursts over latency, and a strict nonce-count server's cost.

``python -m benchmarks.concurrency [--quick] [--write]`` (also part of ``python -m benchmarks``).

1. Cold bursts. A fresh client fires 64, then 256, concurrent first calls
   (restore POSTs) through ``benchmarks/latency_proxy.py``, which adds 50 ms to
   every exchange, to the benchmarks' minimal digest server; then the same
   number again, warm. Server and proxy run in processes of their own (pinned to
   CPU 0 with the others). Wall times are medians of ``--rounds`` rounds, the
   ratio cold / warm is taken within each round. Clients: ob-async
   (``create_restore_task``), aiohttp's ``DigestAuthMiddleware``, and the raw
   floor (aiohttp with a hand-computed header: one challenge fetched, then the
   burst pre-emptively on it, the least any digest client can do).
2. A strict nonce-count server: ``ob-restore simulator --nc-check strict``
   (Apache's ``AuthDigestNcCheck On``) behind the proxy with 10 ms of latency and
   up to 10 ms more per connection, so that requests overtake each other as on a
   network. Each client sends ``--strict-warmup`` calls with 64 in flight (where
   ob-async learns the strictness and grows its pool of nonces), then a measured
   window of ``--strict-calls`` more: failed calls, and round trips per call
   (requests the server received / calls).

Goals (issue #13): a cold burst of 256 at 50 ms within 2x a warm burst; against
the strict server 0 failed calls and at most 1.1 round trips per call in steady
state.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from .clients import CLIENTS, FLOOR, MISSING
from .common import (
    SERVER_CPU,
    ServerProcess,
    ServerStats,
    bench_env,
    fixture_text,
    pin_client,
    start_minimal_server,
    start_simulator,
)
from .ratelimit import write_section
from .throughput import open_warm, window

COLD_VARIANTS = tuple(
    variant
    for variant in (FLOOR, "aiohttp-middleware", "ob-async-create")
    if variant not in MISSING
)
STRICT_VARIANTS = COLD_VARIANTS
GOAL_COLD_RATIO = 2.0
GOAL_STRICT_ROUND_TRIPS = 1.1
SECTION_START = "<!-- concurrency:start -->"
SECTION_END = "<!-- concurrency:end -->"

FULL = {"rounds": 5, "sizes": "64,256", "rtt": 0.05, "strict_warmup": 2000, "strict_calls": 4000}
QUICK = {"rounds": 2, "sizes": "64,256", "rtt": 0.05, "strict_warmup": 500, "strict_calls": 1000}


def start_latency_proxy(upstream: str, rtt: float, jitter: float = 0.0) -> ServerProcess:
    command = [
        sys.executable,
        "-m",
        "benchmarks.latency_proxy",
        "--upstream",
        upstream,
        "--rtt",
        str(rtt),
        "--jitter",
        str(jitter),
    ]
    return ServerProcess(command, f"latency proxy ({rtt * 1000:g} ms)", bench_env())


async def _burst(client: Any, size: int) -> tuple[float, int]:
    started = time.perf_counter()
    results = await asyncio.gather(*(client.call() for _ in range(size)), return_exceptions=True)
    return time.perf_counter() - started, sum(1 for result in results if result is not True)


async def cold_and_warm(variant: str, url: str, stats: ServerStats, size: int) -> dict[str, Any]:
    """A fresh client's first ``size`` concurrent calls, then ``size`` more, warm."""
    before = await stats.read()
    client = CLIENTS[variant](url, size)
    started = time.perf_counter()
    try:
        # open() is part of the cold burst: the floor fetches its challenge there.
        await client.open()
        _, cold_failed = await _burst(client, size)
        cold = time.perf_counter() - started
        middle = await stats.read()
        warm, warm_failed = await _burst(client, size)
        # Warm in digest, but every connection to open again, as the cold burst had to.
        await client.fresh_pool()
        reconnecting, reconnect_failed = await _burst(client, size)
    finally:
        await client.close()
    return {
        "variant": variant,
        "size": size,
        "cold": cold,
        "warm": warm,
        "warm_new_connections": reconnecting,
        "ratio": cold / warm,
        "ratio_new_connections": cold / reconnecting,
        "failed": cold_failed + warm_failed + reconnect_failed,
        "challenges": middle["challenges"] - before["challenges"],
    }


async def _cold_rounds(url: str, stats: ServerStats, sizes: list[int], rounds: int) -> list[Any]:
    results = []
    for number in range(rounds):
        for size in sizes:
            # Rotated per round, so that no client always follows the same one.
            shift = number % len(COLD_VARIANTS)
            for variant in COLD_VARIANTS[shift:] + COLD_VARIANTS[:shift]:
                result = await cold_and_warm(variant, url, stats, size)
                result["round"] = number + 1
                results.append(result)
                _say(
                    f"  cold burst {size:4} {variant:19} cold {result['cold'] * 1000:6.0f} ms "
                    f"warm {result['warm'] * 1000:6.0f} ms ratio {result['ratio']:.2f} "
                    f"(new connections {result['warm_new_connections'] * 1000:6.0f} ms, "
                    f"{result['ratio_new_connections']:.2f}) "
                    f"401s {result['challenges']} failed {result['failed']}"
                )
    return results


async def _order_refusals(url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(url + "/_simulator/stats") as response:
        return int((await response.json())["ncOutOfOrderRefused"])


async def _strict(
    url: str, sim_url: str, stats: ServerStats, *, warmup: int, calls: int
) -> list[Any]:
    results = []
    for variant in STRICT_VARIANTS:
        refusals = await _order_refusals(sim_url)
        client = await open_warm(variant, url, concurrency=64, warmup=warmup)
        try:
            learnt = await _order_refusals(sim_url)
            before = await stats.read()
            result = await window(client, stats, requests=calls, concurrency=64)
            after = await stats.read()
        finally:
            await client.close()
        # Each stats read is a request too: the one that closed the window.
        requests = after["requests"] - before["requests"] - 1
        result.update(
            warmup=warmup,
            round_trips=requests / calls,
            order_refused_warmup=learnt - refusals,
            order_refused=await _order_refusals(sim_url) - learnt,
        )
        results.append(result)
        _say(
            f"  strict nc {variant:19} failed {result['failed']:5}  "
            f"{result['round_trips']:.3f} round trips per call  "
            f"order refusals {result['order_refused_warmup']} while warming, "
            f"{result['order_refused']} after"
        )
    return results


def run_concurrency(
    folder: Path,
    *,
    rounds: int,
    sizes: list[int],
    rtt: float,
    strict_warmup: int,
    strict_calls: int,
) -> dict[str, Any]:
    """Both parts; servers and proxies are started and stopped here."""
    fixture = folder / "concurrency-fixture.toml"
    fixture.write_text(fixture_text(), encoding="utf-8")
    data: dict[str, Any] = {"rtt": rtt, "rounds": rounds, "server_cpu": SERVER_CPU}
    _say(f"cold bursts of {sizes} through {rtt * 1000:g} ms of latency ...")
    with start_minimal_server("SHA-256") as server, start_latency_proxy(server.url, rtt) as proxy:
        stats = ServerStats(server.url, "minimal")
        data["cold"] = asyncio.run(_cold_rounds(proxy.url, stats, sizes, rounds))
    _say("a strict nonce-count server (ob-restore simulator --nc-check strict) ...")
    with (
        start_simulator(fixture, extra=("--nc-check", "strict")) as sim,
        start_latency_proxy(sim.url, 0.01, jitter=0.01) as proxy,
    ):
        stats = ServerStats(sim.url, "simulator")
        data["strict"] = asyncio.run(
            _strict(proxy.url, sim.url, stats, warmup=strict_warmup, calls=strict_calls)
        )
    return data


def _median(results: list[dict[str, Any]], key: str) -> float:
    return statistics.median(result[key] for result in results)


def goals(data: dict[str, Any]) -> list[tuple[str, str, bool]]:
    rows = []
    ours = [r for r in data["cold"] if r["variant"] == "ob-async-create" and r["size"] == 256]
    floor = [r for r in data["cold"] if r["variant"] == FLOOR and r["size"] == 256]
    if ours:
        ratio = _median(ours, "ratio")
        floor_note = f" (raw floor {_median(floor, 'ratio'):.2f}x)" if floor else ""
        rows.append(
            (
                f"cold burst of 256 at {data['rtt'] * 1000:g} ms within "
                f"{GOAL_COLD_RATIO:g}x a warm burst",
                f"{ratio:.2f}x{floor_note}",
                ratio <= GOAL_COLD_RATIO,
            )
        )
        ratio = _median(ours, "ratio_new_connections")
        rows.append(
            (
                f"the same against a warm burst that opens its connections too, within "
                f"{GOAL_COLD_RATIO:g}x",
                f"{ratio:.2f}x",
                ratio <= GOAL_COLD_RATIO,
            )
        )
    for result in data["strict"]:
        if result["variant"] == "ob-async-create":
            rows.append(
                ("strict nc server: failed calls", str(result["failed"]), not result["failed"])
            )
            rows.append(
                (
                    f"strict nc server: round trips per call <= {GOAL_STRICT_ROUND_TRIPS}",
                    f"{result['round_trips']:.3f}",
                    result["round_trips"] <= GOAL_STRICT_ROUND_TRIPS,
                )
            )
    return rows


def render(data: dict[str, Any], *, command: str) -> str:
    rtt_ms = data["rtt"] * 1000
    lines = [
        SECTION_START,
        "## Concurrency at real servers (`benchmarks/concurrency.py`)",
        "",
        f"`{command}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Cold bursts: a "
        f"fresh client's N concurrent first restore POSTs through a proxy adding {rtt_ms:g} ms "
        "to every exchange (its own process), to the minimal digest server, then N more warm; "
        f"medians of {data['rounds']} rounds, the ratio taken within each round. The raw floor "
        "fetches one challenge and sends the burst pre-emptively on it, the least any digest "
        "client can do (two round trips). A cold burst also opens its N connections, which a "
        "warm burst finds pooled; the second ratio compares it with a warm burst that opens "
        "them too (the client's pool dropped, its digest state kept): what the handshake "
        "itself costs.",
        "",
        "| client | N | cold burst, ms | warm burst, ms | cold / warm | warm burst on new "
        "connections, ms | cold / that | 401s | failed |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for size in sorted({result["size"] for result in data["cold"]}):
        for variant in COLD_VARIANTS:
            chosen = [r for r in data["cold"] if r["variant"] == variant and r["size"] == size]
            if not chosen:
                continue
            lines.append(
                f"| {variant} | {size} | {_median(chosen, 'cold') * 1000:.0f} "
                f"| {_median(chosen, 'warm') * 1000:.0f} | {_median(chosen, 'ratio'):.2f}x "
                f"| {_median(chosen, 'warm_new_connections') * 1000:.0f} "
                f"| {_median(chosen, 'ratio_new_connections'):.2f}x "
                f"| {statistics.median(r['challenges'] for r in chosen):.0f} "
                f"| {sum(r['failed'] for r in chosen)} |"
            )
    warmup = data["strict"][0]["warmup"] if data["strict"] else 0
    lines += [
        "",
        "Strict nonce counting: `ob-restore simulator --nc-check strict` behind the proxy "
        "(10 ms, up to 10 ms more per connection, so that requests overtake each other), "
        f"64 calls in flight; {warmup:,} calls to warm up, then the measured window.",
        "",
        "| client | calls | failed | round trips per call | counts refused while warming "
        "| counts refused after |",
        "|---|---|---|---|---|---|",
    ]
    for result in data["strict"]:
        calls = result["ok"] + result["failed"]
        lines.append(
            f"| {result['variant']} | {calls:,} | {result['failed']:,} "
            f"| {result['round_trips']:.3f} | {result['order_refused_warmup']:,} "
            f"| {result['order_refused']:,} |"
        )
    lines += ["", "| goal | measured | met |", "|---|---|---|"]
    lines += [
        f"| {goal} | {measured} | {'yes' if met else '**no**'} |"
        for goal, measured, met in goals(data)
    ]
    lines += ["", SECTION_END]
    return "\n".join(lines) + "\n"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.concurrency", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds and calls")
    parser.add_argument(
        "--write", action="store_true", help="put the section into benchmarks/RESULTS.md"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    pin_client()
    with tempfile.TemporaryDirectory(prefix="ob-async-concurrency-") as scratch:
        data = run_concurrency(
            Path(scratch),
            rounds=int(sizes["rounds"]),
            sizes=[int(size) for size in str(sizes["sizes"]).split(",")],
            rtt=float(sizes["rtt"]),
            strict_warmup=int(sizes["strict_warmup"]),
            strict_calls=int(sizes["strict_calls"]),
        )
    words = argv if argv is not None else sys.argv[1:]
    command = " ".join(["python -m benchmarks.concurrency", *words]).strip()
    section = render(data, command=command)
    print(section)
    if args.write:
        here = Path(__file__).resolve().parent
        write_section(here / "RESULTS.md", section, start=SECTION_START, end=SECTION_END)
        raw = json.dumps(data, indent=1, default=str)
        (here / "concurrency.json").write_text(raw + "\n", encoding="utf-8")
    return 0 if all(met for _, _, met in goals(data)) else 1


if __name__ == "__main__":
    sys.exit(main())
