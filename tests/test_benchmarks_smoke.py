"""The benchmarks still run end to end, as a user runs them (tiny sizes; no timing is asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_benchmark(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m MODULE ARGS`` from the project's root, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=100,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )


def test_a_quick_run_prints_each_benchmark_and_its_goals() -> None:
    completed = run_benchmark(
        "benchmarks",
        "--quick",
        "--only=steady,drill",
        "--steady-seconds=1",
        "--drill-restores=20",
    )
    # 1 is a missed goal, which tiny sizes may well give; anything else is a failure.
    assert completed.returncode in (0, 1), completed.stderr[-3000:]
    out = completed.stdout
    for line in ("## At a steady rate", "## A drill", "## Goals", "- Machine: ", "- Code: "):
        assert line in out, line
    assert "| 100 requests/s: client CPU <= 10% of one core |" in out
    assert "| client CPU per restore <= 3 ms |" in out
    assert "| peak RSS <= 150 MB |" in out
    assert "| every restore ONLINE (20) | 20 | yes |" in out  # the drill really ran
    assert "| every request accepted (100) | 100 | yes |" in out


def test_the_rate_limit_benchmark_measures_a_scenario() -> None:
    completed = run_benchmark("benchmarks.ratelimit", "--restores=20", "--only=100/s")
    assert completed.returncode in (0, 1), completed.stderr[-3000:]
    [row] = [line for line in completed.stdout.splitlines() if line.startswith("| 100/s |")]
    assert "/ " in row  # wall / floor
    for goal in ("utilisation >= 0.98", "429 share <= 5%", "p90 of measured - true recovery"):
        assert f"| 100/s: {goal}" in completed.stdout, goal


def test_the_polling_benchmark_counts_both_pollers_calls() -> None:
    completed = run_benchmark(
        "benchmarks.polling",
        "--waits=6",
        "--instances=2",
        "--restore-seconds=0.2-0.5",
        "--initial=0.2",
        "--max=0.4",
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "the coalesced poller made" in completed.stdout
    assert "6 and 6 ONLINE" in completed.stdout


def test_a_measured_command_reports_its_own_cpu_and_peak_memory(tmp_path: Path) -> None:
    result = tmp_path / "measured.json"
    completed = run_benchmark("benchmarks.measured", str(result), "drill", "--help")
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "usage: ob-restore drill" in completed.stdout  # the command ran as itself
    figures = json.loads(result.read_text(encoding="utf-8"))
    assert figures["cpu_seconds"] > 0
    assert figures["peak_rss_mb"] > 10  # the interpreter and ob_async at least
