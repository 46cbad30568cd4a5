"""The batch runner against the simulator: laziness, limits, stopping, accounting."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import attrs
import pytest

from ob_async import ObClient, PollConfig, RestoreRequest, TenantResource
from ob_async._http.credentials import Credentials
from ob_async._restore.retry import Backoff, RetryPolicy
from ob_async._restore.runwide import RunWideError
from ob_async._restore.submit import RestoreSubmission
from ob_async._wire.tenants import TenantSummary
from ob_async.batch import (
    BatchLimits,
    BatchRunner,
    FailurePolicy,
    ItemResult,
    ItemState,
    RestoreItem,
)
from ob_async.simulator import Simulator
from ob_async.simulator._faults import FaultSpec
from tests.support.virtual_time import VirtualClock, on_virtual_time

CLOCK = VirtualClock()
"""The loop's virtual time, for the simulator and the clients (tests.support.virtual_time)."""

FAST_POLL = PollConfig(initial_interval=0.1, max_interval=0.2, jitter=0.0)


def item(index: int, *, zone: str = "cn-shanghai-e") -> RestoreItem:
    return RestoreItem(
        key=f"k{index}",
        instance_id="ob-dr-east",
        request=RestoreRequest(
            source_instance_id="ob-prod-sh",
            source_tenant_id="tsh001",
            target_instance_id="ob-dr-east",
            target_tenant_name=f"batch_{index}",
            target_tenant_primary_zone=zone,
            restore_time=datetime(2026, 1, 13, 5, 58, 34, tzinfo=UTC),
            tenant_resource=TenantResource(cpu=1, memory=2, unit_num=1),
        ),
        rto_seconds=60,
    )


@on_virtual_time
async def test_items_are_pulled_lazily_and_parallelism_is_bounded() -> None:
    pulled = finished = 0
    in_flight_max = 0

    def items() -> Iterator[RestoreItem]:
        nonlocal pulled, in_flight_max
        for index in range(40):
            pulled += 1
            in_flight_max = max(in_flight_max, pulled - finished)
            yield item(index)

    class Counting:
        async def submitting(self, item: RestoreItem, submission: RestoreSubmission) -> None:
            pass

        async def submitted(self, item: RestoreItem, submission: RestoreSubmission) -> None:
            pass

        def seen(self, item: RestoreItem, tenant: TenantSummary) -> None:
            pass

        async def finished(self, result: object) -> None:
            nonlocal finished
            finished += 1

    async with (
        Simulator(clock=CLOCK, seed=1, restore_seconds=0.3) as sim,
        ObClient(sim.url, sim.credentials, "p", clock=CLOCK, poll=FAST_POLL) as client,
    ):
        runner = BatchRunner(
            client,
            limits=BatchLimits(max_submits=4, max_restoring_per_instance=6, lookahead=5),
            observer=Counting(),
        )
        results = [result async for result in runner.run(items())]
    assert len(results) == 40
    assert all(r.state is ItemState.ONLINE and r.met_rto for r in results)
    # Never more pulled and unfinished than the look-ahead (items waiting to be sent)
    # plus the restores in progress (submitting or restoring) on the one instance.
    assert in_flight_max <= 5 + 6
    assert runner.summary.by_state == Counter({"online": 40})
    assert runner.summary.percentile(0.5) is not None


@on_virtual_time
async def test_fail_fast_stops_submitting_and_accounts_for_what_was_started() -> None:
    async with (
        Simulator(clock=CLOCK, seed=2, restore_seconds=0.3) as sim,
        ObClient(sim.url, sim.credentials, "p", clock=CLOCK, poll=FAST_POLL) as client,
    ):
        runner = BatchRunner(
            client,
            limits=BatchLimits(max_submits=1),
            failure_policy=FailurePolicy.FAIL_FAST,
        )
        items = [item(0, zone="nowhere"), *(item(i) for i in range(1, 20))]
        results = [result async for result in runner.run(items)]
    assert results[0].state is ItemState.SUBMIT_FAILED
    assert runner.summary.started == len(results) < 20


@on_virtual_time
async def test_a_bug_in_an_observer_does_not_lose_the_item() -> None:
    class BrokenObserver:
        async def submitting(self, item: RestoreItem, submission: RestoreSubmission) -> None:
            return None

        async def submitted(self, item: RestoreItem, submission: RestoreSubmission) -> None:
            raise RuntimeError("observer bug")

        def seen(self, item: RestoreItem, tenant: TenantSummary) -> None:
            return None

        async def finished(self, result: object) -> None:
            return None

    async with (
        Simulator(clock=CLOCK, seed=3, restore_seconds=0.2) as sim,
        ObClient(sim.url, sim.credentials, "p", clock=CLOCK, poll=FAST_POLL) as client,
    ):
        runner = BatchRunner(client, observer=BrokenObserver())
        results = [result async for result in runner.run([item(1), item(2)])]
    assert {r.key for r in results} == {"k1", "k2"}
    assert all(r.state is ItemState.UNKNOWN and "observer bug" in (r.error or "") for r in results)
    assert all(r.submission is not None and r.submission.submitted for r in results)


