"""The submitter and the waiter against the simulator: faults, exactly-once, coalescing."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections import Counter
from datetime import UTC, datetime

import aiohttp

from ob_async import (
    Backoff,
    ObClient,
    PollConfig,
    RestoreRequest,
    RestoreState,
    RestoreSubmission,
    RetryPolicy,
    RetryQuota,
    SubmissionOutcome,
    TenantResource,
    ThrottleConfig,
)
from ob_async.simulator import Simulator
from tests.support.virtual_time import VirtualClock, on_virtual_time

CLOCK = VirtualClock()
"""The loop's virtual time, for the simulator and the clients (tests.support.virtual_time)."""

TARGET = "ob-dr-east"
FAST_POLL = PollConfig(initial_interval=0.2, max_interval=0.4, jitter=0.0)
QUICK_RETRIES = RetryPolicy(
    max_attempts=12, deadline=None, backoff=Backoff(base=0.02, cap=0.2, retry_after_cap=0.2)
)


def restore(name: str, *, zone: str = "cn-shanghai-e") -> RestoreRequest:
    return RestoreRequest(
        source_instance_id="ob-prod-sh",
        source_tenant_id="tsh001",
        target_instance_id=TARGET,
        target_tenant_name=name,
        target_tenant_primary_zone=zone,
        restore_time=datetime(2026, 1, 13, 5, 58, 34, tzinfo=UTC),
        tenant_resource=TenantResource(cpu=1, memory=2, unit_num=1),
        target_tenant_description="integration",
    )


def client_for(sim: Simulator, **options: object) -> ObClient:
    return ObClient(sim.url, sim.credentials, "project-1", clock=CLOCK, **options)  # type: ignore[arg-type]


@on_virtual_time
async def test_200_concurrent_submissions_under_30_percent_faults_create_exactly_200() -> None:
    faults = (
        "reset_after=0.08,http_500=0.04,http_502_html=0.04,http_503=0.04,"
        "throttle=0.05,slow=0.03:0.3,truncated=0.02"
    )
    async with Simulator(clock=CLOCK, faults=faults, seed=7, restore_seconds=60) as sim:
        before = len(sim.tenants(TARGET))
        async with client_for(sim, retry_policy=QUICK_RETRIES) as client:
            submissions = await asyncio.gather(
                *(client.submit_restore(TARGET, restore(f"chaos_{i:03d}")) for i in range(200))
            )
        stats = sim.stats()
        tenants = sim.tenants(TARGET)
    assert sum(stats["faultsInjected"].values()) > 40  # the faults really happened
    assert stats["faultsInjected"].get("reset_after", 0) > 5
    outcomes = Counter(s.outcome for s in submissions)
    assert set(outcomes) <= {SubmissionOutcome.SUBMITTED, SubmissionOutcome.ADOPTED}, outcomes
    assert outcomes[SubmissionOutcome.ADOPTED] > 0  # lost responses were adopted, not resent
    names = [t["tenantName"] for t in tenants]
    assert len(tenants) - before == 200
    assert len(set(names)) == len(names)  # no duplicate target tenant
    for submission in submissions:
        seen = stats["requestIdsByTargetTenant"][submission.target_tenant_name]
        assert set(seen) == {submission.request_id}  # every attempt, one requestId
        assert len(seen) == sum(1 for a in submission.attempts if a.sent)


@on_virtual_time
async def test_existing_tenant_is_a_conflict_never_adopted() -> None:
    async with Simulator(clock=CLOCK, seed=1) as sim:
        async with client_for(sim) as client:
            submission = await client.submit_restore(TARGET, restore("dr_sentinel"))
        assert submission.outcome is SubmissionOutcome.CONFLICT
        assert [t["tenantName"] for t in sim.tenants(TARGET)].count("dr_sentinel") == 1


