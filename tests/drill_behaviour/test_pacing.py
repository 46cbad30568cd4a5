"""How a drill paces itself: a full instance does not hold back restores to another, and
under the API's rate limit the run names its bottleneck and brackets each recovery time,
measured against the simulator's truth."""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path

from tests.drill_behaviour.harness import drill_world
from tests.support.drill_plans import write_plan
from tests.support.virtual_time import on_virtual_time


@on_virtual_time
async def test_a_full_instance_does_not_hold_back_restores_to_another(tmp_path: Path) -> None:
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
    async with drill_world(tmp_path, restore_seconds=3, seed=11) as world:
        run = await world.drill(plan, journal=tmp_path / "j.jsonl")
    items = run.items
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


@on_virtual_time
async def test_a_rate_limited_drill_names_the_limit_and_brackets_each_recovery(
    tmp_path: Path,
) -> None:
    plan = write_plan(
        tmp_path / "plan.toml",
        40,
        drill='rto = "1m"\nconcurrency = 32\nrestoring_per_instance = 200',
    )
    async with drill_world(tmp_path, restore_seconds=1, rate_limit=12, seed=2) as world:
        run = await world.drill(plan, journal=tmp_path / "j.jsonl")
        truth = {entry["tenantName"]: entry for entry in world.stats()["restoreTimes"]}
    (bottleneck,) = [fields for event, fields in run.events if event == "bottleneck"]
    assert bottleneck["limit"] == "api_rate_limit"
    report = run.report
    assert report["summary"]["bottleneck"]["limit"] == "api_rate_limit"
    assert report["summary"]["byState"] == {"online": 40}
    for item in report["items"]:
        lower, upper = item["recoveryLowerSeconds"], item["recoveryUpperSeconds"]
        assert 0 <= lower <= upper == item["recoverySeconds"]
        assert item["rtoVerdict"] == "met"
        # The true moment lies inside the interval, on the client's clock: the restore
        # was sent at submittedAt, accepted after that, and ONLINE 1 s after acceptance.
        real = truth[item["target"]["tenantName"]]
        sent = datetime.fromisoformat(item["submittedAt"]).timestamp()
        assert sent <= real["acceptedAt"] + 0.05
        assert lower <= real["onlineAt"] - sent + 0.05
        assert real["onlineAt"] - sent <= upper + 0.05
