"""The benchmark harness still runs end to end (tiny sizes; no timing is asserted)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

TINY = [
    "--quick",
    "--server=minimal",
    "--rounds=1",
    "--requests=40",
    "--warmup=10",
    "--bursts=4",
    "--throughput-requests=40",
    "--polling-waits=6",
    "--polling-instances=2",
    "--polling-restore-seconds=0.2-0.5",
    "--polling-initial=0.2",
    "--polling-max=0.4",
    "--drill-items=6",
    "--dry-run-items=30",
    "--ratelimit-restores=30",
    "--concurrency-rounds=1",
    "--concurrency-sizes=4",
    "--strict-warmup=20",
    "--strict-calls=20",
]


# A bound on a hang, not a timing: the harness runs every benchmark, and takes longer beside
# the rest of a parallel suite on a shared machine.
@pytest.mark.timeout(300)
def test_quick_harness_produces_every_table(tmp_path: Path) -> None:
    completed = run_benchmark(None, *TINY, f"--output-dir={tmp_path}", timeout=280)
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = (tmp_path / "RESULTS.md").read_text(encoding="utf-8")
    for heading in (
        "## Goals",
        "## Steady state, digest MD5",
        "## Steady state, digest SHA-256",
        "## Cold bursts",
        "## Polling",
        "## Scale",
        "## At the API's limit",
        "## Concurrency at real servers",
    ):
        assert heading in results, heading
    for row in ("| raw-aiohttp |", "| aiohttp-middleware |", "| httpx |", "| ob-async-create |"):
        assert row in results, row
    assert (tmp_path / "results.png").stat().st_size > 1000  # the chart was drawn
    assert "| ob-async-submit | MD5 | 4 |" in results
    assert "| drill | 6 | 0 |" in results
    assert "| --dry-run | 30 | 0 |" in results
    assert "ob-async coalesced" in results
    assert "minimal digest server" in results
    # The steady-state note names the in-flight count (the handshake concurrency
    # benchmark's own results once took its place in the data).
    assert ", 64 in flight; client CPU" in results


def run_benchmark(
    module: str | None, *args: str, timeout: float = 60, **environ: str
) -> subprocess.CompletedProcess[str]:
    """``python -m benchmarks[.MODULE] ARGS`` from the project's root, as a user runs it.

    The benchmark runs in a process group of its own, ended with it: the servers it starts
    never outlive it, even when it is cut off by the timeout.
    """
    command = [sys.executable, "-m", "benchmarks" + (f".{module}" if module else ""), *args]
    with subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **environ},
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def test_submit_cpu_prints_every_client_and_ratio() -> None:
    completed = run_benchmark(
        "submit_cpu", "--rounds=2", "--requests=20", "--warmup=5", "--algorithm=MD5"
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    [line] = completed.stdout.splitlines()
    assert line.startswith("MD5:")
    for part in ("raw-aiohttp ", "ob-async-create ", "ob-async-submit ", "ob-async-submit/floor "):
        assert part in line, line


def test_instructions_child_runs_the_calls_it_is_asked_for() -> None:
    # The part that runs under valgrind; the counting itself needs valgrind, which
    # the machine running the benchmarks installs (not a test dependency).
    completed = run_benchmark("instructions", "--child=ob-async-submit", "--requests=20")
    assert completed.returncode == 0, completed.stderr[-3000:]


def test_instructions_says_when_valgrind_is_missing(tmp_path: Path) -> None:
    completed = run_benchmark("instructions", PATH=str(tmp_path))
    assert completed.returncode == 2
    assert "valgrind is not installed" in completed.stderr
