"""Turning the measurements into tables (markdown), goal verdicts and a bar chart."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import math
import os
import platform
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from .clients import FLOOR, MISSING, OURS, PEERS, SLOW_CLIENTS, VARIANTS

ALGORITHMS = ("MD5", "SHA-256")
GOAL_CREATE = 1.3
GOAL_SUBMIT = 1.4
GOAL_POLL = 1 / 100
GOAL_DRILL_MB = 250.0
GOAL_DRY_MB = 200.0
GOAL_SIMULATOR_RPS = 2000.0


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def steady_summary(rounds: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (algorithm, variant): medians and spreads over the rounds."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for result in rounds:
        grouped[(result["algorithm"], result["variant"])].append(result)
    summary = {}
    for key, results in grouped.items():
        cpu = [r["cpu_us"] for r in results]
        rps = [r["rps"] for r in results]
        calls = sum(r["ok"] + r["failed"] for r in results)
        challenges = sum(r["challenges"] for r in results)
        summary[key] = {
            "cpu": _median(cpu),
            "cpu_min": min(cpu),
            "cpu_max": max(cpu),
            "rps": _median(rps),
            "rps_min": min(rps),
            "rps_max": max(rps),
            "per_1000": challenges / calls * 1000 if calls else float("nan"),
            "round_trips": (calls + challenges) / calls if calls else float("nan"),
            "nc_reuses": sum(r["nc_reuses"] for r in results),
            "failed": sum(r["failed"] for r in results),
            "rounds": len(results),
        }
    return summary


def ratios(rounds: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, float]]:
    """(algorithm, ours, reference) → median/min/max of CPU ratios taken within each round."""
    table: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for result in rounds:
        table[(result["algorithm"], result["round"])][result["variant"]] = result["cpu_us"]
    found: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for (algorithm, _), cpu in table.items():
        for ours in OURS:
            for reference in (FLOOR, *PEERS):
                if ours in cpu and reference in cpu and cpu[reference] > 0:
                    found[(algorithm, ours, reference)].append(cpu[ours] / cpu[reference])
    return {
        key: {"median": _median(values), "min": min(values), "max": max(values), "n": len(values)}
        for key, values in found.items()
    }


def _fmt(value: float, digits: int = 0) -> str:
    if value != value:  # NaN
        return "n/a"
    return f"{value:,.{digits}f}"


def _machine() -> list[str]:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
                break
    except OSError:
        pass
    return [f"{platform.system()} {platform.release()}, {model}, {os.cpu_count()} CPUs{memory}"]


def _versions() -> str:
    names = ("ob-async", "aiohttp", "httpx", "tenacity", "cattrs", "attrs", "yarl", "multidict")
    parts = [f"Python {platform.python_version()}"]
    for name in names:
        try:
            parts.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{name} (not installed)")
    return ", ".join(parts)


def _polling_floor(polling: dict[str, Any]) -> str:
    if "fewest_sweeps" not in polling:
        return "not measured"
    best = polling["best_ratio"]
    return (
        f"{polling['fewest_sweeps']:,} list calls, {best:.4f} of the describes (1/{1 / best:.0f})"
        if best
        else "n/a"
    )


def _spread(ratio: dict[str, float]) -> str:
    return f"{ratio['median']:.2f}x (rounds {ratio['min']:.2f}-{ratio['max']:.2f})"


def _percent(share: float) -> str:
    return "?" if math.isnan(share) else f"{share:.0%}"


def _simulator_line(simulator: dict[str, float] | None) -> str:
    if simulator is None:
        return "not measured"
    return (
        f"{_fmt(simulator['wall_rps'])} authenticated restore POSTs/s on the wall clock with "
        f"the simulator's process {_percent(simulator['server_busy'])} busy, so "
        f"{_fmt(simulator['per_core_rps'])} per second of its CPU time: what it serves on one "
        "core (raw aiohttp client, SHA-256, 64 in flight, median of 3 windows; CPU time "
        "from /proc)"
    )


def goals(data: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(goal, measured, holds) for every goal of the issue that this run measured."""
    rows: list[tuple[str, str, bool | None]] = []
    if "simulator" in data:
        simulator = data["simulator"]
        per_core = simulator["per_core_rps"]
        rows.append(
            (
                "simulator serves >= 2,000 authenticated req/s on one core",
                f"{_fmt(per_core)} req per server CPU second ({_fmt(simulator['wall_rps'])} "
                f"req/s on the wall clock, server {_percent(simulator['server_busy'])} busy)",
                per_core >= GOAL_SIMULATOR_RPS,
            )
        )
    found = ratios(data.get("rounds", []))
    for algorithm in ALGORITHMS:
        create = found.get((algorithm, "ob-async-create", FLOOR))
        if create:
            rows.append(
                (
                    f"{algorithm}: create_restore_task CPU <= {GOAL_CREATE}x the raw floor",
                    _spread(create),
                    create["median"] <= GOAL_CREATE,
                )
            )
        for peer in PEERS:
            ratio = found.get((algorithm, "ob-async-create", peer))
            if ratio:
                rows.append(
                    (
                        f"{algorithm}: create_restore_task CPU below {peer}",
                        _spread(ratio),
                        ratio["median"] < 1.0,
                    )
                )
        submit = found.get((algorithm, "ob-async-submit", FLOOR))
        if submit:
            rows.append(
                (
                    f"{algorithm}: submit_restore CPU <= {GOAL_SUBMIT}x the raw floor",
                    _spread(submit),
                    submit["median"] <= GOAL_SUBMIT,
                )
            )
    summary = steady_summary(data.get("rounds", []))
    ours_steady = [summary[(a, v)] for a in ALGORITHMS for v in OURS if (a, v) in summary]
    if ours_steady:
        worst = max(s["round_trips"] for s in ours_steady)
        rows.append(
            (
                "ob-async: 1.00 wire round trips per call in steady state",
                f"{worst:.4f} (worst of {len(ours_steady)} client/algorithm pairs)",
                worst == 1.0,
            )
        )
    bursts = [b for b in data.get("bursts", []) if b["variant"] in OURS]
    if bursts:
        counts = sorted({b["challenges"] for b in bursts})
        sizes = sorted({b["size"] for b in bursts})
        rows.append(
            (
                "ob-async: a cold burst of "
                + " or ".join(str(s) for s in sizes)
                + " first calls costs exactly one 401",
                f"401s per burst: {', '.join(str(c) for c in counts)} ({len(bursts)} bursts)",
                counts == [1],
            )
        )
        reuses = sum(b["nc_reuses"] for b in bursts) + sum(s["nc_reuses"] for s in ours_steady)
        rows.append(("ob-async: zero (nonce, nc) re-uses", f"{reuses} re-uses", reuses == 0))
    polling = data.get("polling")
    if polling:
        rows.append(
            (
                "coalesced polling <= 1/100 of the per-tenant describes",
                f"{polling['coalesced_calls']} vs {polling['naive_describes']} = "
                f"1/{1 / polling['ratio']:.0f}"
                if polling["ratio"]
                else "n/a",
                polling["ratio"] <= GOAL_POLL,
            )
        )
    scale = data.get("scale")
    if scale:
        drill, dry = scale["drill"], scale["dry_run"]
        rows.append(
            (
                f"peak RSS of the {drill['items']:,}-restore drill <= {GOAL_DRILL_MB:.0f} MB",
                f"{drill['peak_rss_mb']:.0f} MB (exit {drill['exit']})",
                drill["peak_rss_mb"] <= GOAL_DRILL_MB and drill["exit"] == 0,
            )
        )
        rows.append(
            (
                f"peak RSS of the {dry['items']:,}-item dry run <= {GOAL_DRY_MB:.0f} MB",
                f"{dry['peak_rss_mb']:.0f} MB (exit {dry['exit']})",
                dry["peak_rss_mb"] <= GOAL_DRY_MB and dry["exit"] == 0,
            )
        )
    return rows


