"""kill -9 a 300-restore drill at a random moment, resume it, check against ground truth.

Ten seeds: each picks the moment of the kill. After the resume, the report must
hold every item, final, and the simulator must hold exactly one tenant per item
that the report calls ONLINE, none twice, created under the item's requestId.
"""

from __future__ import annotations

import json
import random
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli.support import cli_env, drill_command, read_report, run_drill, simulator

SEEDS = range(10)
RESTORES = 300


def write_plan(directory: Path, seed: int) -> Path:
    tenants = [f"tsh{n:03d}" for n in range(1, 13)]
    with (directory / "restores.jsonl").open("w") as handle:
        for index in range(RESTORES):
            handle.write(json.dumps({"source_tenant_id": tenants[index % len(tenants)]}) + "\n")
    plan = directory / "crash.toml"
    plan.write_text(
        f"""
[drill]
name = "crash{seed}"
concurrency = 32
restoring_per_instance = 300
restore_list = "restores.jsonl"
poll_initial = "0.2s"
poll_max = "0.4s"

[defaults]
source_instance_id = "ob-prod-sh"
target_instance_id = "ob-dr-east"
target_tenant_primary_zone = "cn-shanghai-e"
target_tenant_name = "s{seed}_{{index}}"
restore_time = "latest"
cpu = 1
memory = 2
unit_num = 1
"""
    )
    return plan


@pytest.fixture(scope="module")
def shared_simulator():  # type: ignore[no-untyped-def]
    with simulator(
        "--restore-seconds", "0.2-0.8", "--seed", "21", "--faults", "reset_after@restore=0.05"
    ) as sim:
        yield sim


@pytest.mark.timeout(120)
@pytest.mark.parametrize("seed", SEEDS)
def test_kill_9_at_a_random_moment_then_resume(shared_simulator, tmp_path: Path, seed: int) -> None:  # type: ignore[no-untyped-def]
    sim = shared_simulator
    plan = write_plan(tmp_path, seed)
    journal, report_path = tmp_path / "j.jsonl", tmp_path / "r.json"
    process = subprocess.Popen(
        drill_command(plan, sim, "--journal", str(journal)),
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    time.sleep(random.Random(seed).uniform(0.8, 4.0))
    process.kill()
    process.wait()
    resumed = run_drill(
        plan, sim, "--journal", str(journal), "--resume", "--report-json", str(report_path)
    )
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    report = read_report(report_path)
    items = report["items"]
    prefix = f"s{seed}_"
    held = [name for name in sim.tenant_names("ob-dr-east") if name.startswith(prefix)]
    stats = sim.stats()

    assert len(items) == RESTORES  # nothing lost
    assert {i["target"]["tenantName"] for i in items} == {
        f"{prefix}{n}" for n in range(1, RESTORES + 1)
    }
    assert all(i["state"] == "online" for i in items)  # every item final, and done
    assert len(held) == len(set(held)) == RESTORES  # nothing created twice
    for item in items:
        sent = stats["requestIdsByTargetTenant"][item["target"]["tenantName"]]
        assert set(sent) == {item["requestId"]}  # both runs used one requestId per item
