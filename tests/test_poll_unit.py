"""The coalesced poller's own logic, on a scripted tenant list."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from ob_async._api.operations import OpenApi, Retrier
from ob_async._client import ObClient
from ob_async._clock import SYSTEM_CLOCK
from ob_async._http.credentials import Credentials
from ob_async._restore.outcome import RestoreState, RtoVerdict
from ob_async._restore.poll import WatcherPool, _InstanceWatcher, _Waiter
from ob_async._restore.poll_config import PollConfig
from ob_async._restore.retry import Backoff, RetryChecker, RetryPolicy, RetryQuota
from ob_async._wire.models import Page
from ob_async._wire.tenants import TenantDetail, TenantSummary
from ob_async.errors import ClientError, ServerError
from tests.support.fakes import FakeClock, FlakyPagesApi


class ListingApi:
    def __init__(self) -> None:
        self.statuses: dict[str, str] = {}
        self.unlisted: set[str] = set()
        """Tenants that exist but fall between the listing's pages."""
        self.sweeps = 0

    async def iter_tenants(
        self,
        instance_id: str,
        *,
        tenant_name: str | None = None,
        page_size: int = 100,
        retry: Retrier | None = None,
    ) -> AsyncIterator[TenantSummary]:
        self.sweeps += 1
        for name, status in list(self.statuses.items()):
            if name in self.unlisted and tenant_name != name:
                continue
            yield TenantSummary(tenant_id=f"id-{name}", tenant_name=name, status=status)

    async def describe_tenant(self, instance_id: str, tenant_id: str) -> TenantDetail:
        """What the poller asks before it calls a tenant missing from a listing gone."""
        name = tenant_id.removeprefix("id-")
        if name not in self.statuses:
            raise ClientError("no such tenant", status=404, error_code="TenantNotFound")
        return TenantDetail(
            tenant_id=tenant_id, tenant_name=name, status=self.statuses[name], description=None
        )


FAST = PollConfig(initial_interval=0.01, max_interval=0.02, jitter=0.0)
UNFILTERED = PollConfig(initial_interval=0.01, max_interval=0.02, jitter=0.0, name_filter=False)
"""Full listings: what a listing misses is missed whatever the waiting names."""


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


async def test_a_tenant_missing_from_a_listing_is_described_before_any_verdict() -> None:
    # Seen RESTORING, then missing from the listings (its page shifted) while it
    # still exists: the poller describes it, and waits on to ONLINE.
    api = ListingApi()
    pool = WatcherPool(api, config=UNFILTERED)  # type: ignore[arg-type]
    api.statuses["shifted"] = "RESTORING"
    wait = asyncio.create_task(pool.wait("ob1", "shifted", timeout=5))
    await asyncio.sleep(0.05)
    api.unlisted.add("shifted")
    await asyncio.sleep(0.1)
    api.statuses["shifted"] = "ONLINE"
    outcome = await wait
    assert outcome.state is RestoreState.ONLINE, outcome.error
    await pool.close()


async def test_a_tenant_never_seen_and_missing_is_looked_up_by_name() -> None:
    api = ListingApi()
    pool = WatcherPool(api, config=UNFILTERED)  # type: ignore[arg-type]
    api.statuses["between_pages"] = "ONLINE"
    api.unlisted.add("between_pages")  # never in a full listing
    outcome = await pool.wait("ob1", "between_pages", timeout=2)
    assert outcome.state is RestoreState.ONLINE, outcome.error
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
        instance_id: str,
        *,
        tenant_name: str | None = None,
        page_size: int = 100,
        retry: Retrier | None = None,
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
        instance_id: str,
        *,
        tenant_name: str | None = None,
        page_size: int = 100,
        retry: Retrier | None = None,
    ) -> AsyncIterator[TenantSummary]:
        raise ServerError("not implemented", status=501)
        yield  # pragma: no cover - makes this an async generator

    api.iter_tenants = refused  # type: ignore[method-assign]
    pool = WatcherPool(api, config=FAST)  # type: ignore[arg-type]
    outcome = await asyncio.wait_for(pool.wait("ob1", "a", timeout=5), 3)
    assert outcome.state is RestoreState.ERROR
    assert "501" in (outcome.error or "")
    await pool.close()