def render_markdown(data: dict[str, Any]) -> str:
    when = dt.datetime.fromtimestamp(data["started"], dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    sizes = data["sizes"]
    lines = [
        "# ob-async benchmarks" + (" (quick run)" if data.get("quick") else ""),
        "",
        f"- Date: {when}; took {data.get('elapsed', 0) / 60:.1f} min",
        f"- Machine: {_machine()[0]}; load average at the end "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"- Versions: {_versions()}",
        f"- Command: `{data['command']}`"
        + ("" if data.get("quick") else "; every window's figures are in `results.json`"),
        f"- Not installed, so not measured: {', '.join(MISSING) or 'nothing'}",
        f"- Client pinned to CPU 1 and servers to CPU 0 (taskset): {data.get('pinned')}",
        f"- Server of the client rounds: {data.get('server', 'n/a')}",
        f"- Simulator throughput: {_simulator_line(data.get('simulator'))}",
        f"- Steady state, per digest algorithm: every client opened and warmed up once "
        f"({sizes['warmup']} calls), then {sizes['rounds']} interleaved rounds (client order "
        f"rotated each round), each giving every client one window of "
        f"{sizes['requests']:,} restore POSTs "
        f"(httpx {sizes['requests'] // SLOW_CLIENTS['httpx']:,}), "
        f"{data['concurrency']} in flight; client CPU = process CPU time over the sending "
        "window / accepted calls; objects alive after the warm-up are frozen out of the "
        "garbage collector's full passes (gc.freeze). Medians over rounds, [min-max] over "
        "rounds.",
        "",
    ]
    rows = goals(data)
    if rows:
        lines += ["## Goals", "", "| goal | measured | holds |", "|---|---|---|"]
        for goal, measured, holds in rows:
            verdict = "n/a" if holds is None else ("yes" if holds else "**no**")
            lines.append(f"| {goal} | {measured} | {verdict} |")
        lines.append("")
    summary = steady_summary(data.get("rounds", []))
    found = ratios(data.get("rounds", []))
    for algorithm in ALGORITHMS:
        if not any(key[0] == algorithm for key in summary):
            continue
        lines += [
            f"## Steady state, digest {algorithm}",
            "",
            "| client | CPU us/request | wall req/s | 401s per 1,000 calls | round trips/call "
            "| nc re-uses | failed |",
            "|---|---|---|---|---|---|---|",
        ]
        for variant in VARIANTS:
            s = summary.get((algorithm, variant))
            if s is None:
                continue
            lines.append(
                f"| {variant} | {_fmt(s['cpu'])} [{_fmt(s['cpu_min'])}-{_fmt(s['cpu_max'])}] "
                f"| {_fmt(s['rps'])} [{_fmt(s['rps_min'])}-{_fmt(s['rps_max'])}] "
                f"| {s['per_1000']:.2f} | {s['round_trips']:.4f} | {s['nc_reuses']} "
                f"| {s['failed']} |"
            )
        lines += [
            "",
            f"CPU ratios within each round ({algorithm}): median [min-max] over "
            f"{sizes['rounds']} rounds",
            "",
            "| ob-async call | / raw floor | / aiohttp middleware | / httpx |",
            "|---|---|---|---|",
        ]
        for ours in OURS:
            cells = []
            for reference in (FLOOR, *PEERS):
                r = found.get((algorithm, ours, reference))
                cells.append(f"{r['median']:.2f}x [{r['min']:.2f}-{r['max']:.2f}]" if r else "n/a")
            lines.append(f"| {ours} | " + " | ".join(cells) + " |")
        lines.append("")
    bursts = data.get("bursts", [])
    if bursts:
        lines += [
            "## Cold bursts (fresh client, N concurrent first calls, against the simulator)",
            "",
            "401s and refused `(nonce, nc)` re-uses as counted by the simulator "
            "(`challengesIssued`, `ncReplaysRefused`).",
            "",
            "| client | digest | N | 401s | nc re-uses | failed calls | round trips/call |",
            "|---|---|---|---|---|---|---|",
        ]
        for b in bursts:
            trips = (b["size"] + b["challenges"]) / b["size"]
            lines.append(
                f"| {b['variant']} | {b['algorithm']} | {b['size']} | {b['challenges']} "
                f"| {b['nc_reuses']} | {b['failed']} | {trips:.2f} |"
            )
        lines.append("")
    polling = data.get("polling")
    if polling:
        lines += [
            "## Polling",
            "",
            f"{polling['waits']:,} concurrent waits per approach over {polling['instances']} "
            f"target instances, restores taking {polling['restore_seconds']} s (uniform), "
            f"poll interval {polling['initial_interval']:g} s x1.5 per sweep up to "
            f"{polling['max_interval']:g} s, +/-20% jitter, for both approaches. Calls counted "
            "by the simulator.",
            "",
            "| approach | poll calls | tenants seen ONLINE |",
            "|---|---|---|",
            f"| ob-async coalesced (`wait_until_online`) | {polling['coalesced_calls']:,} "
            f"list calls | {polling['coalesced_online']:,} |",
            f"| one describe per waiting tenant per interval | {polling['naive_describes']:,} "
            f"describes (+{polling['naive_lookups']:,} lookups by name) "
            f"| {polling['naive_online']:,} |",
            "",
            f"Ratio: {polling['ratio']:.4f} of the describes (1/{1 / polling['ratio']:.0f}); "
            f"{polling['ratio_all']:.4f} of all the baseline's calls.",
            "",
            f"What one list call per instance per sweep costs at best here, estimated from "
            "the baseline's own reads (each instance needs as many sweeps as its slowest "
            f"restore's tenant needed reads): {_polling_floor(polling)}; ours made "
            f"{polling['coalesced_calls']:,}. With {polling['waits'] // polling['instances']} "
            f"waits per instance a sweep stands for at most "
            f"{polling['waits'] // polling['instances']} describes, and for fewer once early "
            "restores have finished, so 1/100 holds only if every restore of an instance "
            "finishes within the same sweep.",
            "",
        ]
    scale = data.get("scale")
    if scale:
        lines += [
            "## Scale (`ob-restore drill PLAN --endpoint http://127.0.0.1:PORT`, child process)",
            "",
            "| run | items | exit | wall s | peak RSS MB | client CPU s | CPU ms/item | outcome |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for label, key in (("drill", "drill"), ("--dry-run", "dry_run")):
            run = scale[key]
            states = run.get("summary", {}).get("byState", {})
            outcome = ", ".join(f"{state} {count:,}" for state, count in states.items())
            lines.append(
                f"| {label} | {run['items']:,} | {run['exit']} | {run['wall']:.1f} "
                f"| {run['peak_rss_mb']:.0f} | {run['cpu']:.1f} | {run['cpu_per_item_ms']:.2f} "
                f"| {outcome or 'n/a'} |"
            )
        lines.append("")
    lines += [
        "![CPU per request and round trips per call](results.png)",
        "",
    ]
    return "\n".join(lines)


def write_chart(data: dict[str, Any], path: Path) -> bool:
    """Draw the PNG; False (and nothing written) when matplotlib is not installed."""
    try:
        import matplotlib  # noqa: PLC0415 - optional: the bench extra

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        return False
    summary = steady_summary(data.get("rounds", []))
    figure, (cpu_axis, trip_axis) = plt.subplots(1, 2, figsize=(13, 5))
    width = 0.38
    positions = range(len(VARIANTS))
    for offset, algorithm in enumerate(ALGORITHMS):
        medians, low, high = [], [], []
        for variant in VARIANTS:
            s = summary.get((algorithm, variant))
            median = s["cpu"] if s else 0.0
            medians.append(median)
            low.append(median - s["cpu_min"] if s else 0.0)
            high.append(s["cpu_max"] - median if s else 0.0)
        xs = [p + (offset - 0.5) * width for p in positions]
        bars = cpu_axis.bar(xs, medians, width, yerr=[low, high], capsize=3, label=algorithm)
        cpu_axis.bar_label(bars, fmt="%.0f", fontsize=7, padding=2)
    cpu_axis.set_xticks(list(positions), VARIANTS, rotation=20, ha="right")
    cpu_axis.set_ylabel("client CPU µs per request (median, min-max)")
    cpu_axis.set_yscale("log")
    cpu_axis.set_title(f"Client CPU per request ({data['sizes']['rounds']} rounds)")
    cpu_axis.legend()

    series: list[tuple[str, list[float]]] = []
    steady = []
    for variant in VARIANTS:
        values = [
            summary[(a, variant)]["round_trips"] for a in ALGORITHMS if (a, variant) in summary
        ]
        steady.append(max(values) if values else 0.0)
    series.append(("steady state", steady))
    for size in sorted({b["size"] for b in data.get("bursts", [])}):
        values = []
        for variant in VARIANTS:
            trips = [
                (b["size"] + b["challenges"]) / b["size"]
                for b in data["bursts"]
                if b["variant"] == variant and b["size"] == size
            ]
            values.append(max(trips) if trips else 0.0)
        series.append((f"cold burst of {size}", values))
    width = 0.8 / max(1, len(series))
    for index, (label, values) in enumerate(series):
        xs = [p + (index - (len(series) - 1) / 2) * width for p in positions]
        bars = trip_axis.bar(xs, values, width, label=label)
        trip_axis.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
    trip_axis.set_xticks(list(positions), VARIANTS, rotation=20, ha="right")
    trip_axis.set_ylabel("HTTP round trips per call (worst of MD5/SHA-256)")
    trip_axis.set_ylim(0, 2.3)
    trip_axis.set_title("Round trips per call")
    trip_axis.legend(loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
