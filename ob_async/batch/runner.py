"""The batch runner: many restores, bounded, streamed, stoppable, and fully accounted for.

:class:`BatchRunner` takes any iterable or async iterable of :class:`RestoreItem`
and consumes it lazily. For each item it submits (through
:meth:`ObClient.submit_restore`: retried, never twice), waits for ONLINE
(coalesced polling), optionally deletes the tenant again, and yields an
:class:`ItemResult` in completion order.

Parallelism is bounded on two levels, as :class:`BatchLimits` says: submits in
flight (HTTP), and restores in progress per target instance (the server's
capacity); a submits-per-second cap is optional.

Look-ahead, and why one full instance stalls no other. An item is pulled from
the feed while fewer than :attr:`BatchLimits.lookahead` pulled items are still
waiting to be sent (for their instance's capacity, then for a submit permit).
A waiting item holds no submit permit, so restores to an instance with free
capacity go out while another instance is full, as long as the full instance's
waiting items do not fill the whole look-ahead: the feed stops only once
``lookahead`` items in a row wait for instances at capacity. A batch therefore
holds at most ``lookahead`` waiting items plus the restores in progress,
however long the feed (a 100,000-item plan is never held at once).

Stopping: :meth:`BatchRunner.stop` (a first Ctrl-C) pulls no new item, cancels
every item that has not sent its restore request yet (waiting for a permit or
the rate cap, or between two attempts: no new POST leaves after a stop) and
lets the requests already on the wire finish; :meth:`BatchRunner.abort` (a
second one) cancels the rest too. Every item pulled still ends as exactly one
result: ``not_started`` when nothing of it was sent, ``interrupted`` (with what
is known of its submission) when something was.

An item source that raises stops the batch the same way: the items it gave are
finished and yielded, then :meth:`BatchRunner.run` raises the source's error,
so that a failing source never passes for a short one.

An optional :class:`BatchObserver` hears every state change; the drill's
journal and progress display are observers. ``submitting`` is awaited before
the first request of an item is sent, so a write-ahead journal can make the
record durable first.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Protocol

import attrs

from ob_async.batch.bottleneck import Bottleneck, SlotTime
from ob_async.client import ObClient
from ob_async.data.results import DataVerdict
from ob_async.data.spec import DataSpec
from ob_async.data.verify import DataVerifier
from ob_async.errors import ClientError, InvalidInputError, ObError
from ob_async.http.throttle import Priority, request_class
from ob_async.restore.poll import PollConfig, RestoreOutcome, RestoreState, RtoVerdict
from ob_async.restore.ratelimit import RateCap
from ob_async.restore.retry import RetryPolicy
from ob_async.restore.runwide import RunWideError, run_wide
from ob_async.restore.submit import RestoreSubmission, SubmissionOutcome
from ob_async.restore.validate import check_restored
from ob_async.stats import nearest_rank
from ob_async.validators import NumberCheck, at_least_one, positive_or_none
from ob_async.wire.models import RestoreRequest, TenantSummary

logger = logging.getLogger("ob_async.batch")


@attrs.frozen(kw_only=True)
class RestoreItem:
    """One restore of a batch. ``key`` identifies it in results and journals."""

    key: str
    instance_id: str
    """The instance the restore call is addressed to (the seed posts to the target)."""
    request: RestoreRequest
    request_id: str | None = None
    """Fixed requestId (derived from the run and item by drills, so a resume reuses it)."""
    rto_seconds: float | None = None
    """Recovery-time objective: the result misses it when ONLINE takes longer."""
    reconcile_first: bool = False
    """A previous run may have submitted this item: look before sending."""
    submitted_at: datetime | None = None
    """When a previous run first submitted it: recovery time counts from there."""
    data: DataSpec | None = None
    """What to verify in the restored tenant's data once it is ONLINE (needs a verifier)."""


class ItemState(enum.StrEnum):
    """How an item ended: the one set of state names of batches, drills and their reports."""

    ONLINE = "online"
    SUBMITTED = "submitted"
    """Submitted and not waited for (``wait=False``)."""
    RESTORE_FAILED = "restore_failed"
    TIMED_OUT = "timed_out"
    CONFLICT = "conflict"
    SUBMIT_FAILED = "submit_failed"
    UNKNOWN = "unknown"
    """The restore may exist; it could not be verified."""
    INTERRUPTED = "interrupted"
    NOT_STARTED = "not_started"
    """Nothing was sent (or nothing that could have created it): the batch stopped first."""
    VALIDATION_FAILED = "validation_failed"
    """ONLINE, but not the tenant asked for (see :mod:`ob_async.restore.validate`)."""
    PREFLIGHT_FAILED = "preflight_failed"
    """Never sent: a drill's pre-flight check (window, free name) refused it."""
    PLANNED = "planned"
    """Never sent: a drill's dry run, with its pre-flight checks passed."""


