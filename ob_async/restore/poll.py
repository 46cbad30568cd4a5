"""Waiting for restored tenants to come ONLINE, with coalesced polling.

The API has no task id and no push notification: a restore is followed by
re-reading its target tenant. Waiting on each tenant separately costs one
describe per tenant per interval; a drill of 1,000 restores would hammer the
API. Instead, waits on the same target instance share one :class:`_InstanceWatcher`
that lists the instance's tenants once per interval (all pages) and wakes every
waiter it has news for. The pieces:

- :class:`PollConfig`: the interval schedule (backoff with jitter, from
  sub-second for tests to the 90-minute waits of the Terraform provider), the
  statuses that mean failure, and how long a tenant may take to appear.
- :class:`RestoreOutcome`: what a wait ends with — the state, the last status
  seen and the timestamps from which the recovery time is measured.
- :class:`WatcherPool`: hands out one watcher per (instance, config), started by
  the first waiter and stopped when the last one leaves or is cancelled.

Verdicts: ``ONLINE`` is done; a status in ``failure_statuses`` is failed; a
tenant that was seen and then disappears has vanished (failed); anything else
is still in progress. Recovery times are measured on the client clock, from the
submission to the first sweep that saw the tenant ONLINE, so they carry up to
one poll interval of error (reported alongside).
"""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import random
from collections.abc import Callable
from datetime import datetime

import attrs

from ob_async.api.operations import OpenApi
from ob_async.clock import SYSTEM_CLOCK, Clock
from ob_async.errors import InvalidInputError, ObError
from ob_async.restore.retry import RetryChecker
from ob_async.validators import at_least_one, positive, proper_fraction
from ob_async.wire.models import ONLINE, TenantSummary

logger = logging.getLogger("ob_async.poll")

DEFAULT_FAILURE_STATUSES = frozenset(
    {"RESTORE_FAILED", "FAILED", "CREATE_FAILED", "ABNORMAL", "DELETING", "DELETED"}
)
"""Statuses taken as a failed restore. Only ``ONLINE`` is documented; these are
the failure-like values of the sister Alibaba API plus the simulator's."""


@attrs.frozen(kw_only=True)
class PollConfig:
    """How a watcher polls. Intervals grow from ``initial_interval`` by ``multiplier``
    up to ``max_interval``, each randomised by +/- ``jitter`` (a fraction)."""

    initial_interval: float = attrs.field(default=5.0, validator=positive)
    max_interval: float = attrs.field(default=30.0, validator=positive)
    multiplier: float = attrs.field(default=1.5, validator=positive)
    jitter: float = attrs.field(default=0.2, validator=proper_fraction)
    page_size: int = attrs.field(default=100, validator=at_least_one)
    failure_statuses: frozenset[str] = attrs.field(
        default=DEFAULT_FAILURE_STATUSES, converter=frozenset
    )
    appear_timeout: float = attrs.field(default=300.0, validator=positive)
    """A tenant not listed this long after its wait began is given up as vanished."""
    max_consecutive_errors: int = attrs.field(default=20, validator=at_least_one)
    name_filter: bool = True
    """List with the waiting names' common prefix as the ``tenantName`` filter. This
    assumes the server's fuzzy match returns every name containing the filter."""

    def interval(self, sweep: int, rng: Callable[[], float]) -> float:
        base = min(self.max_interval, self.initial_interval * self.multiplier**sweep)
        return base * (1.0 + self.jitter * (2.0 * rng() - 1.0))


class RestoreState(enum.StrEnum):
    ONLINE = "online"
    FAILED = "failed"
    VANISHED = "vanished"
    TIMED_OUT = "timed_out"
    ERROR = "error"
    """Polling itself failed (e.g. the credentials were refused)."""


@attrs.frozen(kw_only=True)
class RestoreOutcome:
    """How a wait for one restored tenant ended."""

    instance_id: str
    tenant_name: str
    state: RestoreState
    tenant_id: str | None = None
    last_status: str | None = None
    started_at: datetime
    """When the restore was submitted (or the wait began, if not told)."""
    first_seen_at: datetime | None = None
    finished_at: datetime
    polls: int = 0
    """Sweeps of the instance this wait lived through."""
    poll_interval: float | None = None
    """The interval before the deciding sweep: the measurement's uncertainty."""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.state is RestoreState.ONLINE

    @property
    def recovery_seconds(self) -> float | None:
        """Seconds from submission to ONLINE; None unless the tenant came ONLINE."""
        if self.state is not RestoreState.ONLINE:
            return None
        return (self.finished_at - self.started_at).total_seconds()


