"""Waiting for restored tenants to come ONLINE, with coalesced polling.

The API has no task id and no push notification: a restore is followed by
re-reading its target tenant. Waiting on each tenant separately costs one
describe per tenant per interval; a drill of 1,000 restores would hammer the
API. Instead, waits on the same target instance share one :class:`_InstanceWatcher`
that lists the instance's tenants once per interval (all pages) and wakes every
waiter it has news for. The pieces:

- :class:`WatcherPool`: hands out one watcher per (instance, config), started by
  the first waiter and stopped when the last one leaves or is cancelled.

Schedule: each waiter has its own interval schedule, counted from its own
start (a restore submitted late in a drill is first looked at
``initial_interval`` after its submission, not at the pace the instance's oldest
waiter has backed off to), and the watcher sweeps when the first waiter is due;
every sweep serves every waiter of the instance, so the cost stays one list call
per instance per sweep. Near a waiter's RTO the schedule tightens: one sweep
``rto_margin`` before the RTO and one just after it, so that whether the RTO was
met is rarely left open by the poll pace.

Failures: each read of a sweep (a listing page, a describe) is retried on its
own under the client's retry policy and budget. A sweep whose read still fails
teaches nothing and is made again after a pause; ``max_consecutive_errors`` of
them in a row, or one failure the policy calls permanent, end every wait on the
instance as ``ERROR``.

What a wait ends with, and how its recovery time is read, is
:mod:`ob_async._restore.outcome`; the schedule's knobs are :mod:`ob_async._restore.poll_config`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar

import attrs

from ob_async._api.operations import OpenApi
from ob_async._clock import SYSTEM_CLOCK, Clock
from ob_async._http.priority import Priority, request_class
from ob_async._restore.outcome import RestoreOutcome, RestoreState
from ob_async._restore.poll_config import PollConfig
from ob_async._restore.retry import RetryPolicy, RetryQuota
from ob_async._wire.tenants import ONLINE, TenantDetail, TenantSummary
from ob_async.errors import ClientError, InvalidInputError, ObError

T = TypeVar("T")

logger = logging.getLogger("ob_async.poll")

_RTO_SLACK = 0.005
"""Seconds after an RTO at which the sweep "just after" it is made (timers may fire early)."""


@attrs.define(eq=False)
class _Waiter:
    tenant_name: str
    started_at: datetime
    deadline: float
    appear_deadline: float
    future: asyncio.Future[RestoreOutcome]
    on_seen: Callable[[TenantSummary], None] | None = None
    joined: float = 0.0
    """Monotonic time at which the wait began."""
    due: float = 0.0
    """Monotonic time of this waiter's next look."""
    rto_at: float | None = None
    """Monotonic time at which its RTO is reached."""
    polls: int = 0
    tenant_id: str | None = None
    last_status: str | None = None
    first_seen_at: datetime | None = None
    last_not_online_at: datetime | None = None
    misses: int = 0
    """Listings in a row that did not show the tenant."""

    def finish(
        self,
        state: RestoreState,
        watcher: _InstanceWatcher,
        error: str | None = None,
        cause: ObError | None = None,
    ) -> None:
        if self.future.done():
            return
        self.future.set_result(
            RestoreOutcome(
                instance_id=watcher.instance_id,
                tenant_name=self.tenant_name,
                state=state,
                tenant_id=self.tenant_id,
                last_status=self.last_status,
                started_at=self.started_at,
                first_seen_at=self.first_seen_at,
                last_not_online_at=self.last_not_online_at,
                finished_at=watcher.clock.now(),
                polls=self.polls,
                poll_interval=watcher.last_interval,
                error=error,
                cause=cause,
            )
        )