@on_virtual_time
async def test_abort_reports_every_item_in_flight_as_interrupted() -> None:
    async with (
        Simulator(clock=CLOCK, seed=4, restore_seconds=60) as sim,
        ObClient(sim.url, sim.credentials, "p", clock=CLOCK, poll=FAST_POLL) as client,
    ):
        runner = BatchRunner(client, limits=BatchLimits(max_submits=3))
        results = []

        async def consume() -> None:
            async for result in runner.run(item(i) for i in range(10)):
                results.append(result)

        consumer = asyncio.create_task(consume())
        while len(sim.tenants("ob-dr-east")) < 4:  # the sentinel plus three restores
            await asyncio.sleep(0.05)
        runner.abort()
        await consumer
        created = {t["tenantName"] for t in sim.tenants("ob-dr-east")} - {"dr_sentinel"}
    # Every item the batch took in is reported once. An abort can land while an item
    # is between admission and its POST (it was never sent: not_started) or while its
    # POST is on the wire (it may exist: interrupted); which, depends on scheduling.
    assert len(results) == runner.summary.started >= 3
    assert {r.state for r in results} <= {ItemState.INTERRUPTED, ItemState.NOT_STARTED}
    for r in results:
        sent = r.submission is not None and any(a.sent for a in r.submission.attempts)
        assert (r.state is ItemState.INTERRUPTED) == sent, r
    # Nothing the server created is reported as never started.
    interrupted = {
        r.item.request.target_tenant_name for r in results if r.state is ItemState.INTERRUPTED
    }
    assert created <= interrupted
    assert len(interrupted) >= 3


@on_virtual_time
async def test_a_tenant_that_is_not_what_was_asked_for_fails_validation_and_is_kept() -> None:
    async with (
        Simulator(clock=CLOCK, seed=5, restore_seconds=0.2) as sim,
        ObClient(sim.url, sim.credentials, "p", clock=CLOCK, poll=FAST_POLL) as client,
    ):
        real_describe = client.describe_tenant

        async def shrunken(instance_id: str, tenant_id: str, **kwargs: object) -> object:
            detail = await real_describe(instance_id, tenant_id)
            return attrs.evolve(detail, unit_cpu=3)

        client.describe_tenant = shrunken  # type: ignore[method-assign,assignment]
        runner = BatchRunner(client, cleanup=True)
        [result] = [result async for result in runner.run([item(1)])]
        kept = [t["tenantName"] for t in sim.tenants("ob-dr-east")]
    assert result.state is ItemState.VALIDATION_FAILED
    assert result.error == "restored tenant differs: unitCpu is 3, not 1"
    assert result.cleanup is None
    assert "batch_1" in kept  # left for inspection


@on_virtual_time
async def test_validated_tenants_are_cleaned_up() -> None:
    async with (
        Simulator(clock=CLOCK, seed=6, restore_seconds=0.2) as sim,
        ObClient(sim.url, sim.credentials, "p", clock=CLOCK, poll=FAST_POLL) as client,
    ):
        runner = BatchRunner(client, cleanup=True)
        results = [result async for result in runner.run([item(1), item(2)])]
        left = [t["tenantName"] for t in sim.tenants("ob-dr-east")]
        describes = sim.stats()["describeCalls"]
    assert all(r.state is ItemState.ONLINE and r.cleanup and r.cleanup.deleted for r in results)
    assert not [name for name in left if name.startswith("batch_")]
    assert describes == 2  # one validation read per restore


@on_virtual_time
async def test_refused_credentials_stop_the_batch_at_the_first_and_are_raised_once() -> None:
    async with (
        Simulator(clock=CLOCK, seed=2, restore_seconds=0.3) as sim,
        ObClient(
            sim.url, Credentials(sim.credentials.access_key_id, "wrong"), "p", clock=CLOCK
        ) as client,
    ):
        runner = BatchRunner(client, limits=BatchLimits(max_submits=2))
        results: list[ItemResult] = []

        async def run_all() -> None:
            async for result in runner.run(item(index) for index in range(30)):
                results.append(result)

        with pytest.raises(RunWideError, match="refused the credentials"):
            await run_all()
        posts = sim.stats()["requestsByRoute"].get("restore", 0)
    # Every item pulled is a result; after the first refusal nothing more is tried.
    assert len(results) == runner.summary.started < 30
    assert {r.state for r in results} <= {ItemState.SUBMIT_FAILED, ItemState.NOT_STARTED}
    # No more than the submits in flight when the first refusal came, each one request
    # of its own (they went out together once the challenge was in), and the first
    # call's request that fetched the challenge.
    assert posts <= 1 + 2


@on_virtual_time
async def test_a_failed_read_back_is_unknown_never_validation_failed() -> None:
    async with (
        Simulator(
            clock=CLOCK,
            seed=3,
            restore_seconds=0.2,
            faults=FaultSpec.parse("http_500@describe_tenant=1.0"),
        ) as sim,
        ObClient(sim.url, sim.credentials, "p", clock=CLOCK, poll=FAST_POLL) as client,
    ):
        runner = BatchRunner(
            client, policy=RetryPolicy(max_attempts=2, backoff=Backoff(base=0.01, cap=0.01))
        )
        (result,) = [result async for result in runner.run([item(1)])]
    assert result.state is ItemState.UNKNOWN
    assert "could not be read back" in (result.error or "")
