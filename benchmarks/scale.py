"""Scale: a many-restore drill against the simulator, and a huge plan in ``--dry-run``.

Both run ``ob-restore drill PLAN --endpoint http://127.0.0.1:PORT`` as a child
process (pinned to the client CPU), with the credentials and project in the
environment, a plan whose restores come from a JSON-lines ``restore_list``,
``--quiet``, a journal and a JSON report in a scratch folder. The child's own
resource usage comes from ``os.wait4``: peak RSS (``ru_maxrss``) and CPU time
(user + system), so nothing else (the simulator, this process) is counted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .common import (
    CLIENT_CPU,
    RESTORE_TIME,
    SOURCE_INSTANCE,
    SOURCE_TENANT,
    bench_env,
    fixture_text,
    pinned,
    start_simulator,
)


def write_plan(folder: Path, items: int, targets: list[str], *, concurrency: int) -> Path:
    """A drill plan with ``items`` restores spread over ``targets`` (JSON lines)."""
    restore_list = folder / f"restores-{items}.jsonl"
    with restore_list.open("w", encoding="utf-8") as out:
        for index in range(items):
            out.write(
                json.dumps(
                    {
                        "source_instance_id": SOURCE_INSTANCE,
                        "source_tenant_id": SOURCE_TENANT,
                        "target_instance_id": targets[index % len(targets)],
                        "target_tenant_name": f"s{items}_{index}",
                    }
                )
                + "\n"
            )
    plan = folder / f"plan-{items}.toml"
    plan.write_text(
        f"""[drill]
name = "bench-{items}"
rto = "1h"
timeout = "20m"
concurrency = {concurrency}
restoring_per_instance = {items}
poll_initial = "1s"
poll_max = "5s"
restore_list = "{restore_list.name}"

[defaults]
target_tenant_primary_zone = "z1"
restore_time = "{RESTORE_TIME}"
description = "benchmark drill"
cpu = 1
memory = 4
unit_num = 1
""",
        encoding="utf-8",
    )
    return plan


def run_drill(
    plan: Path, url: str, folder: Path, *, dry_run: bool, timeout: float
) -> dict[str, Any]:
    """``ob-restore drill PLAN`` pinned to the client CPU; its exit, wall, resources and
    summary. The JSON report is ``folder/report-run.json`` (``report-dry.json``)."""
    tag = "dry" if dry_run else "run"
    command = [
        sys.executable,
        "-m",
        "ob_async",
        "drill",
        str(plan),
        "--endpoint",
        url,
        "--quiet",
        "--journal",
        str(folder / f"journal-{tag}.jsonl"),
        "--report-json",
        str(folder / f"report-{tag}.json"),
    ]
    if dry_run:
        command.append("--dry-run")
    log = folder / f"drill-{tag}.log"
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(
            pinned(command, CLIENT_CPU),
            stdout=out,
            stderr=subprocess.STDOUT,
            env=bench_env(),
        )
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.05)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    summary: dict[str, Any] = {}
    report = folder / f"report-{tag}.json"
    if report.exists():
        with report.open(encoding="utf-8") as handle:
            summary = json.load(handle).get("summary", {})
    return {
        "exit": process.returncode,
        "wall": wall,
        # Linux reports ru_maxrss in KiB.
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "cpu": usage.ru_utime + usage.ru_stime,
        "summary": summary,
        "log_tail": log.read_text(encoding="utf-8")[-1500:],
    }


def run_scale(
    folder: Path,
    *,
    drill_items: int,
    dry_run_items: int,
    targets: int = 10,
    restore_seconds: str = "1-3",
    concurrency: int = 64,
) -> dict[str, Any]:
    names = [f"scale-{index:02d}" for index in range(targets)]
    fixture = folder / "scale-fixture.toml"
    fixture.write_text(fixture_text(names), encoding="utf-8")
    results: dict[str, Any] = {}
    with start_simulator(fixture, restore_seconds=restore_seconds) as simulator:
        plan = write_plan(folder, drill_items, names, concurrency=concurrency)
        drill = run_drill(plan, simulator.url, folder, dry_run=False, timeout=1800)
        drill["items"] = drill_items
        drill["cpu_per_item_ms"] = drill["cpu"] / drill_items * 1000
        results["drill"] = drill
        big = write_plan(folder, dry_run_items, names, concurrency=concurrency)
        dry = run_drill(big, simulator.url, folder, dry_run=True, timeout=1800)
        dry["items"] = dry_run_items
        dry["cpu_per_item_ms"] = dry["cpu"] / dry_run_items * 1000
        results["dry_run"] = dry
    return results
