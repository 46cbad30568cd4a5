"""A drill of many restores: the client's CPU per restore and its peak memory.

    python -m benchmarks.drill [--restores 10000]

``ob-restore drill PLAN --endpoint URL`` runs in a child process
(:mod:`benchmarks.measured`, which records that process's own CPU time and peak
RSS) against ``ob-restore simulator`` in another: ``--restores`` restores of 1-3 s
each spread over ten target instances, concurrency 64, ``restoring_per_instance``
out of the way, and a rate limit of 1,000 requests per second, high enough that
the drill never meets it. The drill's CPU covers everything it does: start-up,
plan checks, submissions with their retries, validation reads, polling, the
journal and the JSON report.

Goals (issue 23): at most 3 ms of client CPU per restore, at most 150 MB peak RSS.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import bench_env, fixture_text, report, start_simulator, write_plan

GOAL_CPU_MS_PER_RESTORE = 3.0
GOAL_PEAK_RSS_MB = 150.0
RATE_LIMIT = 1000
TARGETS = 10


def run_drill(plan: Path, url: str, folder: Path, *, timeout: float) -> dict[str, Any]:
    """``ob-restore drill PLAN`` in a measured child process: its exit, wall time, CPU,
    peak RSS and report (``folder/report.json``)."""
    measured = folder / "measured.json"
    report = folder / "report.json"
    command = [
        sys.executable,
        "-m",
        "benchmarks.measured",
        str(measured),
        "drill",
        str(plan),
        "--endpoint",
        url,
        "--quiet",
        "--journal",
        str(folder / "journal.jsonl"),
        "--report-json",
        str(report),
    ]
    log = folder / "drill.log"
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        exit_code = subprocess.run(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=bench_env(),
            timeout=timeout,
            check=False,
        ).returncode
    wall = time.perf_counter() - started
    figures = json.loads(measured.read_text(encoding="utf-8")) if measured.exists() else {}
    return {
        "exit": exit_code,
        "wall": wall,
        "cpu": figures.get("cpu_seconds"),
        "peak_rss_mb": figures.get("peak_rss_mb"),
        "report": json.loads(report.read_text(encoding="utf-8")) if report.exists() else {},
        "log_tail": log.read_text(encoding="utf-8")[-1500:],
    }


def run(folder: Path, *, restores: int) -> dict[str, Any]:
    targets = [f"drill-{index:02d}" for index in range(TARGETS)]
    fixture = folder / "drill-fixture.toml"
    fixture.write_text(fixture_text(targets), encoding="utf-8")
    plan = write_plan(folder, f"d{restores}", restores, targets, rto="1h", poll_max="5s")
    extra = ["--rate-limit", str(RATE_LIMIT)]
    with start_simulator(fixture, restore_seconds="1-3", extra=extra) as simulator:
        result = run_drill(plan, simulator.url, folder, timeout=1800)
    if result["exit"] != 0 or result["cpu"] is None:
        raise RuntimeError(f"the drill exited {result['exit']}:\n{result['log_tail']}")
    summary = result["report"].get("summary", {})
    online = summary.get("byState", {}).get("online", 0)
    cpu_ms = result["cpu"] / restores * 1000
    return {
        "restores": restores,
        "online": online,
        "wall": result["wall"],
        "cpu": result["cpu"],
        "cpu_ms_per_restore": cpu_ms,
        "peak_rss_mb": result["peak_rss_mb"],
        "goals": [
            (
                f"client CPU per restore <= {GOAL_CPU_MS_PER_RESTORE:g} ms",
                f"{cpu_ms:.2f} ms",
                cpu_ms <= GOAL_CPU_MS_PER_RESTORE,
            ),
            (
                f"peak RSS <= {GOAL_PEAK_RSS_MB:g} MB",
                f"{result['peak_rss_mb']:.0f} MB",
                result["peak_rss_mb"] is not None and result["peak_rss_mb"] <= GOAL_PEAK_RSS_MB,
            ),
            (f"every restore ONLINE ({restores:,})", f"{online:,}", online == restores),
        ],
    }


def describe(result: dict[str, Any]) -> str:
    return (
        f"{result['restores']:,} restores in {result['wall']:.1f} s; client CPU "
        f"{result['cpu']:.1f} s = {result['cpu_ms_per_restore']:.2f} ms per restore; "
        f"peak RSS {result['peak_rss_mb']:.0f} MB; {result['online']:,} ONLINE"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.drill", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--restores", type=int, default=10_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ob-async-drill-") as scratch:
        result = run(Path(scratch), restores=args.restores)
    return report(describe(result), result["goals"])


if __name__ == "__main__":
    sys.exit(main())