@on_virtual_time
async def test_existing_tenant_after_a_lost_response_is_still_a_conflict() -> None:
    async with Simulator(clock=CLOCK, seed=3, faults="reset_after@restore=1.0") as sim:
        async with client_for(sim, retry_policy=QUICK_RETRIES) as client:
            submission = await client.submit_restore(TARGET, restore("dr_sentinel"))
    # The POST was refused by the server (name taken) but the response was lost; the
    # lookup finds a tenant without our marker.
    assert submission.outcome is SubmissionOutcome.CONFLICT


@on_virtual_time
async def test_wait_true_measures_recovery_time() -> None:
    async with Simulator(clock=CLOCK, seed=2, restore_seconds=0.6) as sim:
        async with client_for(sim, poll=FAST_POLL) as client:
            submission = await client.submit_restore(TARGET, restore("measured"), wait=True)
    assert submission.ok
    outcome = submission.restore
    assert outcome is not None
    assert outcome.state is RestoreState.ONLINE
    assert outcome.recovery_seconds is not None
    assert 0.5 <= outcome.recovery_seconds <= 2.0
    assert outcome.first_seen_at is not None
    assert outcome.tenant_id


@on_virtual_time
async def test_failed_restore_and_vanished_tenant_are_failures() -> None:
    async with Simulator(clock=CLOCK, seed=4, restore_seconds=0.3, failure_rate=1.0) as sim:
        async with client_for(sim, poll=FAST_POLL) as client:
            failed = await client.submit_restore(TARGET, restore("doomed"), wait=True)
            assert failed.restore is not None
            assert failed.restore.state is RestoreState.FAILED
            assert failed.restore.last_status == "RESTORE_FAILED"
            assert not failed.ok
    async with Simulator(clock=CLOCK, seed=5, restore_seconds=30) as sim:
        async with client_for(sim, poll=FAST_POLL) as client:
            submission = await client.submit_restore(TARGET, restore("ghost"))
            waiting = asyncio.create_task(client.wait_until_online(TARGET, "ghost", timeout=10))
            await asyncio.sleep(0.5)  # seen at least once
            tenant_id = next(
                t["tenantId"] for t in sim.tenants(TARGET) if t["tenantName"] == "ghost"
            )
            await client.delete_tenant(TARGET, tenant_id)
            outcome = await waiting
    assert submission.submitted
    assert outcome.state is RestoreState.VANISHED


@on_virtual_time
async def test_wait_times_out() -> None:
    async with Simulator(clock=CLOCK, seed=6, restore_seconds=30) as sim:
        async with client_for(sim, poll=FAST_POLL) as client:
            await client.submit_restore(TARGET, restore("slowpoke"))
            outcome = await client.wait_until_online(TARGET, "slowpoke", timeout=0.7)
    assert outcome.state is RestoreState.TIMED_OUT
    assert outcome.last_status == "RESTORING"