GOOD_STATES = frozenset({ItemState.ONLINE, ItemState.SUBMITTED})


@attrs.frozen(kw_only=True)
class Cleanup:
    """What deleting a restored tenant after the drill came to."""

    tenant_id: str
    deleted: bool
    at: datetime
    error: str | None = None


@attrs.frozen(kw_only=True)
class ItemResult:
    item: RestoreItem
    state: ItemState
    submission: RestoreSubmission | None = None
    restore: RestoreOutcome | None = None
    cleanup: Cleanup | None = None
    error: str | None = None
    data: DataVerdict | None = None
    """The restored data's checks and measured RPO (items with a data spec)."""

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def recovery_seconds(self) -> float | None:
        return self.restore.recovery_seconds if self.restore is not None else None

    @property
    def rto_verdict(self) -> RtoVerdict | None:
        """Met, missed, or uncertain (the RTO falls inside the recovery interval)."""
        if self.restore is None:
            return None
        return self.restore.rto_verdict(self.item.rto_seconds)

    @property
    def met_rto(self) -> bool | None:
        """Whether it was seen ONLINE within its RTO target (an uncertain verdict is not
        proof of that); None without a target or when it never came ONLINE (that failure
        is its state's, not the RTO's)."""
        verdict = self.rto_verdict
        return None if verdict is None else verdict is RtoVerdict.MET

    @property
    def ok(self) -> bool:
        return (
            self.state in GOOD_STATES
            and self.met_rto is not False
            and (self.data is None or self.data.ok)
        )


class FailurePolicy(enum.StrEnum):
    COLLECT_ALL = "collect_all"
    FAIL_FAST = "fail_fast"
    STOP_AFTER = "stop_after"


at_least_one_or_none = NumberCheck(
    lambda value: value >= 1, "must be at least 1", integer=True, optional=True
)


@attrs.frozen(kw_only=True)
class BatchLimits:
    max_submits: int = attrs.field(default=16, validator=at_least_one)
    """HTTP submissions in flight at once."""
    max_restoring_per_instance: int = attrs.field(default=64, validator=at_least_one)
    """Restores in progress (submitted, not yet final) per target instance."""
    submits_per_second: float | None = attrs.field(default=None, validator=positive_or_none)
    burst: int = attrs.field(default=1, validator=at_least_one)
    lookahead: int | None = attrs.field(default=None, validator=at_least_one_or_none)
    """Items pulled ahead of being sent (see the module docstring); default 4 x max_submits."""

    @property
    def items_ahead(self) -> int:
        """How many pulled items may wait to be sent: ``lookahead`` or its default."""
        return self.lookahead if self.lookahead is not None else 4 * self.max_submits


class BatchObserver(Protocol):
    async def submitting(self, item: RestoreItem, submission: RestoreSubmission) -> None:
        """Awaited before the first request of the item is sent."""

    async def submitted(self, item: RestoreItem, submission: RestoreSubmission) -> None:
        """The submission reached a final outcome."""

    def seen(self, item: RestoreItem, tenant: TenantSummary) -> None:
        """A poll found the target tenant for the first time."""

    async def finished(self, result: ItemResult) -> None:
        """The item is final (after its clean-up, if any)."""


class _NoObserver:
    async def submitting(self, item: RestoreItem, submission: RestoreSubmission) -> None:
        return None

    async def submitted(self, item: RestoreItem, submission: RestoreSubmission) -> None:
        return None

    def seen(self, item: RestoreItem, tenant: TenantSummary) -> None:
        return None

    async def finished(self, result: ItemResult) -> None:
        return None


