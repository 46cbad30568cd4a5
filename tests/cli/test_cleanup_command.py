"""`ob-restore cleanup --journal FILE` deletes exactly what a recorded run created, idempotently."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import requests
from requests.auth import HTTPDigestAuth

from tests.cli.support import (
    ACCESS_KEY_ID,
    PROJECT,
    SECRET,
    SimulatorProcess,
    cli_env,
    run_drill,
    simulator,
    write_plan,
)


def ob_restore(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ob_async", *argv],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
        check=False,
    )


def delete_by_name(sim: SimulatorProcess, instance: str, name: str) -> None:
    """Delete a tenant behind the drill's back, with an independent client."""
    auth = HTTPDigestAuth(ACCESS_KEY_ID, SECRET)
    headers = {"X-Ob-Project-Id": PROJECT}
    listing = requests.get(
        f"{sim.url}/api/v2/instances/{instance}/tenants",
        params={"requestId": "by-hand-1", "tenantName": name},
        headers=headers,
        auth=auth,
        timeout=10,
    ).json()["data"]["dataList"]
    (tenant,) = [t for t in listing if t["tenantName"] == name]
    response = requests.delete(
        f"{sim.url}/api/v2/instances/{instance}/tenants/{tenant['tenantId']}",
        params={"requestId": "by-hand-2"},
        headers=headers,
        auth=auth,
        timeout=10,
    )
    response.raise_for_status()


def test_cleanup_deletes_the_runs_tenants_only_and_can_be_repeated(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 3)
    journal = tmp_path / "run.jsonl"
    with simulator("--restore-seconds", "0.2") as sim:
        drill = run_drill(plan, sim, "--journal", str(journal))
        assert drill.returncode == 0, drill.stderr
        names = sorted(n for n in sim.tenant_names("ob-dr-east") if n.startswith("e2e_"))
        assert names == ["e2e_1_tsh001", "e2e_2_tsh002", "e2e_3_tsh003"]
        # Someone removes one of the run's tenants and creates another under its name.
        delete_by_name(sim, "ob-dr-east", "e2e_2_tsh002")
        impostor = ob_restore(
            *("submit", "--endpoint", sim.url, "--source-instance-id", "ob-prod-sh"),
            *("--source-tenant-id", "tsh002", "--target-instance-id", "ob-dr-east"),
            *("--target-tenant-name", "e2e_2_tsh002", "--zone", "cn-shanghai-e"),
            *("--restore-time", "latest", "--cpu", "1", "--memory", "2", "--unit-num", "1"),
        )
        assert impostor.returncode == 0, impostor.stderr

        cleanup = ("cleanup", "--journal", str(journal), "--endpoint", sim.url)
        dry = ob_restore(*cleanup, "--dry-run")
        assert dry.returncode == 0, dry.stderr
        lines = dry.stdout.splitlines()
        assert [line.split(" (")[0] for line in lines[:3]] == [
            "would delete ob-dr-east/e2e_1_tsh001",
            "kept ob-dr-east/e2e_2_tsh002",
            "would delete ob-dr-east/e2e_3_tsh003",
        ]
        assert "lacks this run's requestId marker" in lines[1]
        assert lines[-1].startswith("DRY RUN cleanup of run ")
        assert lines[-1].endswith(
            ": 2 would be deleted, 0 already gone, 1 kept (not created by this run), 0 failed"
        )
        assert sorted(n for n in sim.tenant_names("ob-dr-east") if n.startswith("e2e_")) == names

        first = ob_restore(*cleanup)
        assert first.returncode == 0, first.stderr
        assert first.stdout.splitlines()[-1].endswith(
            ": 2 deleted, 0 already gone, 1 kept (not created by this run), 0 failed"
        )
        left = [n for n in sim.tenant_names("ob-dr-east") if n.startswith("e2e_")]
        assert left == ["e2e_2_tsh002"]  # the impostor, untouched
        assert "dr_sentinel" in sim.tenant_names("ob-dr-east")

        again = ob_restore(*cleanup)
        assert again.returncode == 0, again.stderr
        assert again.stdout.splitlines()[-1].endswith(
            ": 0 deleted, 2 already gone, 1 kept (not created by this run), 0 failed"
        )
        assert [n for n in sim.tenant_names("ob-dr-east") if n.startswith("e2e_")] == left


def test_cleanup_refuses_a_file_that_is_not_a_drill_journal(tmp_path: Path) -> None:
    missing = ob_restore("cleanup", "--journal", str(tmp_path / "nope.jsonl"), "--simulate")
    assert missing.returncode == 2
    assert "nope.jsonl" in missing.stderr
    other = tmp_path / "other.jsonl"
    other.write_text('{"event": "something"}\n')
    refused = ob_restore("cleanup", "--journal", str(other), "--simulate")
    assert refused.returncode == 2
    assert "other.jsonl: has no 'run' line" in refused.stderr


def test_a_rerun_with_taken_names_points_at_cleanup_and_unique_names(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 2)
    journal = tmp_path / "first.jsonl"
    with simulator("--restore-seconds", "0.2") as sim:
        assert run_drill(plan, sim, "--journal", str(journal)).returncode == 0
        again = run_drill(plan, sim, "--journal", str(tmp_path / "second.jsonl"))
        assert again.returncode == 1
        assert "2 restore(s): 0 restored, 0 missed RTO, 2 failed" in again.stdout
        (hint,) = [line for line in again.stdout.splitlines() if "already used." in line]
        assert hint.startswith("  note: 2 target name(s) already used.")
        assert "'ob-restore cleanup --journal <that run's journal>'" in hint
        assert "{time} or {run} in target_tenant_name" in hint
        # Following the hint: clean up the first run, and the plan runs again.
        cleanup = ob_restore("cleanup", "--journal", str(journal), "--endpoint", sim.url)
        assert cleanup.returncode == 0, cleanup.stderr
        third = run_drill(plan, sim, "--journal", str(tmp_path / "third.jsonl"))
        assert third.returncode == 0, third.stdout