class _InstanceWatcher:
    """One polling loop for one target instance, shared by all its waiters."""

    def __init__(
        self,
        api: OpenApi,
        instance_id: str,
        config: PollConfig,
        clock: Clock,
        rng: Callable[[], float],
        *,
        retry_policy: RetryPolicy | None = None,
        retry_quota: RetryQuota | None = None,
    ) -> None:
        self.api = api
        self.instance_id = instance_id
        self.config = config
        self.clock = clock
        self._rng = rng
        self._retry_policy = retry_policy or RetryPolicy()
        self._retry_quota = retry_quota
        self.waiters: dict[str, list[_Waiter]] = {}
        self.sweeps = 0
        self.last_interval: float | None = None
        self._last_sweep_at: float | None = None
        self._consecutive_errors = 0
        self._wakeup = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def add(self, waiter: _Waiter) -> None:
        self.waiters.setdefault(waiter.tenant_name, []).append(waiter)
        self._wakeup.set()
        # The loop ends by itself when a sweep settles its last waiter; a waiter that
        # arrives before the pool notices must start it again, or it would never be polled.
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(
                self._run(), name=f"ob-async watcher {self.instance_id}"
            )

    def remove(self, waiter: _Waiter) -> None:
        same_name = self.waiters.get(waiter.tenant_name)
        if same_name is None:
            return
        if waiter in same_name:
            same_name.remove(waiter)
        if not same_name:
            del self.waiters[waiter.tenant_name]

    @property
    def idle(self) -> bool:
        return not self.waiters

    async def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        try:
            while self.waiters:
                await self._pause_until_due()
                if not self.waiters:
                    return
                previous = self._last_sweep_at
                await self._sweep()
                if previous is not None:
                    self.last_interval = self.clock.monotonic() - previous
                self._expire()
        except Exception as error:  # a dead watcher must not strand its waiters
            logger.exception("watcher of %s failed", self.instance_id)
            self._fail_all(f"internal error while polling {self.instance_id}: {error!r}")

    def _next_due(self) -> float:
        return min(
            (waiter.due for waiters in self.waiters.values() for waiter in waiters),
            default=self.clock.monotonic(),
        )

    def _schedule(self, waiter: _Waiter, swept_at: float) -> None:
        """When to look at ``waiter`` next: its own backoff, tightened around its RTO."""
        due = swept_at + self.config.interval(waiter.polls, self._rng)
        if waiter.rto_at is not None:
            for mark in (waiter.rto_at - self.config.rto_margin, waiter.rto_at + _RTO_SLACK):
                if swept_at < mark < due:
                    due = mark
                    break
        waiter.due = due

    async def _pause_until_due(self) -> None:
        """Sleep until the first waiter is due (new waiters may move that), waking early
        to time out waiters on their deadlines."""
        while self.waiters:
            pause = min(self._next_due() - self.clock.monotonic(), self._until_next_deadline())
            if pause <= 0:
                return
            self._wakeup.clear()
            sleeper = asyncio.ensure_future(self.clock.sleep(pause))
            waker = asyncio.ensure_future(self._wakeup.wait())
            try:
                await asyncio.wait((sleeper, waker), return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (sleeper, waker):
                    task.cancel()
                await asyncio.gather(sleeper, waker, return_exceptions=True)
            self._expire()

    def _until_next_deadline(self) -> float:
        now = self.clock.monotonic()
        soonest = min(
            (
                waiter.deadline
                if waiter.first_seen_at is not None
                else min(waiter.deadline, waiter.appear_deadline)
                for waiters in self.waiters.values()
                for waiter in waiters
            ),
            default=now,
        )
        return max(0.0, soonest - now)

    async def _sweep(self) -> None:
        self.sweeps += 1
        swept_at = self._last_sweep_at = self.clock.monotonic()
        began = self.clock.now()
        try:
            with request_class(Priority.STATE):
                tenants = await self._list()
        except ObError as error:
            self._on_error(error)
            # Nothing was learnt: look again after a pause (at least what the server asked).
            retry_at = swept_at + max(
                self.config.initial_interval, getattr(error, "retry_after", None) or 0.0
            )
            for waiters in self.waiters.values():
                for waiter in waiters:
                    waiter.due = max(waiter.due, retry_at)
            return
        self._consecutive_errors = 0
        now = self.clock.now()
        for name, waiters in list(self.waiters.items()):
            tenant: TenantSummary | TenantDetail | None = tenants.get(name)
            for waiter in list(waiters):
                if waiter.joined > swept_at:
                    continue  # it joined while this sweep was under way: its own comes later
                waiter.polls += 1
                if tenant is None and waiter.tenant_id is not None:
                    # A miss in a list read is no proof that it is gone: describe it.
                    try:
                        tenant = await self._confirm_gone(waiter)
                    except ObError as error:
                        logger.warning(
                            "tenant %s missing from the list of %s, and describing it "
                            "failed: %s; looking again next sweep",
                            name,
                            self.instance_id,
                            error,
                        )
                        self._schedule(waiter, swept_at)
                        continue
                self._judge(waiter, tenant, now, began)
                if waiter.future.done():
                    self.remove(waiter)
                else:
                    self._schedule(waiter, swept_at)

    async def _list(self) -> dict[str, TenantSummary]:
        name_filter = None
        if self.config.name_filter:
            prefix = os.path.commonprefix(list(self.waiters))  # noqa: RUF071 - names, not paths
            name_filter = prefix if len(prefix) >= 3 else None
        found = {
            tenant.tenant_name: tenant
            async for tenant in self.api.iter_tenants(
                self.instance_id,
                tenant_name=name_filter,
                page_size=self.config.page_size,
                retry=self._retrying,
            )
        }
        # Tenants created or deleted while the pages are read (a drill's own clean-up
        # does that) shift the offset pages, and a tenant can fall between two, sweep
        # after sweep. One never seen and missing again is looked up by exact name.
        for name, waiters in self.waiters.items():
            if name in found or any(w.tenant_id is not None for w in waiters):
                continue
            if max(w.misses for w in waiters) < 1:
                continue
            async for tenant in self.api.iter_tenants(
                self.instance_id, tenant_name=name, retry=self._retrying
            ):
                if tenant.tenant_name == name:
                    found[name] = tenant
        for name, waiters in self.waiters.items():
            for waiter in waiters:
                waiter.misses = 0 if name in found else waiter.misses + 1
        return found

    async def _confirm_gone(self, waiter: _Waiter) -> TenantDetail | None:
        """A tenant seen before and missing from a listing, described by its id: its
        detail, or None when the server says it is gone. Raises the ObError of a
        read that failed (no verdict can be drawn from it)."""
        assert waiter.tenant_id is not None
        tenant_id = waiter.tenant_id
        try:
            return await self._retrying(
                lambda: self.api.describe_tenant(self.instance_id, tenant_id)
            )
        except ClientError as error:
            if error.status == 404:
                return None
            raise

    async def _retrying(self, operation: Callable[[], Awaitable[T]]) -> T:
        # Each read is retried on its own, under the client's policy and budget: a
        # sweep of many pages against an API that fails a few percent of requests
        # would otherwise rarely get through whole.
        return await self._retry_policy.call(
            operation, quota=self._retry_quota, clock=self.clock, rng=self._rng
        )

    def _judge(
        self,
        waiter: _Waiter,
        tenant: TenantSummary | TenantDetail | None,
        now: datetime,
        began: datetime,
    ) -> None:
        if tenant is None or tenant.status != ONLINE:
            waiter.last_not_online_at = began
        if tenant is None:
            if waiter.first_seen_at is not None:
                waiter.finish(
                    RestoreState.VANISHED,
                    self,
                    f"tenant {waiter.tenant_name!r} disappeared from {self.instance_id} "
                    f"(last status {waiter.last_status})",
                )
            return
        if waiter.first_seen_at is None:
            waiter.first_seen_at = now
            if waiter.on_seen is not None and isinstance(tenant, TenantSummary):
                waiter.on_seen(tenant)
        waiter.tenant_id = tenant.tenant_id
        waiter.last_status = tenant.status
        if tenant.status == ONLINE:
            waiter.finish(RestoreState.ONLINE, self)
        elif tenant.status in self.config.failure_statuses:
            waiter.finish(
                RestoreState.FAILED,
                self,
                f"tenant {waiter.tenant_name!r} reached failure status {tenant.status}",
            )

    def _on_error(self, error: ObError) -> None:
        self._consecutive_errors += 1
        transient = self._retry_policy.checker.is_retryable(error)
        logger.warning(
            "requestId=%s listing tenants of %s failed (%d in a row): %s",
            getattr(error, "request_id", None),
            self.instance_id,
            self._consecutive_errors,
            error,
        )
        if transient and self._consecutive_errors < self.config.max_consecutive_errors:
            return
        self._fail_all(f"polling {self.instance_id} failed: {error}", error)

    def _fail_all(self, reason: str, cause: ObError | None = None) -> None:
        for waiters in list(self.waiters.values()):
            for waiter in list(waiters):
                waiter.finish(RestoreState.ERROR, self, reason, cause)
                self.remove(waiter)

    def _expire(self) -> None:
        now = self.clock.monotonic()
        for waiters in list(self.waiters.values()):
            for waiter in list(waiters):
                if now >= waiter.deadline:
                    waiter.finish(
                        RestoreState.TIMED_OUT,
                        self,
                        f"tenant {waiter.tenant_name!r} not ONLINE in time "
                        f"(last status {waiter.last_status or 'never seen'})",
                    )
                elif waiter.first_seen_at is None and now >= waiter.appear_deadline:
                    waiter.finish(
                        RestoreState.VANISHED,
                        self,
                        f"tenant {waiter.tenant_name!r} never appeared in {self.instance_id}",
                    )
                if waiter.future.done():
                    self.remove(waiter)


class WatcherPool:
    """The watchers of one client, one per (instance, poll config)."""

    def __init__(
        self,
        api: OpenApi,
        *,
        config: PollConfig | None = None,
        clock: Clock = SYSTEM_CLOCK,
        rng: Callable[[], float] = random.random,
        retry_policy: RetryPolicy | None = None,
        retry_quota: RetryQuota | None = None,
    ) -> None:
        self.api = api
        self.config = config or PollConfig()
        self.clock = clock
        self._rng = rng
        self.retry_policy = retry_policy or RetryPolicy()
        """How each read of a sweep is retried and which failures are transient (the
        client's retry policy, so that polling and submitting agree)."""
        self.retry_quota = retry_quota
        """The client's retry budget, which polling retries draw on too."""
        self._watchers: dict[tuple[str, PollConfig], _InstanceWatcher] = {}

    @property
    def active_watchers(self) -> int:
        return len(self._watchers)

    async def wait(
        self,
        instance_id: str,
        tenant_name: str,
        *,
        timeout: float,
        config: PollConfig | None = None,
        started_at: datetime | None = None,
        on_seen: Callable[[TenantSummary], None] | None = None,
        rto_seconds: float | None = None,
    ) -> RestoreOutcome:
        """Wait until the tenant is ONLINE, failed, gone, or ``timeout`` seconds pass.

        ``on_seen`` is called once, when a sweep first finds the tenant. With
        ``rto_seconds`` (counted from ``started_at``) the polls tighten around the RTO.
        """
        if timeout <= 0:
            raise InvalidInputError(f"must be positive, got {timeout}", where="timeout")
        poll = config or self.config
        key = (instance_id, poll)
        watcher = self._watchers.get(key)
        if watcher is None:
            watcher = _InstanceWatcher(
                self.api,
                instance_id,
                poll,
                self.clock,
                self._rng,
                retry_policy=self.retry_policy,
                retry_quota=self.retry_quota,
            )
            self._watchers[key] = watcher
        now = self.clock.monotonic()
        started = started_at or self.clock.now()
        rto_at = None
        if rto_seconds is not None:
            rto_at = now + rto_seconds - (self.clock.now() - started).total_seconds()
        waiter = _Waiter(
            tenant_name=tenant_name,
            started_at=started,
            deadline=now + timeout,
            appear_deadline=now + poll.appear_timeout,
            future=asyncio.get_running_loop().create_future(),
            on_seen=on_seen,
            joined=now,
            due=now + poll.interval(0, self._rng),
            rto_at=rto_at,
        )
        if rto_at is not None and now < rto_at - poll.rto_margin < waiter.due:
            waiter.due = rto_at - poll.rto_margin
        watcher.add(waiter)
        try:
            return await waiter.future
        finally:
            watcher.remove(waiter)
            if watcher.idle and self._watchers.get(key) is watcher:
                del self._watchers[key]
                await watcher.stop()

    async def close(self) -> None:
        watchers, self._watchers = list(self._watchers.values()), {}
        for watcher in watchers:
            for waiters in list(watcher.waiters.values()):
                for waiter in waiters:
                    if not waiter.future.done():
                        waiter.future.cancel()
            await watcher.stop()