@attrs.define
class BatchSummary:
    """Running totals of a batch."""

    started: int = 0
    finished: int = 0
    by_state: Counter[str] = attrs.field(factory=Counter)
    rto_missed: int = 0
    recovery_seconds: list[float] = attrs.field(factory=list)

    def add(self, result: ItemResult) -> None:
        self.finished += 1
        self.by_state[result.state.value] += 1
        if result.met_rto is False:
            self.rto_missed += 1
        if result.recovery_seconds is not None:
            self.recovery_seconds.append(result.recovery_seconds)

    @property
    def failed(self) -> int:
        return (
            sum(count for state, count in self.by_state.items() if state not in GOOD_STATES)
            + self.rto_missed
        )

    def percentile(self, fraction: float) -> float | None:
        """Nearest-rank percentile of the measured recovery times."""
        return nearest_rank(sorted(self.recovery_seconds), fraction)


class BatchRunner:
    """Runs restore items against one client; see the module docstring."""

    def __init__(
        self,
        client: ObClient,
        *,
        limits: BatchLimits | None = None,
        wait: bool = True,
        timeout: float = 90 * 60,
        poll: PollConfig | None = None,
        policy: RetryPolicy | None = None,
        cleanup: bool = False,
        validate: bool = True,
        failure_policy: FailurePolicy = FailurePolicy.COLLECT_ALL,
        max_failures: int | None = None,
        observer: BatchObserver | None = None,
        verifier: DataVerifier | None = None,
    ) -> None:
        if failure_policy is FailurePolicy.STOP_AFTER and (max_failures or 0) < 1:
            raise InvalidInputError("stop_after needs max_failures >= 1", where="max_failures")
        self.client = client
        self.limits = limits or BatchLimits()
        self.wait = wait
        self.timeout = timeout
        self.poll = poll
        self.policy = policy
        self.cleanup = cleanup
        self.validate = validate
        self.failure_policy = failure_policy
        self.max_failures = max_failures
        self.observer: BatchObserver = observer or _NoObserver()
        self.verifier = verifier
        self.summary = BatchSummary()
        self._stopping = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        # Items whose restore request has not been (re)sent: a stop cancels them.
        self._unsent: dict[asyncio.Task[None], RestoreSubmission] = {}
        self._started: set[asyncio.Task[None]] = set()
        self.stop_reason: str | None = None
        """Why the batch stopped (given to :meth:`stop`), once it has."""
        self.run_wide_error: RunWideError | None = None
        """The run-wide failure that stopped the batch, if one did (``run`` raises it)."""
        self.source_error: Exception | None = None
        """Why the item source failed, if it did (``run`` raises it at the end)."""
        self._instance_slots: dict[str, asyncio.Semaphore] = {}
        self._cap = (
            RateCap(self.limits.submits_per_second, burst=self.limits.burst, clock=client.clock)
            if self.limits.submits_per_second
            else None
        )
        self._time = SlotTime()
        self._submit_waits_before = client.limiter.waited[Priority.SUBMIT]

    def bottleneck(self) -> Bottleneck:
        """What limited the run so far (see :mod:`ob_async.batch.bottleneck`)."""
        limiter = self.client.limiter
        self._time.api += limiter.waited[Priority.SUBMIT] - self._submit_waits_before
        self._submit_waits_before = limiter.waited[Priority.SUBMIT]
        return Bottleneck.of(self._time, api_rate=limiter.rate)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self, reason: str = "the batch was stopped") -> None:
        """Soft stop: send nothing new; what is on the wire finishes and is recorded.

        An item waiting for a permit or the rate cap, or waiting to retry, is
        cancelled: releasing it would send one more restore request after the stop.
        """
        if not self._stopping.is_set():
            logger.warning("stopping: no new restores will be submitted")
            self.stop_reason = reason
        self._stopping.set()
        for task, submission in list(self._unsent.items()):
            submission.halted = True  # an attempt on the wire may finish; none follows it
            if not _on_the_wire(submission):
                task.cancel()

    def abort(self, reason: str = "the batch was aborted") -> None:
        """Hard stop: cancel everything in flight; each still ends as a result."""
        self.stop(reason)
        for task in list(self._tasks):
            if task in self._started:  # one not started yet ends by itself, not_started
                task.cancel()

    async def run(
        self, items: Iterable[RestoreItem] | AsyncIterable[RestoreItem]
    ) -> AsyncIterator[ItemResult]:
        """Run every item (until stopped) and yield results in completion order."""
        results: asyncio.Queue[ItemResult | None] = asyncio.Queue()
        feeder = asyncio.create_task(self._feed(_aiter(items), results))
        try:
            while True:
                result = await results.get()
                if result is None:
                    break
                self.summary.add(result)
                self._apply_failure_policy()
                self._stop_if_run_wide(result)
                yield result
            if self.source_error is not None:
                raise self.source_error
            if self.run_wide_error is not None:
                raise self.run_wide_error
        finally:
            if not feeder.done():
                feeder.cancel()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(feeder, *self._tasks, return_exceptions=True)

    async def _feed(
        self, items: AsyncIterator[RestoreItem], results: asyncio.Queue[ItemResult | None]
    ) -> None:
        ahead = asyncio.Semaphore(self.limits.items_ahead)
        permits = asyncio.Semaphore(self.limits.max_submits)
        try:
            while not self._stopping.is_set():
                await ahead.acquire()
                if self._stopping.is_set():  # a stop may come while we waited
                    ahead.release()
                    break
                try:
                    item = await anext(items)
                except StopAsyncIteration:
                    ahead.release()
                    break
                except Exception as error:  # the source failed: not the end of the items
                    ahead.release()
                    logger.warning("the items of the batch could not be read: %s", error)
                    self.source_error = error
                    self.stop(f"the items could not be read: {error}")
                    break
                self.summary.started += 1
                submission = RestoreSubmission.new(
                    item.instance_id, item.request, request_id=item.request_id
                )
                submission.first_attempt_at = item.submitted_at
                task = asyncio.create_task(
                    self._run_item(item, submission, ahead, permits, results)
                )
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
        finally:
            results.put_nowait(None)

    def _stop_if_run_wide(self, result: ItemResult) -> None:
        """A run-wide failure (refused credentials, an unreachable endpoint) would fail
        every item the same way: stop everything at the first, and say it once."""
        if self.run_wide_error is not None:
            return
        error = run_wide(result.submission.error if result.submission else None) or run_wide(
            result.restore.cause if result.restore else None
        )
        if error is not None:
            self.run_wide_error = error
            self.abort(str(error))

    def _apply_failure_policy(self) -> None:
        limit = {
            FailurePolicy.FAIL_FAST: 1,
            FailurePolicy.STOP_AFTER: self.max_failures,
        }.get(self.failure_policy)
        if limit is not None and self.summary.failed >= limit:
            self.stop(
                f"stopped submitting after {self.summary.failed} failure(s) "
                f"({self.failure_policy.value})"
            )

    def _slot(self, instance_id: str) -> asyncio.Semaphore:
        slot = self._instance_slots.get(instance_id)
        if slot is None:
            slot = asyncio.Semaphore(self.limits.max_restoring_per_instance)
            self._instance_slots[instance_id] = slot
        return slot

    async def _run_item(
        self,
        item: RestoreItem,
        submission: RestoreSubmission,
        ahead: asyncio.Semaphore,
        permits: asyncio.Semaphore,
        results: asyncio.Queue[ItemResult | None],
    ) -> None:
        waiting = True
        try:
            # A task a stop finds not yet started is left to run, to end here: one
            # cancelled before its first step would never report its item.
            self._track(submission)
            if self._stopping.is_set():
                await self._finish(self._stopped(item, submission, None), results)
                return
            # The instance's capacity first, holding no submit permit, so that a full
            # instance keeps no permit from restores to other instances.
            taken = self.client.clock.monotonic()
            async with self._slot(item.request.target_instance_id):
                slotted = self.client.clock.monotonic()
                async with permits:
                    permitted = self.client.clock.monotonic()
                    ahead.release()
                    waiting = False
                    if self._cap is not None:
                        await self._cap.acquire()
                        self._time.rate += self.client.clock.monotonic() - permitted
                    # Checked after the rate cap's wait: a stop (or a failure policy)
                    # may come while an item waits for its turn to be sent.
                    if self._stopping.is_set():
                        result = self._stopped(item, submission, None)
                        await self._finish(result, results)
                        return
                    with self._timed(taken, slotted, permitted):
                        await self.observer.submitting(item, submission)
                        await self.client.submit_restore(
                            item.instance_id,
                            item.request,
                            submission=submission,
                            policy=self.policy,
                            reconcile_first=item.reconcile_first,
                        )
                        self._time.api += sum(
                            attempt.wait_after or 0.0
                            for attempt in submission.attempts
                            if attempt.status == 429
                        )
                    self._sent()
                await self.observer.submitted(item, submission)
                if submission.halted and not submission.submitted:
                    result = self._stopped(item, submission, None)
                elif not submission.submitted or not self.wait:
                    result = result_of(item, submission, None, None)
                else:
                    restore = submission.restore = await self.client.wait_until_online(
                        submission.target_instance_id,
                        submission.target_tenant_name,
                        timeout=self.timeout,
                        poll=self.poll,
                        started_at=submission.first_attempt_at,
                        on_seen=lambda tenant: self.observer.seen(item, tenant),
                        rto_seconds=item.rto_seconds,
                    )
                    result = await self._settle(item, submission, restore)
        except asyncio.CancelledError:
            await self._finish(self._stopped(item, submission, submission.restore), results)
            raise
        except ObError as error:
            result = ItemResult(
                item=item, state=ItemState.UNKNOWN, submission=submission, error=str(error)
            )
        except Exception as error:  # a bug must not make a submitted restore vanish
            logger.exception(
                "requestId=%s item %s failed unexpectedly", submission.request_id, item.key
            )
            result = ItemResult(
                item=item,
                state=ItemState.UNKNOWN,
                submission=submission,
                error=f"internal error: {error!r}",
            )
        finally:
            self._sent()
            if waiting:
                ahead.release()
        await self._finish(result, results)

    def _track(self, submission: RestoreSubmission) -> None:
        """The current item's submission is under way: a stop cancels it until it sends."""
        task = asyncio.current_task()
        if task is not None:
            self._unsent[task] = submission
            self._started.add(task)
            task.add_done_callback(self._started.discard)

    def _sent(self) -> None:
        """The current item's submission is over: a stop has nothing of it to cancel."""
        task = asyncio.current_task()
        if task is not None:
            self._unsent.pop(task, None)

    @contextmanager
    def _timed(self, taken: float, slotted: float, permitted: float) -> Iterator[None]:
        """Count where an item's wait to be submitted went (for :meth:`bottleneck`)."""
        self._time.capacity += slotted - taken
        self._time.permit_wait += permitted - slotted
        try:
            yield
        finally:
            self._time.held += self.client.clock.monotonic() - permitted

    def _stopped(
        self, item: RestoreItem, submission: RestoreSubmission, restore: RestoreOutcome | None
    ) -> ItemResult:
        """The result of an item a stop or an abort cut short."""
        if not _may_exist(item, submission):
            why = f"{self.stop_reason or 'stopped'}, while {_phase(submission, None)}"
            return _not_started(item, submission, why)
        return ItemResult(
            item=item,
            state=ItemState.INTERRUPTED,
            submission=submission,
            restore=restore,
            error=f"interrupted while {_phase(submission, restore)}",
        )

    async def _finish(self, result: ItemResult, results: asyncio.Queue[ItemResult | None]) -> None:
        try:
            await asyncio.shield(self.observer.finished(result))
        finally:
            results.put_nowait(result)

    async def _validate(self, item: RestoreItem, restore: RestoreOutcome) -> str | None:
        """Why the tenant restored ONLINE is not the one asked for, or None; raises the
        ObError of a read that failed."""
        if restore.state is not RestoreState.ONLINE or restore.tenant_id is None:
            return None
        instance_id, tenant_id = restore.instance_id, restore.tenant_id
        with request_class(Priority.STATE):  # it decides the item's state
            detail = await self.client.retrying(
                lambda: self.client.describe_tenant(instance_id, tenant_id),
                policy=self.policy,
            )
        problems = check_restored(item.request, detail)
        return "restored tenant differs: " + "; ".join(problems) if problems else None

    async def _settle(
        self, item: RestoreItem, submission: RestoreSubmission, restore: RestoreOutcome
    ) -> ItemResult:
        """Validate, verify the data, clean up: the result of a restore that ended."""
        try:
            problem = await self._validate(item, restore) if self.validate else None
        except ObError as error:
            # What could not be read is not known to differ: unknown, which a resume
            # reconciles, never validation_failed (a final state).
            return ItemResult(
                item=item,
                state=ItemState.UNKNOWN,
                submission=submission,
                restore=restore,
                error=f"ONLINE, but it could not be read back to validate it: {error}",
            )
        verdict = None if problem else await self._verify_data(item, submission, restore)
        # A tenant that is not what was asked for, or whose data fails, stays for inspection.
        keep = problem is not None or (verdict is not None and not verdict.ok)
        cleanup = await self._cleanup(restore) if self.cleanup and not keep else None
        return attrs.evolve(result_of(item, submission, restore, cleanup, problem), data=verdict)

    async def _verify_data(
        self, item: RestoreItem, submission: RestoreSubmission, restore: RestoreOutcome
    ) -> DataVerdict | None:
        """Check the restored data, within what is left of the item's timeout."""
        if (
            item.data is None
            or self.verifier is None
            or restore.state is not RestoreState.ONLINE
            or restore.tenant_id is None
        ):
            return None
        started = submission.first_attempt_at or restore.started_at
        left = self.timeout - (self.client.clock.now() - started).total_seconds()
        return await self.verifier.verify(
            restore.instance_id,
            restore.tenant_id,
            item.data,
            reference=item.request.restore_time,
            timeout=left,
        )

    async def _cleanup(self, restore: RestoreOutcome) -> Cleanup | None:
        """Delete a tenant the batch restored, once seen ONLINE (and only then)."""
        if restore.state is not RestoreState.ONLINE or restore.tenant_id is None:
            return None
        instance_id, tenant_id = restore.instance_id, restore.tenant_id
        tries = 0

        async def delete() -> None:
            nonlocal tries
            tries += 1
            try:
                await self.client.delete_tenant(instance_id, tenant_id)
            except ClientError as error:
                # A retried DELETE whose earlier try went through finds nothing to delete.
                if error.status != 404 or tries == 1:
                    raise

        try:
            await self.client.retrying(delete, policy=self.policy)
        except ObError as error:
            return Cleanup(
                tenant_id=tenant_id, deleted=False, at=self.client.clock.now(), error=str(error)
            )
        return Cleanup(tenant_id=tenant_id, deleted=True, at=self.client.clock.now())


