"""The coalesced poller's own logic, on a scripted tenant list."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from ob_async.client import ObClient
from ob_async.clock import SYSTEM_CLOCK
from ob_async.errors import ServerError
from ob_async.http.credentials import Credentials
from ob_async.restore.poll import PollConfig, RestoreState, WatcherPool, _InstanceWatcher, _Waiter
from ob_async.restore.retry import RetryChecker, RetryPolicy
from ob_async.wire.models import TenantSummary


class ListingApi:
    def __init__(self) -> None:
        self.statuses: dict[str, str] = {}
        self.sweeps = 0

    async def iter_tenants(
        self, instance_id: str, *, tenant_name: str | None = None, page_size: int = 100
    ) -> AsyncIterator[TenantSummary]:
        self.sweeps += 1
        for name, status in list(self.statuses.items()):
            yield TenantSummary(tenant_id=f"id-{name}", tenant_name=name, status=status)


FAST = PollConfig(initial_interval=0.01, max_interval=0.02, jitter=0.0)


async def test_waiter_joining_after_the_watcher_loop_ended_is_still_polled() -> None:
    # The race behind a hang seen in crash-and-resume runs: a sweep settles the last
    # waiter and the watcher's loop ends; before the pool drops the watcher, another
    # wait joins it. That waiter must be polled (a new loop), not left to hang.
    api = ListingApi()
    api.statuses.update(a="ONLINE", b="ONLINE")
    loop = asyncio.get_running_loop()
    watcher = _InstanceWatcher(api, "ob1", FAST, SYSTEM_CLOCK, lambda: 0.5)  # type: ignore[arg-type]

    def waiter(name: str) -> _Waiter:
        return _Waiter(
            tenant_name=name,
            started_at=SYSTEM_CLOCK.now(),
            deadline=SYSTEM_CLOCK.monotonic() + 5,
            appear_deadline=SYSTEM_CLOCK.monotonic() + 5,
            future=loop.create_future(),
        )

    first = waiter("a")
    watcher.add(first)
    assert watcher.task is not None
    await watcher.task  # the loop ended: no waiter left
    second = waiter("b")
    watcher.add(second)
    outcome = await asyncio.wait_for(second.future, timeout=3)
    assert outcome.state is RestoreState.ONLINE
    await watcher.stop()


async def test_failure_status_vanishing_and_timeout() -> None:
    api = ListingApi()
    pool = WatcherPool(api, config=FAST)  # type: ignore[arg-type]
    api.statuses.update(bad="RESTORE_FAILED", gone="RESTORING", slow="RESTORING")
    bad = asyncio.create_task(pool.wait("ob1", "bad", timeout=5))
    gone = asyncio.create_task(pool.wait("ob1", "gone", timeout=5))
    slow = asyncio.create_task(pool.wait("ob1", "slow", timeout=0.2))
    await asyncio.sleep(0.05)
    del api.statuses["gone"]
    assert (await bad).state is RestoreState.FAILED
    assert (await gone).state is RestoreState.VANISHED
    outcome = await slow
    assert outcome.state is RestoreState.TIMED_OUT
    assert outcome.last_status == "RESTORING"
    assert pool.active_watchers == 0
    await pool.close()


async def test_the_poller_judges_listing_failures_with_the_clients_retry_checker() -> None:
    # A client told that a 501 is transient must keep polling through one, as its
    # submitter retries through one; the poller used to build a default checker.
    policy = RetryPolicy(checker=RetryChecker(retryable_statuses=frozenset({501})))
    client = ObClient(
        "https://api.example.test",
        Credentials("AK", access_key_secret="sk"),
        "p1",
        retry_policy=policy,
        poll=FAST,
    )
    listings = 0

    async def iter_tenants(
        instance_id: str, *, tenant_name: str | None = None, page_size: int = 100
    ) -> AsyncIterator[TenantSummary]:
        nonlocal listings
        listings += 1
        if listings <= 2:
            raise ServerError("not implemented today", status=501)
        yield TenantSummary(tenant_id="id-a", tenant_name="a", status="ONLINE")

    client.iter_tenants = iter_tenants  # type: ignore[method-assign]
    outcome = await asyncio.wait_for(client.wait_until_online("ob1", "a", timeout=5), 3)
    assert outcome.state is RestoreState.ONLINE, outcome.error
    assert listings == 3
    await client.close()


async def test_a_listing_failure_the_checker_calls_permanent_ends_the_wait() -> None:
    api = ListingApi()

    async def refused(
        instance_id: str, *, tenant_name: str | None = None, page_size: int = 100
    ) -> AsyncIterator[TenantSummary]:
        raise ServerError("not implemented", status=501)
        yield  # pragma: no cover - makes this an async generator

    api.iter_tenants = refused  # type: ignore[method-assign]
    pool = WatcherPool(api, config=FAST)  # type: ignore[arg-type]
    outcome = await asyncio.wait_for(pool.wait("ob1", "a", timeout=5), 3)
    assert outcome.state is RestoreState.ERROR
    assert "501" in (outcome.error or "")
    await pool.close()
