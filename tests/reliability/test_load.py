"""Load: 2,000 concurrent restores against a rate-limited simulator.

All must complete, and the client's adaptive throttling must keep the share of
429 answers below 20% once it has had a few seconds of answers to find the server's rate.

On virtual time (:mod:`tests.support.virtual_time`): the simulator's token bucket, the
client's pacing and backoffs and the samples below share the loop's clock, so the seconds
are the protocol's, not the machine's: a busy machine slows the test, not the rate.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import pytest

from ob_async import (
    Backoff,
    ObClient,
    RestoreRequest,
    RetryPolicy,
    RetryQuota,
    SubmissionOutcome,
    TenantResource,
)
from ob_async.simulator import Simulator
from tests.support.virtual_time import VirtualClock, on_virtual_time

RATE_LIMIT = 150
RESTORES = 2000
SETTLE_SECONDS = 4.0


def request(index: int) -> RestoreRequest:
    east = index % 2 == 0
    return RestoreRequest(
        source_instance_id="ob-prod-sh",
        source_tenant_id=f"tsh{index % 12 + 1:03d}",
        target_instance_id="ob-dr-east" if east else "ob-dr-west",
        target_tenant_name=f"load_{index:04d}",
        target_tenant_primary_zone="cn-shanghai-e" if east else "cn-chengdu-a",
        restore_time=datetime(2026, 1, 13, 5, 58, 34, tzinfo=UTC),
        tenant_resource=TenantResource(cpu=1, memory=2, unit_num=1),
    )


@pytest.mark.timeout(600)
@on_virtual_time
async def test_2000_concurrent_restores_under_a_rate_limit() -> None:
    clock = VirtualClock()
    async with Simulator(rate_limit=RATE_LIMIT, seed=31, restore_seconds=3600, clock=clock) as sim:
        async with ObClient(
            sim.url,
            sim.credentials,
            "load",
            clock=clock,
            retry_policy=RetryPolicy(
                max_attempts=40, deadline=None, backoff=Backoff(base=0.2, cap=5)
            ),
            # The 2,000 go out together (a cold burst is concurrent), so some 1,850 of the
            # first wave are 429s before any client could know the rate: the default
            # client-wide budget (250 retries) is for outages, not for this test's burst.
            retry_quota=RetryQuota(1_000_000),
        ) as client:
            snapshots: list[tuple[float, Counter[str]]] = []

            async def sample() -> None:
                while True:
                    snapshots.append((clock.monotonic(), Counter(sim.stats()["requestsByStatus"])))
                    await asyncio.sleep(0.5)

            sampler = asyncio.create_task(sample())
            started = clock.monotonic()
            submissions = await asyncio.gather(
                *(
                    client.submit_restore(r.target_instance_id, r)
                    for r in map(request, range(RESTORES))
                )
            )
            sampler.cancel()
            elapsed = clock.monotonic() - started
            final = Counter(sim.stats()["requestsByStatus"])
    assert Counter(s.outcome for s in submissions) == {SubmissionOutcome.SUBMITTED: RESTORES}
    # The throttle learns the server's rate from its answers, so its few seconds count
    # from the first answer to a restore request, not from the start of the burst.
    answered = next(at for at, counts in snapshots if counts["200"] or counts["429"])
    settled = next(counts for at, counts in snapshots if at - answered >= SETTLE_SECONDS)
    after = final - settled
    share = after["429"] / max(1, sum(after.values()))
    assert share < 0.20, (
        f"429 share {share:.1%} from {SETTLE_SECONDS}s after the first answer, "
        f"{answered - started:.1f}s into the burst ({elapsed:.1f}s in all)"
    )