def result_of(
    item: RestoreItem,
    submission: RestoreSubmission,
    restore: RestoreOutcome | None,
    cleanup: Cleanup | None,
    validation_problem: str | None = None,
) -> ItemResult:
    error = str(submission.error) if submission.error is not None else None
    if not submission.submitted:
        state = {
            SubmissionOutcome.CONFLICT: ItemState.CONFLICT,
            SubmissionOutcome.UNKNOWN: ItemState.UNKNOWN,
        }.get(submission.outcome, ItemState.SUBMIT_FAILED)
        return ItemResult(item=item, state=state, submission=submission, error=error)
    if restore is None:
        return ItemResult(item=item, state=ItemState.SUBMITTED, submission=submission)
    if validation_problem is not None:
        return ItemResult(
            item=item,
            state=ItemState.VALIDATION_FAILED,
            submission=submission,
            restore=restore,
            cleanup=cleanup,
            error=validation_problem,
        )
    state = {
        RestoreState.ONLINE: ItemState.ONLINE,
        RestoreState.TIMED_OUT: ItemState.TIMED_OUT,
        RestoreState.ERROR: ItemState.UNKNOWN,
    }.get(restore.state, ItemState.RESTORE_FAILED)
    return ItemResult(
        item=item,
        state=state,
        submission=submission,
        restore=restore,
        cleanup=cleanup,
        error=restore.error,
    )


