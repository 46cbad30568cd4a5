"""Waiting for ONLINE while the tenant list changes under the poller's pages.

The API lists tenants by offset pages; a drill's own clean-up deletes tenants while
a poller reads them, so the pages shift and tenants fall between two. The
simulator's ``list_churn`` does exactly that between every listing's pages: the
poller must still see every restore come ONLINE, and declare none gone.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from ob_async import ObClient, PollConfig, RestoreRequest, TenantResource
from ob_async._restore.outcome import RestoreState
from ob_async.simulator import Simulator
from tests.support.virtual_time import VirtualClock, on_virtual_time

CLOCK = VirtualClock()
"""The loop's virtual time, for the simulator and the clients (tests.support.virtual_time)."""


@on_virtual_time
async def test_every_restore_comes_online_while_pages_shift_under_the_poller() -> None:
    poll = PollConfig(initial_interval=0.1, max_interval=0.2, jitter=0.0, page_size=4)
    async with (
        Simulator(clock=CLOCK, seed=5, restore_seconds=1.0, list_churn=3) as sim,
        ObClient(sim.url, sim.credentials, "p", clock=CLOCK, poll=poll) as client,
    ):
        (source, *_) = await client.list_restorable_tenants("ob-prod-sh")
        assert source.latest_restorable_time is not None

        async def restore(index: int) -> RestoreState:
            request = RestoreRequest(
                source_instance_id="ob-prod-sh",
                source_tenant_id=source.tenant_id,
                target_instance_id="ob-dr-east",
                target_tenant_name=f"churned_{index:02d}",
                target_tenant_primary_zone="cn-shanghai-e",
                restore_time=source.latest_restorable_time,
                tenant_resource=TenantResource(cpu=1, memory=2, unit_num=1),
            )
            submission = await client.submit_restore("ob-dr-east", request, wait=True, timeout=20)
            assert submission.restore is not None
            return submission.restore.state

        states = await asyncio.gather(*(restore(index) for index in range(20)))
    # Before the poller looked up what a shifted listing missed, the tenants at the
    # page boundaries were never seen (timed out) or taken for vanished.
    assert Counter(states) == Counter({RestoreState.ONLINE: 20})
