"""A 1,000-restore drill through a fault-injecting proxy plus simulator faults.

On virtual time (:mod:`tests.support.virtual_time`): the proxy's delays and stalls, the
client's timeouts and backoffs and the simulator's restores all follow the loop's clock,
so a drill of minutes takes the seconds its requests cost, and a busy machine cannot
make every request in flight time out at once.

The ground truth is the simulator: every tenant it holds must be an item the
report calls successful, no target may exist twice, no item may be missing
from the report, and every POST of an item must carry that item's requestId.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from ob_async import Backoff, ObClient, PollConfig, RetryPolicy, RetryQuota
from ob_async._http.config import ClientConfig
from ob_async.drill._plan import load_plan
from ob_async.drill._runner import DrillOptions, DrillRunner
from ob_async.simulator import Simulator
from tests.reliability.chaos_proxy import ChaosConfig, ChaosProxy
from tests.support.virtual_time import VirtualClock, on_virtual_time

SOURCES = [("ob-prod-sh", f"tsh{n:03d}") for n in range(1, 13)] + [
    ("ob-prod-bj", f"tbj{n:03d}") for n in range(1, 11)
]
SIMULATOR_FAULTS = (
    "reset_before=0.03,reset_after=0.06,http_500=0.03,http_502_html=0.03,http_503=0.03,"
    "throttle=0.03,slow=0.02:0.3,truncated=0.02"
)


def write_chaos_plan(directory: Path, restores: int) -> Path:
    with (directory / "restores.jsonl").open("w") as handle:
        for index in range(restores):
            source_instance, source_tenant = SOURCES[index % len(SOURCES)]
            east = index % 2 == 0
            handle.write(
                json.dumps(
                    {
                        "source_instance_id": source_instance,
                        "source_tenant_id": source_tenant,
                        "target_instance_id": "ob-dr-east" if east else "ob-dr-west",
                        "target_tenant_primary_zone": "cn-shanghai-e" if east else "cn-chengdu-a",
                    }
                )
                + "\n"
            )
    plan = directory / "chaos.toml"
    plan.write_text(
        """
[drill]
name = "chaos"
concurrency = 48
restoring_per_instance = 400
restore_list = "restores.jsonl"
timeout = "3m"

[defaults]
target_tenant_name = "chaos_{index}"
restore_time = "latest"
cpu = 1
memory = 2
unit_num = 1
"""
    )
    return plan


@pytest.mark.timeout(300)
@on_virtual_time
async def test_thousand_restore_drill_through_chaos(tmp_path: Path) -> None:
    plan = load_plan(write_chaos_plan(tmp_path, 1000))
    clock = VirtualClock()
    async with Simulator(
        faults=SIMULATOR_FAULTS, seed=11, restore_seconds=(0.2, 0.6), clock=clock
    ) as sim:
        async with ChaosProxy("127.0.0.1", sim.port, ChaosConfig(), seed=12) as proxy:
            client = ObClient(
                proxy.url,
                sim.credentials,
                "chaos-project",
                config=ClientConfig(connect_timeout=2, read_timeout=1.0, total_timeout=4),
                retry_policy=RetryPolicy(
                    max_attempts=10,
                    deadline=None,
                    backoff=Backoff(base=0.05, cap=0.5, retry_after_cap=0.5),
                ),
                poll=PollConfig(initial_interval=0.3, max_interval=0.6),
                # The client-wide budget stops retries in an outage; this test is about
                # identities under faults, so it is not what stops a retry here (the
                # budget's own behaviour is tested in test_retry_and_submit).
                retry_quota=RetryQuota(1_000_000),
                clock=clock,
            )
            async with client:
                runner = DrillRunner(
                    client,
                    plan,
                    DrillOptions(journal_path=tmp_path / "chaos.jsonl", endpoint_label="chaos"),
                )
                report = await runner.run()
            chaos = dict(proxy.counts)
        stats = sim.stats()
        held = {
            iid: [t for t in sim.tenants(iid) if t["tenantName"].startswith("chaos_")]
            for iid in ("ob-dr-east", "ob-dr-west")
        }
    items = report.to_json()["items"]
    print(
        Counter(item["state"] for item in items), chaos, stats["requests"], stats["faultsInjected"]
    )
    print([i["error"] for i in items if i["state"] != "online"][:5])
    assert chaos.get("reset_request", 0) + chaos.get("reset_response", 0) > 10, chaos
    assert stats["faultsInjected"].get("reset_after", 0) > 20, stats["faultsInjected"]

    # No item missing from the report.
    assert len(items) == 1000
    assert {item["target"]["tenantName"] for item in items} == {
        f"chaos_{i}" for i in range(1, 1001)
    }
    # No duplicate target tenant.
    names = [t["tenantName"] for tenants in held.values() for t in tenants]
    assert len(names) == len(set(names))
    # The simulator holds exactly the tenants the report calls successful.
    successful = {item["target"]["tenantName"] for item in items if item["state"] == "online"}
    assert set(names) == successful
    # Every attempt of an item under one requestId.
    for item in items:
        sent = stats["requestIdsByTargetTenant"].get(item["target"]["tenantName"], [])
        assert set(sent) <= {item["requestId"]}, item["key"]
    states = Counter(item["state"] for item in items)
    # Every fault here is transient: with retries, every restore gets through.
    assert states == {"online": 1000}, states