def _on_the_wire(submission: RestoreSubmission) -> bool:
    """An attempt of the submission is under way (its request may be on the wire)."""
    return bool(submission.attempts) and submission.attempts[-1].finished_at is None


def _may_exist(item: RestoreItem, submission: RestoreSubmission) -> bool:
    """Whether the item's tenant may exist: a request of it may have been acted on
    (in this run, or in the earlier run a resume continues)."""
    if submission.submitted:
        return True
    if submission.outcome in (SubmissionOutcome.CANCELLED, SubmissionOutcome.FAILED):
        return False  # both mean that nothing was created
    return (
        item.reconcile_first
        or submission.may_exist
        or any(attempt.sent for attempt in submission.attempts)
    )


def _not_started(item: RestoreItem, submission: RestoreSubmission, why: str) -> ItemResult:
    """The result of an item of which nothing was sent (nothing can have been created)."""
    return ItemResult(
        item=item, state=ItemState.NOT_STARTED, submission=submission, error=f"not started: {why}"
    )


def _phase(submission: RestoreSubmission, restore: RestoreOutcome | None) -> str:
    if not submission.attempts:
        return "queued (nothing was sent)"
    if submission.outcome is SubmissionOutcome.PENDING or not submission.submitted:
        return f"submitting (outcome {submission.outcome.value})"
    return "waiting for ONLINE" if restore is None else "cleaning up"


async def _aiter(
    items: Iterable[RestoreItem] | AsyncIterable[RestoreItem],
) -> AsyncIterator[RestoreItem]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item
