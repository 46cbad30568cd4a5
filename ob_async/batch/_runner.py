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
import logging
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from contextlib import contextmanager

from ob_async._client import ObClient
from ob_async._http.priority import Priority
from ob_async._http.throttle.pacer import RateCap
from ob_async._restore.outcome import RestoreOutcome
from ob_async._restore.poll_config import PollConfig
from ob_async._restore.retry import RetryPolicy
from ob_async._restore.runwide import RunWideError, run_wide
from ob_async._restore.submit import RestoreSubmission
from ob_async.batch._bottleneck import Bottleneck, SlotTime
from ob_async.batch._item import ItemResult, ItemState, RestoreItem, result_of
from ob_async.batch._limits import BatchLimits, FailurePolicy, failures_allowed
from ob_async.batch._observer import BatchObserver, NoObserver
from ob_async.batch._settle import ItemSettler
from ob_async.batch._stopping import ItemTasks, stopped_result
from ob_async.batch._summary import BatchSummary
from ob_async.data._verify import DataVerifier
from ob_async.errors import ObError

logger = logging.getLogger("ob_async.batch")


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
        self._failures_allowed = failures_allowed(failure_policy, max_failures)
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
        self.observer: BatchObserver = observer or NoObserver()
        self.verifier = verifier
        self.summary = BatchSummary()
        self._settler = ItemSettler(
            client=client,
            policy=policy,
            timeout=timeout,
            validate=validate,
            cleanup=cleanup,
            verifier=verifier,
        )
        self._stopping = asyncio.Event()
        self._tasks = ItemTasks()
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
        """What limited the run so far (see :mod:`ob_async.batch._bottleneck`)."""
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
        self._tasks.halt_unsent()

    def abort(self, reason: str = "the batch was aborted") -> None:
        """Hard stop: cancel everything in flight; each still ends as a result."""
        self.stop(reason)
        self._tasks.cancel_started()

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
            for task in list(self._tasks.running):
                task.cancel()
            await asyncio.gather(feeder, *self._tasks.running, return_exceptions=True)

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
            while self._tasks.running:
                await asyncio.gather(*list(self._tasks.running), return_exceptions=True)
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
        limit = self._failures_allowed
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
            self._tasks.track(submission)
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
                    self._tasks.sent()
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
                    result = await self._settler.settle(item, submission, restore)
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
            self._tasks.sent()
            if waiting:
                ahead.release()
        await self._finish(result, results)

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
        return stopped_result(item, submission, restore, self.stop_reason)

    async def _finish(self, result: ItemResult, results: asyncio.Queue[ItemResult | None]) -> None:
        try:
            await asyncio.shield(self.observer.finished(result))
        finally:
            results.put_nowait(result)


async def _aiter(
    items: Iterable[RestoreItem] | AsyncIterable[RestoreItem],
) -> AsyncIterator[RestoreItem]:
    if isinstance(items, AsyncIterable):
        async for item in items:
            yield item
    else:
        for item in items:
            yield item
