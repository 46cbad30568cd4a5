"""The benchmarks still run end to end, as a user runs them (tiny sizes; no timing is asserted)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_benchmark(
    module: str, *args: str, timeout: float = 100
) -> subprocess.CompletedProcess[str]:
    """``python -m MODULE ARGS`` from the project's root, as a user runs it.

    The benchmark runs in a process group of its own, ended with it: the simulators it
    starts never outlive it, even when it is cut off by the timeout.
    """
    command = [sys.executable, "-m", module, *args]
    with subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


# A bound on a hang, not a timing: a benchmark takes longer beside the rest of a parallel
# suite on a shared machine.
@pytest.mark.timeout(300)
def test_a_quick_run_prints_each_benchmark_and_its_goals() -> None:
    completed = run_benchmark(
        "benchmarks",
        "--quick",
        "--only=steady,drill",
        "--steady-seconds=1",
        "--drill-restores=20",
        timeout=280,
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


@pytest.mark.timeout(300)
def test_the_rate_limit_benchmark_measures_a_scenario() -> None:
    completed = run_benchmark("benchmarks.ratelimit", "--restores=20", "--only=100/s", timeout=280)
    assert completed.returncode in (0, 1), completed.stderr[-3000:]
    [row] = [line for line in completed.stdout.splitlines() if line.startswith("| 100/s |")]
    assert "/ " in row  # wall / floor
    for goal in ("utilisation >= 0.98", "429 share <= 5%", "p90 of measured - true recovery"):
        assert f"100/s: {goal}" in completed.stdout, goal


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
