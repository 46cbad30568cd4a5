"""What the benchmarks share: credentials, the simulator in a process of its own, the machine.

The simulator always runs as ``python -m ob_async simulator`` in a child process,
so that its CPU is never counted as the client's. Every child process (the
simulator, a drill) imports the same ``ob_async`` as the benchmark itself
(:data:`SOURCE`), so that a checkout of another commit is measured by running the
benchmarks from it. Nothing here talks to anything but loopback.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import ob_async
from ob_async import RestoreRequest, TenantResource

SOURCE = Path(ob_async.__file__).resolve().parents[1]
"""The checkout whose ``ob_async`` is measured."""

ACCESS_KEY_ID = "bench-ak"
ACCESS_KEY_SECRET = "bench-secret"  # a loopback-only benchmark credential
PROJECT_ID = "bench-project"
SOURCE_INSTANCE = "bench-src"
SOURCE_TENANT = "tbench"
TARGET_INSTANCE = "bench-dr"
RESTORE_TIME = "2026-01-13T05:58:34Z"

_names = itertools.count()
_RUN_TAG = os.urandom(3).hex()


def unique_name() -> str:
    """A target tenant name never used before in this process (fits the simulator's pattern)."""
    return f"b{_RUN_TAG}_{next(_names)}"


def new_request(target_instance: str = TARGET_INSTANCE) -> RestoreRequest:
    """A restore request as an application builds one (validated model, unique name)."""
    return RestoreRequest(
        source_instance_id=SOURCE_INSTANCE,
        source_tenant_id=SOURCE_TENANT,
        target_instance_id=target_instance,
        target_tenant_name=unique_name(),
        target_tenant_primary_zone="z1",
        restore_time=datetime.fromisoformat(RESTORE_TIME),
        tenant_resource=TenantResource(cpu=1, memory=4, unit_num=1),
        target_tenant_description="benchmark",
    )


def bench_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: the benchmark's credentials and ``ob_async``."""
    env = dict(os.environ)
    path = env.get("PYTHONPATH")
    env.update(
        OB_ACCESS_KEY_ID=ACCESS_KEY_ID,
        OB_ACCESS_KEY_SECRET=ACCESS_KEY_SECRET,
        OB_PROJECT_ID=PROJECT_ID,
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join([str(SOURCE), *([path] if path else [])]),
    )
    env.update(extra)
    return env


def fixture_text(targets: Sequence[str] = (TARGET_INSTANCE,)) -> str:
    """A simulator world: one source tenant with a window, targets of practically no limit."""
    parts = [
        f"""
[[instances]]
id = "{SOURCE_INSTANCE}"
zones = ["z1"]
cpu = 64
memory = 256

[[instances.tenants]]
id = "{SOURCE_TENANT}"
name = "bench_source"
cpu = 4
memory = 16
windows = [{{ start = "2026-01-01T00:00:00Z", end = "2026-02-01T00:00:00Z" }}]
"""
    ]
    for target in targets:
        parts.append(
            f"""
[[instances]]
id = "{target}"
zones = ["z1", "z2"]
cpu = 1000000000
memory = 1000000000
"""
        )
    return "".join(parts)


def write_plan(
    folder: Path, name: str, restores: int, targets: Sequence[str], *, rto: str, poll_max: str
) -> Path:
    """A drill plan of ``restores`` restores spread over ``targets`` (a JSON-lines list),
    concurrency 64, ``restoring_per_instance`` out of the way."""
    restore_list = folder / f"{name}.jsonl"
    with restore_list.open("w", encoding="utf-8") as out:
        for index in range(restores):
            entry = {
                "source_instance_id": SOURCE_INSTANCE,
                "source_tenant_id": SOURCE_TENANT,
                "target_instance_id": targets[index % len(targets)],
                "target_tenant_name": f"{name}_{index:05d}",
            }
            out.write(json.dumps(entry) + "\n")
    plan = folder / f"{name}.toml"
    plan.write_text(
        f"""[drill]
name = "{name}"
rto = "{rto}"
timeout = "20m"
concurrency = 64
restoring_per_instance = {restores * 2}
poll_initial = "1s"
poll_max = "{poll_max}"
restore_list = "{restore_list.name}"

[defaults]
target_tenant_primary_zone = "z1"
restore_time = "{RESTORE_TIME}"
description = "benchmark"
cpu = 1
memory = 4
unit_num = 1
""",
        encoding="utf-8",
    )
    return plan


def report(description: str, goals: Sequence[tuple[str, str, bool]]) -> int:
    """Print a benchmark's figures and its goals; the exit status (1: a goal missed)."""
    print(description)
    for goal, measured, met in goals:
        print(f"  {goal}: {measured} ({'met' if met else 'MISSED'})")
    return 0 if all(met for _, _, met in goals) else 1


class ServerProcess:
    """A server child process; ``url`` once started. Stopped with SIGINT, then killed."""

    def __init__(self, command: list[str], label: str, env: dict[str, str]) -> None:
        self.label = label
        self._log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, text=True, env=env
        )
        deadline = time.monotonic() + 30
        url = None
        while url is None and time.monotonic() < deadline and self.process.poll() is None:
            time.sleep(0.05)
            self._log.seek(0)
            match = re.search(r"http://127\.0\.0\.1:\d+", self._log.read())
            url = match.group(0) if match else None
        if url is None:
            self._log.seek(0)
            output = self._log.read()[-2000:]
            self.stop()
            raise RuntimeError(f"{label} did not start:\n{output}")
        self.url = url

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_simulator(
    fixture: Path, *, restore_seconds: str = "3600", extra: Sequence[str] = ()
) -> ServerProcess:
    """``ob-restore simulator`` on a free port, in its own process."""
    command = [
        sys.executable,
        "-m",
        "ob_async",
        "simulator",
        "--port",
        "0",
        "--fixture",
        str(fixture),
        "--restore-seconds",
        restore_seconds,
        "--nonce-ttl",
        "3600",
        *extra,
    ]
    return ServerProcess(command, "ob-restore simulator", bench_env())


def machine() -> str:
    """The machine, as a results line states it: OS, CPU model, CPUs, memory, load."""
    model = "unknown CPU"
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
                break
    except OSError:
        pass
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{platform.system()} {platform.release()}, {model}, {os.cpu_count()} CPUs{memory}, "
        f"Python {platform.python_version()}; load average {load}"
    )


def source() -> str:
    """The code measured: its checkout and commit (with ``+changes`` when it has any)."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(SOURCE), *args], capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown commit"
    changed = " +changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    return f"{SOURCE} at {commit}{changed}"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
