"""Naming what limited a batch: the split of the time restores waited to be submitted,
then the same against the simulator, each limit made the tightest in turn."""

from __future__ import annotations

import pytest

from ob_async import ObClient
from ob_async.batch import BatchLimits, BatchRunner, ItemState
from ob_async.batch._bottleneck import Bottleneck, Limit, SlotTime
from ob_async.simulator import Simulator
from tests.integration.test_batch import FAST_POLL, item


def test_the_largest_share_of_the_wait_names_the_limit() -> None:
    time = SlotTime(capacity=5.0, permit_wait=10.0, rate=0.0, api=30.0, held=40.0)
    found = Bottleneck.of(time, api_rate=38.8)
    assert found.limit is Limit.API_RATE_LIMIT
    # The permit wait is shared out as the permit holders spent their time (3:1).
    assert found.shares == pytest.approx(
        {"api_rate_limit": 37.5 / 55, "concurrency": 12.5 / 55, "rate": 0.0,
         "restoring_per_instance": 5 / 55}
    )  # fmt: skip
    assert "the API's rate limit, found at about 38.8 requests/s" in found.summary
    assert found.to_json()["limit"] == "api_rate_limit"


def test_capacity_and_plain_concurrency() -> None:
    full = SlotTime(capacity=50.0, permit_wait=1.0, held=10.0)
    assert Bottleneck.of(full).limit is Limit.RESTORING_CAPACITY
    busy = SlotTime(capacity=0.0, permit_wait=20.0, held=30.0)
    assert Bottleneck.of(busy).limit is Limit.CONCURRENCY


def test_nothing_limits_a_batch_whose_restores_hardly_waited() -> None:
    time = SlotTime(capacity=0.1, permit_wait=0.2, api=0.1, held=10.1)
    found = Bottleneck.of(time)
    assert found.limit is Limit.NONE
    assert found.summary.startswith("none:")


async def run_batch(sim: Simulator, limits: BatchLimits, count: int) -> BatchRunner:
    async with ObClient(sim.url, sim.credentials, "p1", poll=FAST_POLL) as client:
        await client.list_tenants("ob-dr-east")  # the digest handshake, out of the way
        runner = BatchRunner(client, limits=limits, poll=FAST_POLL, validate=False)
        results = [result async for result in runner.run(item(n) for n in range(count))]
        assert [r.state for r in results] == [ItemState.ONLINE] * count
        return runner


async def test_a_full_instance_is_named_as_the_limit() -> None:
    async with Simulator(restore_seconds=0.4, seed=1) as sim:
        runner = await run_batch(
            sim, BatchLimits(max_submits=16, max_restoring_per_instance=2, lookahead=8), 12
        )
    assert runner.bottleneck().limit is Limit.RESTORING_CAPACITY


async def test_the_rate_cap_is_named_as_the_limit() -> None:
    async with Simulator(restore_seconds=0.1, seed=1) as sim:
        runner = await run_batch(
            sim, BatchLimits(max_submits=8, submits_per_second=10, lookahead=8), 15
        )
    assert runner.bottleneck().limit is Limit.RATE


async def test_the_apis_rate_limit_is_named_as_the_limit() -> None:
    async with Simulator(restore_seconds=0.1, rate_limit=15, seed=1) as sim:
        runner = await run_batch(
            sim, BatchLimits(max_submits=32, max_restoring_per_instance=500, lookahead=32), 60
        )
    found = runner.bottleneck()
    assert found.limit is Limit.API_RATE_LIMIT
    assert found.api_rate is not None
    assert 0.8 * 15 <= found.api_rate <= 1.25 * 15  # what it found, probing included