@on_virtual_time
async def test_1000_waits_on_one_instance_share_one_list_per_interval() -> None:
    async with Simulator(clock=CLOCK, seed=8, restore_seconds=(1.0, 2.0)) as sim:
        async with client_for(sim, poll=FAST_POLL) as client:
            names = [f"many_{i:04d}" for i in range(1000)]
            await asyncio.gather(*(client.submit_restore(TARGET, restore(n)) for n in names))
            lists_before = sim.stats()["listCalls"].get(TARGET, 0)
            outcomes = await asyncio.gather(
                *(client.wait_until_online(TARGET, n, timeout=30) for n in names)
            )
            lists = sim.stats()["listCalls"].get(TARGET, 0) - lists_before
            describes = sim.stats()["describeCalls"]
    assert all(o.state is RestoreState.ONLINE for o in outcomes)
    sweeps = max(o.polls for o in outcomes)
    pages_per_sweep = -(-1001 // FAST_POLL.page_size)
    # One sweep lists the instance once (all pages); 1,000 separate waits would have
    # cost 1,000 describes per interval.
    assert lists <= sweeps * pages_per_sweep + pages_per_sweep
    assert describes == 0


@on_virtual_time
async def test_adaptive_throttling_lowers_the_429_share() -> None:
    async def share_of_429(throttle: ThrottleConfig) -> float:
        async with Simulator(clock=CLOCK, seed=9, rate_limit=40) as sim:
            async with client_for(
                sim,
                throttle=throttle,
                retry_policy=RetryPolicy(
                    max_attempts=30, deadline=None, backoff=Backoff(base=0.05, cap=0.5)
                ),
                retry_quota=RetryQuota(1_000_000),
            ) as client:
                # The first 150 go out together (a cold burst is concurrent) before any
                # client can know the server's rate; the share is that of the next 150.
                await asyncio.gather(
                    *(client.submit_restore(TARGET, restore(f"rl_{i:03d}")) for i in range(150))
                )
                before = Counter(sim.stats()["requestsByStatus"])
                await asyncio.gather(
                    *(
                        client.submit_restore(TARGET, restore(f"rl_{i:03d}"))
                        for i in range(150, 300)
                    )
                )
            statuses = Counter(sim.stats()["requestsByStatus"])
            statuses.subtract(before)
            total = sum(statuses.values())
            return statuses["429"] / total

    unthrottled = await share_of_429(ThrottleConfig(enabled=False))
    adaptive = await share_of_429(ThrottleConfig())
    assert adaptive < unthrottled * 0.6, (adaptive, unthrottled)


@on_virtual_time
async def test_cancelling_waits_and_submits_leaves_nothing_behind() -> None:
    async with Simulator(
        clock=CLOCK, seed=10, restore_seconds=30, faults="slow@restore=1.0:5"
    ) as sim:
        async with client_for(sim, poll=FAST_POLL) as client:
            tasks_before = set(asyncio.all_tasks())
            waits = [
                asyncio.create_task(client.wait_until_online(TARGET, f"w{i}", timeout=60))
                for i in range(20)
            ]
            held = RestoreSubmission.new(TARGET, restore("cut_short"))
            submit = asyncio.create_task(
                client.submit_restore(TARGET, restore("cut_short"), submission=held)
            )
            await asyncio.sleep(0.5)
            assert client.watchers.active_watchers == 1
            for task in (*waits, submit):
                task.cancel()
            results = await asyncio.gather(*waits, submit, return_exceptions=True)
            assert all(isinstance(r, asyncio.CancelledError) for r in results)
            assert client.watchers.active_watchers == 0
            assert held.outcome is SubmissionOutcome.UNKNOWN  # the POST was in flight
            await asyncio.sleep(0)
            leftover = set(asyncio.all_tasks()) - tasks_before - {asyncio.current_task()}
            # The simulator's own handler of the slow POST may still run; the client's none.
            client_side = [
                task
                for task in leftover
                if not task.done()
                and not task.get_coro().__qualname__.startswith("RequestHandler.")  # type: ignore[union-attr]
            ]
            assert not client_side
            connector = client.session._http.connector  # type: ignore[union-attr]
            assert isinstance(connector, aiohttp.TCPConnector)
        assert connector.closed
    gc.collect()


@on_virtual_time
async def test_a_finished_submission_is_not_kept_alive_by_its_requests_timers() -> None:
    # A request's timeout timer, cancelled when the answer came, stays queued in the
    # loop until the time it was set for, with a copy of the context it was set in:
    # the submission's request class. At 64 submissions in flight, the attempts that
    # class kept alive took the garbage collector from 1 to 11 collections per 1,000.
    async with Simulator(clock=CLOCK) as sim, client_for(sim) as client:
        submission = await client.submit_restore(TARGET, restore("timers_001"))
        assert submission.ok
        loop = asyncio.get_running_loop()
        lingering = [h for h in loop._scheduled if h.cancelled()]  # type: ignore[attr-defined]
        assert lingering, "the request's cancelled timeout is still queued (what this is about)"
        kept = [weakref.ref(submission), weakref.ref(submission.attempts[0])]
        del submission
        assert [ref() for ref in kept] == [None, None]
