"""`ob-restore submit` is safe for a script to retry: the same --request-id adopts the
tenant it created; --timeout bounds the whole command."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.cli.support import cli_env, simulator


def submit(url: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable, "-m", "ob_async", "submit", "--endpoint", url,
            "--source-instance-id", "ob-prod-sh", "--source-tenant-id", "tsh001",
            "--target-instance-id", "ob-dr-east", "--target-tenant-name", "retried_1",
            "--zone", "cn-shanghai-e", "--restore-time", "latest",
            "--cpu", "1", "--memory", "2", "--unit-num", "1", "--json", *args,
        ],
        capture_output=True, text=True, env=cli_env(), timeout=timeout, check=False,
    )  # fmt: skip


def restores_of(stats: dict[str, Any], name: str) -> list[str]:
    return list(stats["requestIdsByTargetTenant"].get(name, []))


def test_the_same_request_id_twice_adopts_the_tenant_it_created() -> None:
    with simulator("--seed", "51", "--restore-seconds", "0.2") as sim:
        first = submit(sim.url, "--request-id", "script-run-0001")
        second = submit(sim.url, "--request-id", "script-run-0001", "--wait")
        names = [n for n in sim.tenant_names("ob-dr-east") if n == "retried_1"]
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["submission"] == "submitted"
    assert second.returncode == 0, second.stdout + second.stderr
    record = json.loads(second.stdout)
    assert record["submission"] == "adopted"
    assert record["state"] == "online"
    assert names == ["retried_1"]  # one tenant, not two


def test_another_request_id_for_a_taken_name_is_still_a_conflict() -> None:
    with simulator("--seed", "52", "--restore-seconds", "0.2") as sim:
        assert submit(sim.url, "--request-id", "script-run-0002").returncode == 0
        other = submit(sim.url, "--request-id", "someone-else-0002")
    assert other.returncode == 1
    assert json.loads(other.stdout)["state"] == "conflict"


def test_timeout_bounds_the_whole_command_against_a_stalled_server() -> None:
    # Every restore POST is held 60 s: without an overall bound the command waited
    # its 120 s per exchange, then reconciled for as long again.
    with simulator("--seed", "53", "--faults", "slow@restore=1.0:60") as sim:
        done = submit(sim.url, "--timeout", "3s", timeout=30)  # the bound under test
    assert done.returncode == 1, done.stderr
    assert "--timeout 3s passed before the submission settled" in done.stderr
    assert "--request-id" in done.stderr
