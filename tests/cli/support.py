"""Run `ob-restore simulator` and `ob-restore drill` as real subprocesses."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.auth import HTTPDigestAuth

from tests.support.drill_plans import ACCESS_KEY_ID, PROJECT, SECRET, write_plan

__all__ = ["ACCESS_KEY_ID", "PROJECT", "SECRET", "write_plan"]


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        OB_ACCESS_KEY_ID=ACCESS_KEY_ID,
        OB_ACCESS_KEY_SECRET=SECRET,
        OB_PROJECT_ID=PROJECT,
        PYTHONUNBUFFERED="1",
    )
    env.pop("OB_ENDPOINT", None)
    env.update(extra)
    return env


def use_cli_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process's environment as :func:`cli_env`'s, for a command run in-process."""
    for name in ("OB_ENDPOINT", "OB_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OB_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("OB_ACCESS_KEY_SECRET", SECRET)
    monkeypatch.setenv("OB_PROJECT_ID", PROJECT)


class SimulatorProcess:
    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/_simulator/stats", timeout=10) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    def tenant_names(self, instance_id: str) -> list[str]:
        """The tenants the server holds, listed with an independent client (requests)."""
        names: list[str] = []
        page = 1
        while True:
            response = requests.get(
                f"{self.url}/api/v2/instances/{instance_id}/tenants",
                params={"requestId": f"truth-{page}", "pageNumber": page, "pageSize": 100},
                headers={"X-Ob-Project-Id": PROJECT},
                auth=HTTPDigestAuth(ACCESS_KEY_ID, SECRET),
                timeout=10,
            )
            response.raise_for_status()
            data = response.json()["data"]
            names.extend(tenant["tenantName"] for tenant in data["dataList"])
            if len(names) >= data["total"] or not data["dataList"]:
                return names
            page += 1


@contextmanager
def simulator(*flags: str) -> Iterator[SimulatorProcess]:
    process = subprocess.Popen(
        [sys.executable, "-m", "ob_async", "simulator", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=cli_env(),
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)", first)
        assert match, f"simulator did not start: {first!r}"
        yield SimulatorProcess(process, match.group(1))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def drill_command(plan: Path, sim: SimulatorProcess, *args: str) -> list[str]:
    return [sys.executable, "-m", "ob_async", "drill", str(plan), "--endpoint", sim.url, *args]


def run_drill(
    plan: Path, sim: SimulatorProcess, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        drill_command(plan, sim, *args),
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=timeout,
        check=False,
        cwd=plan.parent,  # a default journal lands beside the plan, not in the repository
    )


def read_report(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())  # type: ignore[no-any-return]


def wait_for_journal(journal: Path, event: str, *, count: int = 1, timeout: float = 30.0) -> None:
    """Block until the drill's journal holds ``count`` ``event`` lines (it is running)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if journal.exists():
            lines = journal.read_text().splitlines()
            if sum(1 for line in lines if f'"event":"{event}"' in line) >= count:
                return
        time.sleep(0.05)
    raise AssertionError(f"the drill never journaled {count} {event!r} event(s)")
