"""A drill whose first target instance is at capacity still submits to the others at once."""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path

from tests.cli.support import read_report, run_drill, simulator


def test_a_full_instance_does_not_hold_back_restores_to_another(tmp_path: Path) -> None:
    # Four restores into ob-dr-east (capacity two at a time), then two into ob-dr-west,
    # with two submits in flight. Restores to ob-dr-west must not wait behind the two
    # east restores that wait for east's capacity.
    body = textwrap.dedent(
        """
        [drill]
        name = "capacity"
        concurrency = 2
        restoring_per_instance = 2
        poll_initial = "0.2s"
        poll_max = "0.3s"

        [defaults]
        source_instance_id = "ob-prod-sh"
        target_instance_id = "ob-dr-east"
        target_tenant_primary_zone = "cn-shanghai-e"
        target_tenant_name = "cap_{index}_{source_tenant_id}"
        cpu = 1
        memory = 2
        unit_num = 1
        """
    )
    for index in range(1, 5):
        body += f'\n[[restore]]\nsource_tenant_id = "tsh00{index}"\n'
    for index in range(5, 7):
        body += (
            f'\n[[restore]]\nsource_tenant_id = "tsh00{index}"\n'
            'target_instance_id = "ob-dr-west"\ntarget_tenant_primary_zone = "cn-chengdu-a"\n'
        )
    plan = tmp_path / "plan.toml"
    plan.write_text(body)
    report_path = tmp_path / "r.json"
    with simulator("--restore-seconds", "3", "--seed", "11") as sim:
        done = run_drill(plan, sim, "--report-json", str(report_path))
    assert done.returncode == 0, done.stdout + done.stderr
    items = read_report(report_path)["items"]
    assert all(item["state"] == "online" for item in items)
    by_instance: dict[str, list[dict[str, str]]] = {}
    for item in items:
        by_instance.setdefault(item["target"]["instanceId"], []).append(item)
    east, west = by_instance["ob-dr-east"], by_instance["ob-dr-west"]
    assert len(east) == 4
    assert len(west) == 2
    first_east_done = min(datetime.fromisoformat(item["finishedAt"]) for item in east)
    for item in west:
        # Submitted while east was still full, not after its first restores finished.
        assert datetime.fromisoformat(item["submittedAt"]) < first_east_done, item