class TimedListingApi:
    """Tenants that come ONLINE at set moments of a fake clock; records each sweep's time."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.online_at: dict[str, float] = {}
        self.sweep_times: list[float] = []

    async def iter_tenants(
        self,
        instance_id: str,
        *,
        tenant_name: str | None = None,
        page_size: int = 100,
        retry: Retrier | None = None,
    ) -> AsyncIterator[TenantSummary]:
        now = self.clock.monotonic()
        self.sweep_times.append(now)
        for name, moment in list(self.online_at.items()):
            status = "ONLINE" if now >= moment else "RESTORING"
            yield TenantSummary(tenant_id=f"id-{name}", tenant_name=name, status=status)


DOUBLING = PollConfig(
    initial_interval=1.0, max_interval=8.0, multiplier=2.0, jitter=0.0, rto_margin=1.0
)


async def _until(clock: FakeClock, moment: float) -> None:
    while clock.monotonic() < moment:
        await asyncio.sleep(0)


async def test_a_late_waiter_is_polled_on_its_own_schedule_not_the_instances() -> None:
    clock = FakeClock()
    api = TimedListingApi(clock)
    pool = WatcherPool(api, config=DOUBLING, clock=clock)  # type: ignore[arg-type]
    api.online_at["old"] = 1000.0
    old = asyncio.create_task(pool.wait("ob1", "old", timeout=900))
    # The old waiter's sweeps back off: 1, 3, 7, 15, 23, ... (intervals 1, 2, 4, 8, 8).
    await _until(clock, 20.0)
    joined = clock.monotonic()
    api.online_at["late"] = joined + 1.5
    outcome = await pool.wait("ob1", "late", timeout=60, started_at=clock.now())
    assert outcome.state is RestoreState.ONLINE
    # It joined as the old waiter's sweep at 23 s began (RESTORING), and was looked at
    # again on its own schedule 2 s later (ONLINE), not at the 8-second pace the
    # instance's older waiter had backed off to.
    assert joined == 23.0
    assert api.sweep_times[-2:] == [23.0, 25.0]
    assert outcome.recovery_lower_seconds == 0.0
    assert outcome.recovery_upper_seconds == 2.0
    old.cancel()
    await pool.close()


async def test_polls_tighten_around_the_rto_so_that_the_verdict_is_known() -> None:
    clock = FakeClock()
    api = TimedListingApi(clock)
    pool = WatcherPool(api, config=DOUBLING, clock=clock)  # type: ignore[arg-type]
    api.online_at.update(early=8.5, late=10.5)
    early, late = await asyncio.gather(
        pool.wait("ob1", "early", timeout=60, rto_seconds=10.0),
        pool.wait("ob1", "late", timeout=60, rto_seconds=10.0),
    )
    # Without tightening, the sweeps at 7 and 15 would leave both uncertain
    # (ONLINE somewhere between 7 and 15 s, the RTO 10 s in between).
    assert 9.0 in api.sweep_times
    assert any(10.0 < moment < 10.1 for moment in api.sweep_times)
    assert early.recovery_upper_seconds == 9.0
    assert early.rto_verdict(10.0) is RtoVerdict.MET
    assert late.recovery_lower_seconds is not None
    assert late.recovery_lower_seconds >= 10.0
    assert late.rto_verdict(10.0) is RtoVerdict.MISSED
    await pool.close()


async def test_the_recovery_interval_brackets_the_true_moment_and_may_hold_the_rto() -> None:
    clock = FakeClock()
    api = TimedListingApi(clock)
    pool = WatcherPool(api, config=DOUBLING, clock=clock)  # type: ignore[arg-type]
    api.online_at["t"] = 4.2
    outcome = await pool.wait("ob1", "t", timeout=60)  # no RTO given: no tightening
    # Sweeps at 1, 3 (RESTORING) and 7 (ONLINE).
    assert api.sweep_times == [1.0, 3.0, 7.0]
    assert (outcome.recovery_lower_seconds, outcome.recovery_upper_seconds) == (3.0, 7.0)
    assert outcome.recovery_seconds == 7.0
    assert outcome.rto_verdict(5.0) is RtoVerdict.UNCERTAIN
    assert outcome.rto_verdict(7.0) is RtoVerdict.MET
    assert outcome.rto_verdict(3.0) is RtoVerdict.MISSED
    assert outcome.rto_verdict(None) is None
    await pool.close()


def one_failed_sweep_ends_it(
    api: OpenApi, policy: RetryPolicy, quota: RetryQuota | None = None
) -> WatcherPool:
    config = PollConfig(
        initial_interval=0.01, max_interval=0.02, jitter=0.0, max_consecutive_errors=1
    )
    return WatcherPool(api, config=config, retry_policy=policy, retry_quota=quota)


async def test_a_damaged_page_is_read_again_not_the_whole_sweep_given_up() -> None:
    # A sweep of an instance with many tenants reads many pages; when any damaged page
    # threw the whole sweep away, an API failing a few percent of requests let few
    # sweeps through, and max_consecutive_errors of them ended every wait as ERROR
    # (the chaos drill's 247 "unknown" items). Each page is retried on its own.
    api = FlakyPagesApi()
    quota = RetryQuota()
    pool = one_failed_sweep_ends_it(api, RetryPolicy(backoff=Backoff(base=0.001, cap=0.001)), quota)
    outcome = await asyncio.wait_for(pool.wait("ob1", "t449", timeout=5), 3)
    assert outcome.state is RestoreState.ONLINE, outcome.error
    assert api.requests == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert quota.available == quota.capacity  # each retry's cost refunded by its success
    await pool.close()


async def test_polling_retries_draw_on_the_clients_retry_budget() -> None:
    # An outage must not multiply the load through the poller either: with the
    # client's budget spent, a damaged page is not read again.
    api = FlakyPagesApi()
    pool = one_failed_sweep_ends_it(
        api, RetryPolicy(backoff=Backoff(base=0.001, cap=0.001)), RetryQuota(capacity=1)
    )
    outcome = await asyncio.wait_for(pool.wait("ob1", "t449", timeout=5), 3)
    assert outcome.state is RestoreState.ERROR
    assert api.requests == [1]
    await pool.close()


async def test_a_page_that_keeps_failing_fails_the_sweep_after_the_policys_attempts() -> None:
    api = FlakyPagesApi()
    api.requests.extend([1, 2, 3, 4, 5])  # the pages are fine; page 3 is not
    original = api.list_tenants

    async def page_three_broken(instance_id: str, **kwargs: object) -> Page[TenantSummary]:
        if kwargs.get("page_number") == 3:
            api.requests.append(3)
            raise ServerError("bad gateway", status=502)
        return await original(instance_id, **kwargs)  # type: ignore[arg-type]

    api.list_tenants = page_three_broken  # type: ignore[assignment, method-assign]
    pool = one_failed_sweep_ends_it(
        api, RetryPolicy(max_attempts=3, backoff=Backoff(base=0.001, cap=0.001))
    )
    outcome = await asyncio.wait_for(pool.wait("ob1", "t449", timeout=5), 3)
    assert outcome.state is RestoreState.ERROR
    assert "502" in (outcome.error or "")
    assert api.requests[5:] == [1, 2, 3, 3, 3]  # three attempts at page 3, none past it
    await pool.close()