@attrs.define(eq=False)
class _Waiter:
    tenant_name: str
    started_at: datetime
    deadline: float
    appear_deadline: float
    future: asyncio.Future[RestoreOutcome]
    on_seen: Callable[[TenantSummary], None] | None = None
    polls: int = 0
    tenant_id: str | None = None
    last_status: str | None = None
    first_seen_at: datetime | None = None

    def finish(
        self, state: RestoreState, watcher: _InstanceWatcher, error: str | None = None
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
                finished_at=watcher.clock.now(),
                polls=self.polls,
                poll_interval=watcher.last_interval,
                error=error,
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
        checker: RetryChecker | None = None,
    ) -> None:
        self.api = api
        self.instance_id = instance_id
        self.config = config
        self.clock = clock
        self._rng = rng
        self._checker = checker or RetryChecker()
        self.waiters: dict[str, list[_Waiter]] = {}
        self.sweeps = 0
        self.last_interval: float | None = None
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
                await self._sweep()
                self._expire()
                if not self.waiters:
                    return
                interval = self.config.interval(self.sweeps - 1, self._rng)
                self.last_interval = interval
                await self._pause_until(self.clock.monotonic() + interval)
        except Exception as error:  # a dead watcher must not strand its waiters
            logger.exception("watcher of %s failed", self.instance_id)
            self._fail_all(f"internal error while polling {self.instance_id}: {error!r}")

    async def _pause_until(self, resume_at: float) -> None:
        """Sleep until the next sweep, waking early to time out waiters on their deadlines."""
        while self.waiters:
            pause = min(resume_at - self.clock.monotonic(), self._until_next_deadline())
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
        try:
            tenants = await self._list()
        except ObError as error:
            self._on_error(error)
            return
        self._consecutive_errors = 0
        now = self.clock.now()
        for name, waiters in list(self.waiters.items()):
            tenant = tenants.get(name)
            for waiter in list(waiters):
                waiter.polls += 1
                self._judge(waiter, tenant, now)
                if waiter.future.done():
                    self.remove(waiter)

    async def _list(self) -> dict[str, TenantSummary]:
        name_filter = None
        if self.config.name_filter:
            prefix = os.path.commonprefix(list(self.waiters))  # noqa: RUF071 - names, not paths
            name_filter = prefix if len(prefix) >= 3 else None
        return {
            tenant.tenant_name: tenant
            async for tenant in self.api.iter_tenants(
                self.instance_id, tenant_name=name_filter, page_size=self.config.page_size
            )
        }

    def _judge(self, waiter: _Waiter, tenant: TenantSummary | None, now: datetime) -> None:
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
            if waiter.on_seen is not None:
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
        transient = self._checker.is_retryable(error)
        logger.warning(
            "requestId=%s listing tenants of %s failed (%d in a row): %s",
            getattr(error, "request_id", None),
            self.instance_id,
            self._consecutive_errors,
            error,
        )
        if transient and self._consecutive_errors < self.config.max_consecutive_errors:
            return
        self._fail_all(f"polling {self.instance_id} failed: {error}")

    def _fail_all(self, reason: str) -> None:
        for waiters in list(self.waiters.values()):
            for waiter in list(waiters):
                waiter.finish(RestoreState.ERROR, self, reason)
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
        checker: RetryChecker | None = None,
    ) -> None:
        self.api = api
        self.config = config or PollConfig()
        self.clock = clock
        self._rng = rng
        self.checker = checker or RetryChecker()
        """Which listing failures are transient (the client's retry policy's checker)."""
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
    ) -> RestoreOutcome:
        """Wait until the tenant is ONLINE, failed, gone, or ``timeout`` seconds pass.

        ``on_seen`` is called once, when a sweep first finds the tenant.
        """
        if timeout <= 0:
            raise InvalidInputError(f"must be positive, got {timeout}", where="timeout")
        poll = config or self.config
        key = (instance_id, poll)
        watcher = self._watchers.get(key)
        if watcher is None:
            watcher = _InstanceWatcher(
                self.api, instance_id, poll, self.clock, self._rng, checker=self.checker
            )
            self._watchers[key] = watcher
        now = self.clock.monotonic()
        waiter = _Waiter(
            tenant_name=tenant_name,
            started_at=started_at or self.clock.now(),
            deadline=now + timeout,
            appear_deadline=now + poll.appear_timeout,
            future=asyncio.get_running_loop().create_future(),
            on_seen=on_seen,
        )
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
