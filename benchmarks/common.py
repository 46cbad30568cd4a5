"""Shared pieces of the benchmarks: credentials, the restore body, servers in their own process.

Every server runs as a child process bound to 127.0.0.1, pinned to CPU 0 with
``taskset`` when there is more than one CPU; the benchmarking process pins
itself to CPU 1 (:func:`pin_client`). Nothing here talks to anything but loopback.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

ACCESS_KEY_ID = "bench-ak"
ACCESS_KEY_SECRET = "bench-secret"  # a loopback-only benchmark credential
PROJECT_ID = "bench-project"
SOURCE_INSTANCE = "bench-src"
SOURCE_TENANT = "tbench"
TARGET_INSTANCE = "bench-dr"
RESTORE_TIME = "2026-01-13T05:58:34Z"
RESTORE_PATH = f"/api/v2/instances/{TARGET_INSTANCE}/backup/restore"

RESTORE_BODY: dict[str, Any] = {
    "sourceInstanceId": SOURCE_INSTANCE,
    "tenantResource": {"cpu": 1, "memory": 4, "unitNum": 1},
    "fromRemote": False,
    "sourceTenantId": SOURCE_TENANT,
    "restoreTime": RESTORE_TIME,
    "restoreObjectType": "tenant",
    "restoreObjects": [],
    "restoreMode": "from_backup_set",
    "targetInstanceId": TARGET_INSTANCE,
    "targetTenantDescription": "benchmark",
    "targetTenantPrimaryZone": "z1",
}
"""The wire body of one restore; every request adds a unique ``targetTenantName``."""

SERVER_CPU = 0
CLIENT_CPU = 1

_names = itertools.count()
_RUN_TAG = os.urandom(3).hex()


def unique_name() -> str:
    """A target tenant name never used before in this process (fits the simulator's pattern)."""
    return f"b{_RUN_TAG}_{next(_names)}"


# Read once, at import: after pin_client() this process's own affinity is one CPU,
# which must not make the servers started later run unpinned on the client's CPU.
_USABLE_CPUS = frozenset(os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else ())


def can_pin() -> bool:
    return (
        hasattr(os, "sched_setaffinity")
        and shutil.which("taskset") is not None
        and {SERVER_CPU, CLIENT_CPU} <= _USABLE_CPUS
    )


def pin_client() -> bool:
    """Pin this process to the client CPU (when there are two); True if pinned."""
    if not can_pin():
        return False
    os.sched_setaffinity(0, {CLIENT_CPU})
    return True


def pinned(command: Sequence[str], cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu), *command] if can_pin() else list(command)


def bench_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        OB_ACCESS_KEY_ID=ACCESS_KEY_ID,
        OB_ACCESS_KEY_SECRET=ACCESS_KEY_SECRET,
        OB_PROJECT_ID=PROJECT_ID,
        PYTHONUNBUFFERED="1",
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


class ServerProcess:
    """A server child process; ``url`` once started. Stopped with SIGINT, then killed."""

    def __init__(self, command: list[str], label: str, env: dict[str, str]) -> None:
        self.label = label
        self._log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - lives as long as the server
        self.process = subprocess.Popen(
            pinned(command, SERVER_CPU),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
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

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) the server has used so far; None off Linux."""
        try:
            with open(f"/proc/{self.process.pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        # utime and stime are fields 14 and 15 of proc(5); fields[0] here is field 3.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

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


def start_minimal_server(algorithm: str) -> ServerProcess:
    script = Path(__file__).with_name("minimal_server.py")
    command = [sys.executable, str(script), "--algorithm", algorithm]
    return ServerProcess(command, f"minimal digest server ({algorithm})", bench_env())


def start_simulator(
    fixture: Path,
    *,
    algorithms: str = "SHA-256",
    restore_seconds: str = "3600",
    extra: Sequence[str] = (),
) -> ServerProcess:
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
        "--digest-algorithms",
        algorithms,
        *extra,
    ]
    return ServerProcess(command, f"ob-restore simulator ({algorithms})", bench_env())


class ServerStats:
    """Counters read from either server, under one set of names."""

    def __init__(self, url: str, kind: str) -> None:
        self.url = url
        self.kind = kind

    async def read(self) -> dict[str, int]:
        path = "/_simulator/stats" if self.kind == "simulator" else "/_bench/stats"
        async with (
            aiohttp.ClientSession() as http,
            http.get(self.url + path) as response,
        ):
            data = await response.json()
        if self.kind == "simulator":
            return {
                "challenges": int(data["challengesIssued"]),
                "ncReuses": int(data["ncReplaysRefused"]),
                "ok": int(data["requestsByStatus"].get("200", 0)),
                "requests": int(data["requests"]),
            }
        return {key: int(value) for key, value in data.items()}


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)
