"""A disaster-recovery drill: a validated plan run as a batch, journaled, reported.

:class:`DrillRunner` ties the pieces together:

1. **Run identity.** A new run gets a :class:`~ob_async.drill.plan.RunContext` (run
   id and start time: templates and requestIds derive from it). A resumed run
   reads it back from the journal, refuses a plan whose digest changed, and so
   renders the same names and requestIds as the run it continues.
2. **Pre-flight** (read-only, cached per instance): ``restore_time = "latest"``
   is resolved to the end of the source tenant's newest restorable window;
   explicit times must fall inside a window; the target name must be free.
   An item that fails pre-flight is reported (``preflight_failed``) and never
   sent. ``--dry-run`` stops here and sends no POST.
3. **The batch**, through :class:`~ob_async.batch.runner.BatchRunner`, with the journal
   as observer: ``submitting`` is on disk before an item's first request.
4. **Resume.** Items the journal shows settled are reported from it (and
   cleaned up if asked and not yet done); items that were sent but not settled
   are reconciled (looked up before anything is sent again) with their
   original requestId, restore time and submission time; the rest run afresh.
5. **Reports** for every item of the plan, exactly once, whatever happens:
   items never sent because the drill stopped (a signal, a run-wide failure, a
   restore list that could not be read) are reported ``not_started`` with the
   reason; an item the plan could no longer render (its list was damaged
   mid-run) is reported by its position, ``restore[N]``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import attrs

from ob_async.batch.item import ItemResult, ItemState, RestoreItem
from ob_async.batch.limits import BatchLimits, FailurePolicy
from ob_async.batch.runner import BatchRunner
from ob_async.client import ObClient
from ob_async.data.verify import DataVerifier
from ob_async.drill.journal import ItemJournal, Journal, JournalState, read_journal
from ob_async.drill.journal_record import ItemRecord, JournalEvent, RunRecord, final_event
from ob_async.drill.plan import DrillPlan, PlanItem, RunContext
from ob_async.drill.report import DrillReport, ReportEntry, entry_from_result
from ob_async.drill.reports.from_journal import entry_from_journal
from ob_async.errors import InvalidInputError, ObError
from ob_async.restore.runwide import RunWideError, run_wide
from ob_async.restore.submit import RestoreSubmission
from ob_async.wire.models import RestorableTenant, TenantSummary

logger = logging.getLogger("ob_async.drill")


class DrillEvents(Protocol):
    """Where progress goes (a live display, log lines, or JSON events)."""

    def emit(self, event: str, **fields: Any) -> None:
        """One thing happened."""


class _SilentEvents:
    def emit(self, event: str, **fields: Any) -> None:
        return None


@attrs.frozen(kw_only=True)
class DrillOptions:
    journal_path: Path | None
    """None: ``./drill-<run id>.jsonl`` (a dry run writes none)."""
    resume: bool = False
    dry_run: bool = False
    cleanup: bool | None = None
    """None: as the plan says."""
    concurrency: int | None = None
    rate: float | None = None
    endpoint_label: str = ""
    failure_policy: FailurePolicy = FailurePolicy.COLLECT_ALL
    """When to stop submitting because of failures (the batch runner's policies)."""
    max_failures: int | None = None
    """With ``FailurePolicy.STOP_AFTER``: how many failures stop the run."""


class DrillRunner:
    def __init__(
        self,
        client: ObClient,
        plan: DrillPlan,
        options: DrillOptions,
        *,
        events: DrillEvents | None = None,
    ) -> None:
        if options.resume and options.journal_path is None:
            raise InvalidInputError("a resume needs the journal of the run", where="--journal")
        self.client = client
        self.plan = plan
        self.options = options
        self.events: DrillEvents = events or _SilentEvents()
        self.cleanup = plan.cleanup if options.cleanup is None else options.cleanup
        self.journal: Journal | None = None
        self.journal_path: Path | None = None
        self.batch: BatchRunner | None = None
        self.report: DrillReport | None = None
        self._previous: JournalState | None = None
        self._windows: dict[str, dict[str, RestorableTenant]] = {}
        self._names: dict[str, set[str]] = {}
        self._names_taken = 0
        self._stop_requested = False
        self._stop_reason: str | None = None
        self._plan_items: _PlanCursor | None = None
        # A journal that does not exist recorded nothing, so nothing was sent (the
        # journal is written ahead of every request): such a resume starts afresh.
        self._resuming = bool(
            options.resume and options.journal_path is not None and options.journal_path.exists()
        )

    # --- control ------------------------------------------------------------------

    def stop(self, reason: str = "the drill was interrupted") -> None:
        """Submit nothing new; let what is on the wire finish."""
        self._stop_requested = True
        self._stop_reason = self._stop_reason or reason
        if self.batch is not None:
            self.batch.stop(reason)

    def abort(self, reason: str = "the drill was interrupted") -> None:
        """Cancel what is in flight too (each item is still reported)."""
        self._stop_requested = True
        self._stop_reason = self._stop_reason or reason
        if self.batch is not None:
            self.batch.abort(reason)

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested

    # --- the run --------------------------------------------------------------------

    async def run(self) -> DrillReport:
        context = self._context()
        if self.options.resume and not self._resuming:
            self.events.emit(
                "note",
                message=f"journal {self.options.journal_path} not found: nothing was recorded, "
                "so nothing was sent; starting the run afresh",
            )
        report = self.report = DrillReport(
            drill=self.plan.name,
            run_id=context.run_id,
            plan=str(self.plan.path),
            endpoint=self.options.endpoint_label,
            started_at=self.client.clock.now(),
            dry_run=self.options.dry_run,
            cleanup_requested=self.cleanup and not self.options.dry_run,
        )
        self.events.emit(
            "start", drill=self.plan.name, runId=context.run_id, items=self.plan.item_count
        )
        await self._open(context)
        self._plan_items = _PlanCursor(self.plan.items(context))
        try:
            if self.options.dry_run:
                async for _ in self._items(context, report):
                    pass
            else:
                await self._run_batch(context, report)
        except ObError as error:  # the item source failed: a run-wide failure
            self._stop_reason = self._stop_reason or f"the drill stopped: {error}"
            report.run_error = str(error)
        except Exception as error:
            self._stop_reason = self._stop_reason or f"the drill stopped: internal error {error!r}"
            raise
        finally:
            self._account_for_the_rest(context, report)
            report.interrupted = self._stop_requested
            if self._stop_requested or report.run_error is not None:
                report.notes.append(
                    f"{self._stop_reason}: {report.counts[ItemState.NOT_STARTED]} "
                    "restore(s) not started; --resume continues the run"
                )
            report.finished_at = self.client.clock.now()
            taken = self._names_taken + report.counts[ItemState.CONFLICT]
            if taken:
                report.notes.append(name_conflict_hint(taken))
            if self.journal is not None:
                await self.journal.close()
        self.events.emit("finish", failed=report.failures, items=report.item_count)
        return report

    async def _open(self, context: RunContext) -> None:
        """Open the journal (a dry run keeps none), then probe the API: a run-wide
        failure removes the journal it just created, holding nothing but its run line."""
        if not self.options.dry_run:
            self.journal_path = self.options.journal_path or Path(f"drill-{context.run_id}.jsonl")
            self.journal = Journal(self.journal_path, clock=self.client.clock)
            await self.journal.open(
                RunRecord(
                    run_id=context.run_id,
                    started_at=context.started_at,
                    plan=str(self.plan.path),
                    plan_digest=self.plan.digest,
                    drill=self.plan.name,
                    items=self.plan.item_count,
                ),
                resume=self._resuming,
            )
        try:
            await self._probe(context)
        except RunWideError:
            if self.journal is not None:
                await self.journal.close()
                if not self._resuming:  # it holds the run line only: nothing was started
                    self.journal.path.unlink(missing_ok=True)
                    self.journal_path = None
            raise

    async def _probe(self, context: RunContext) -> None:
        """One read before anything else (the first source's restorable tenants, which
        the pre-flight needs anyway): a run-wide failure, such as refused credentials
        or an endpoint that is not there, ends the drill here with one message
        (:class:`RunWideError`) before any restore is sent; another failure is left
        to the pre-flight's retries."""
        first = next(self.plan.items(context), None)
        if first is None:
            return
        instance_id = first.source_instance_id
        try:
            tenants = await self.client.list_restorable_tenants(instance_id)
        except ObError as error:
            failure = run_wide(error)
            if failure is not None:
                raise failure from error
            return
        self._windows[instance_id] = {tenant.tenant_id: tenant for tenant in tenants}

    def _context(self) -> RunContext:
        if not self._resuming:
            return RunContext.new(self.client.clock.now())
        assert self.options.journal_path is not None
        previous = self._previous = read_journal(self.options.journal_path)
        run = previous.run
        if run.plan_digest != self.plan.digest:
            raise InvalidInputError(
                "belongs to another plan (or the plan changed since the run began); "
                f"resume with the plan it was started with ({run.plan})",
                where=f"journal {self.options.journal_path}",
            )
        if run.run_id is None or run.started_at is None:
            raise InvalidInputError(
                "has a damaged 'run' line", where=f"journal {self.options.journal_path}"
            )
        _check_resumable(previous)
        return RunContext(run_id=run.run_id, started_at=run.started_at)

    async def _run_batch(self, context: RunContext, report: DrillReport) -> None:
        plan = self.plan
        self.batch = BatchRunner(
            self.client,
            limits=BatchLimits(
                max_submits=self.options.concurrency or plan.concurrency,
                max_restoring_per_instance=plan.restoring_per_instance,
                submits_per_second=self.options.rate or plan.rate,
                burst=plan.burst,
            ),
            timeout=plan.timeout_seconds,
            poll=plan.poll_config(),
            cleanup=self.cleanup,
            validate=plan.validate,
            failure_policy=self.options.failure_policy,
            max_failures=self.options.max_failures,
            observer=_JournalObserver(self),
            verifier=DataVerifier(self.client, plan.data.limits) if plan.data else None,
        )
        if self._stop_requested:
            self.batch.stop(self._stop_reason or "the drill was interrupted")
        indexes: dict[str, int] = {}

        async def items() -> AsyncIterator[RestoreItem]:
            async for plan_item, restore_item in self._items(context, report):
                indexes[restore_item.key] = plan_item.index
                yield restore_item

        unsent = 0
        async for result in self.batch.run(items()):
            if result.submission is None or not result.submission.attempts:
                unsent += 1
            report.add(entry_from_result(result, index=indexes.pop(result.key, None)))
        if self.batch.summary.started:
            report.bottleneck = self.batch.bottleneck().to_json()
            self.events.emit("bottleneck", **report.bottleneck)
        if self.batch.stopping and not self._stop_requested:  # the failure policy stopped it
            limit = 1 if self.options.failure_policy is FailurePolicy.FAIL_FAST else None
            unsent += self.plan.item_count - report.item_count  # never taken from the plan
            report.notes.append(
                f"stopped submitting after {limit or self.options.max_failures} failure(s) "
                f"({self.options.failure_policy.value}); {unsent} restore(s) not submitted"
            )
        if self.batch.stopping and self._stop_reason is None:
            self._stop_reason = self.batch.stop_reason

    def _account_for_the_rest(self, context: RunContext, report: DrillReport) -> None:
        """Report every plan item not reported yet: it was never sent."""
        cursor = self._plan_items
        if cursor is None:
            return
        reason = f"not started: {self._stop_reason or 'the drill stopped'}"
        previous = self._previous.items if self._previous else {}
        try:
            for plan_item in cursor:
                known = previous.get(plan_item.key)
                if known is not None and known.final is not None:
                    report.add(self._journal_entry(plan_item, known, cleanup=None))
                elif known is not None and known.was_sent:
                    entry = _plan_entry(plan_item, ItemState.UNKNOWN, None, context)
                    report.add(
                        attrs.evolve(
                            entry,
                            request_id=known.request_id or entry.request_id,
                            resumed=True,
                            error="sent by an earlier run and not looked up since, because "
                            f"the drill stopped ({self._stop_reason}); --resume reconciles it",
                        )
                    )
                else:
                    report.add(_plan_entry(plan_item, ItemState.NOT_STARTED, reason, context))
        except Exception:
            if cursor.error is None:
                raise
        if cursor.error is not None:  # the plan can no longer be read (its list changed)
            reason = f"not started: the plan could not be read any further: {cursor.error}"
            for index in range(cursor.index + 1, self.plan.item_count + 1):
                report.add(_unreadable_entry(index, reason))

    async def _items(
        self, context: RunContext, report: DrillReport
    ) -> AsyncIterator[tuple[PlanItem, RestoreItem]]:
        """Plan items become restore items; settled, failing or dry-run ones become entries."""
        previous = self._previous.items if self._previous else {}
        cursor = self._plan_items
        assert cursor is not None
        # The stop is checked before an item is taken: every item taken is reported
        # here or by the batch, every other one by _account_for_the_rest.
        while not self._stop_requested:
            plan_item = next(cursor, None)
            if plan_item is None:
                return
            try:
                outcome = await self._item_or_entry(plan_item, previous.get(plan_item.key), context)
            except BaseException as error:
                reason = f"not started: {error!r}" if isinstance(error, Exception) else None
                report.add(
                    _plan_entry(
                        plan_item,
                        ItemState.NOT_STARTED,
                        reason or "not started: the drill was interrupted",
                        context,
                    )
                )
                raise
            if isinstance(outcome, RestoreItem):
                yield plan_item, outcome
            else:
                report.add(outcome)
                if outcome.state is ItemState.PREFLIGHT_FAILED:
                    self.events.emit(
                        "item", key=plan_item.key, state=outcome.state, error=outcome.error
                    )

    async def _item_or_entry(
        self, plan_item: PlanItem, known: ItemJournal | None, context: RunContext
    ) -> RestoreItem | ReportEntry:
        """What to do with one plan item: send (or reconcile) it, or report it as it is."""
        if known is not None and known.final is not None:
            return await self._settled_entry(plan_item, known)
        if known is not None and known.was_sent:
            if self.options.dry_run:
                entry = _plan_entry(plan_item, ItemState.PLANNED, None, context)
                return attrs.evolve(
                    entry,
                    request_id=known.request_id or entry.request_id,
                    resumed=True,
                    error="sent by the run being resumed, not settled: it would be looked up "
                    "before anything is sent again",
                )
            return self._reconcile_item(plan_item, known, context)
        return await self._preflight(plan_item, context)

    def _reconcile_item(
        self, plan_item: PlanItem, known: ItemJournal, context: RunContext
    ) -> RestoreItem:
        submitting = known.last(JournalEvent.SUBMITTING)
        # _check_resumable refused a journal without these before anything was sent.
        assert submitting is not None
        assert submitting.restore_time is not None
        restore_time = submitting.restore_time
        submitted_at = submitting.t
        return RestoreItem(
            key=plan_item.key,
            instance_id=plan_item.instance_id,
            request=plan_item.request(restore_time),
            request_id=known.request_id or context.request_id(plan_item.key),
            rto_seconds=plan_item.rto_seconds,
            reconcile_first=True,
            submitted_at=submitted_at,
            data=plan_item.data,
        )

    async def _preflight(
        self, plan_item: PlanItem, context: RunContext
    ) -> RestoreItem | ReportEntry:
        try:
            restore_time, reason = await self._resolve_restore_time(plan_item)
            if reason is None and plan_item.target_tenant_name in await self._taken(
                plan_item.target_instance_id
            ):
                self._names_taken += 1
                reason = (
                    f"target name {plan_item.target_tenant_name!r} is already used in "
                    f"{plan_item.target_instance_id}"
                )
        except ObError as error:
            restore_time, reason = None, f"pre-flight check failed: {error}"
        if reason is not None or restore_time is None:
            return _plan_entry(plan_item, ItemState.PREFLIGHT_FAILED, reason, context)
        if self.options.dry_run:
            return _plan_entry(plan_item, ItemState.PLANNED, None, context, restore_time)
        return RestoreItem(
            key=plan_item.key,
            instance_id=plan_item.instance_id,
            request=plan_item.request(restore_time),
            request_id=context.request_id(plan_item.key),
            rto_seconds=plan_item.rto_seconds,
            data=plan_item.data,
        )

    async def _resolve_restore_time(
        self, plan_item: PlanItem
    ) -> tuple[datetime | None, str | None]:
        """The restore time to use (``latest`` resolved), or why there is none."""
        tenants = await self._restorable(plan_item.source_instance_id)
        source = tenants.get(plan_item.source_tenant_id)
        if source is None:
            return None, (
                f"source tenant {plan_item.source_tenant_id} is not restorable from "
                f"{plan_item.source_instance_id} (not in its restorable tenants)"
            )
        restore_time = plan_item.restore_time or source.latest_restorable_time
        if restore_time is None:
            return None, f"source tenant {plan_item.source_tenant_id} has no restorable window"
        if source.window_containing(restore_time) is None:
            windows = ", ".join(
                f"{w.start_time.isoformat()}..{w.end_time.isoformat()}"
                for w in source.time_interval_list
            )
            return None, (
                f"restore time {restore_time.isoformat()} is outside every restorable window "
                f"({windows or 'none'})"
            )
        return restore_time, None

    async def _restorable(self, instance_id: str) -> dict[str, RestorableTenant]:
        cached = self._windows.get(instance_id)
        if cached is None:
            tenants = await self.client.retrying(
                lambda: self.client.list_restorable_tenants(instance_id)
            )
            cached = self._windows[instance_id] = {tenant.tenant_id: tenant for tenant in tenants}
        return cached

    async def _taken(self, instance_id: str) -> set[str]:
        cached = self._names.get(instance_id)
        if cached is None:

            async def names() -> set[str]:
                return {
                    tenant.tenant_name async for tenant in self.client.iter_tenants(instance_id)
                }

            cached = self._names[instance_id] = await self.client.retrying(names)
        return cached

    async def _settled_entry(self, plan_item: PlanItem, known: ItemJournal) -> ReportEntry:
        final = known.final
        assert final is not None  # only settled items come here
        cleaned = known.last(JournalEvent.CLEANED)
        tenant_id = final.tenant_id
        if (
            self.cleanup
            and not self.options.dry_run
            and cleaned is None
            and final.event is JournalEvent.ONLINE
            and tenant_id
            and (final.data or {}).get("ok", True)  # failed data: kept for inspection
        ):
            cleaned = await self._clean_settled(plan_item, tenant_id)
        return self._journal_entry(plan_item, known, cleanup=cleaned)

    def _journal_entry(
        self, plan_item: PlanItem, known: ItemJournal, *, cleanup: ItemRecord | None
    ) -> ReportEntry:
        """The entry of an item an earlier run settled, as its journal tells it."""
        assert known.final is not None  # only settled items come here
        return entry_from_journal(known, plan_item, cleaned=cleanup, resumed=True)

    async def _clean_settled(self, plan_item: PlanItem, tenant_id: str) -> ItemRecord:
        try:
            await self.client.retrying(
                lambda: self.client.delete_tenant(plan_item.target_instance_id, tenant_id)
            )
            error = None
        except ObError as failure:
            error = str(failure)
        event = ItemRecord(
            event=JournalEvent.CLEANED,
            key=plan_item.key,
            tenant_id=tenant_id,
            deleted=error is None,
            error=error,
        )
        if self.journal is not None:
            await self.journal.record(event)
        return attrs.evolve(event, t=self.client.clock.now())


def _check_resumable(previous: JournalState) -> None:
    """A sent, unsettled item is reconciled with the restore time it was sent with:
    a journal that lost it is refused, naming the line, before anything is sent."""
    for known in previous.items.values():
        if known.final is not None or not known.was_sent:
            continue
        submitting = known.last(JournalEvent.SUBMITTING)
        if submitting is not None and submitting.restore_time is None:
            raise InvalidInputError(
                f"item {known.key} was sent, but its 'submitting' event records no "
                "restoreTime; the journal is damaged",
                where=f"journal {previous.path}, line {submitting.line}",
            )


def name_conflict_hint(count: int) -> str:
    """What to do when target names are taken: most often, by an earlier run of the plan."""
    return (
        f"{count} target name(s) already used. If an earlier run of this plan created "
        "them, 'ob-restore cleanup --journal <that run's journal>' deletes exactly its "
        "tenants; to let runs of a day coexist, put {time} or {run} in target_tenant_name "
        '(e.g. "{source_tenant_id}_dr_{date}_{time}").'
    )


def _plan_entry(
    plan_item: PlanItem,
    state: ItemState,
    error: str | None,
    context: RunContext,
    restore_time: datetime | None = None,
) -> ReportEntry:
    moment = restore_time or plan_item.restore_time
    return ReportEntry.of_plan_item(
        plan_item,
        state,
        request_id=context.request_id(plan_item.key),
        restore_time=moment.isoformat() if moment else "latest",
        error=error,
    )


def _unreadable_entry(index: int, reason: str) -> ReportEntry:
    """The entry of a plan item that could not be read: only its position is known."""
    return ReportEntry(
        key=f"restore[{index}]",
        index=index,
        source_instance_id="?",
        source_tenant_id="?",
        target_instance_id="?",
        target_tenant_name=f"restore[{index}]",
        state=ItemState.NOT_STARTED,
        error=reason,
    )


class _PlanCursor(Iterator[PlanItem]):
    """The plan's items, handed out once each, remembering the last index handed out."""

    def __init__(self, items: Iterator[PlanItem]) -> None:
        self._items = items
        self.index = 0
        self.error: Exception | None = None
        """Why the plan could not be read past ``index``, if it could not."""

    def __next__(self) -> PlanItem:
        if self.error is not None:
            raise StopIteration
        try:
            item = next(self._items)
        except StopIteration:
            raise
        except Exception as error:
            self.error = error
            raise
        self.index = item.index
        return item


class _JournalObserver:
    """Records every state change of every item, and tells the progress display."""

    def __init__(self, drill: DrillRunner) -> None:
        self.drill = drill
        assert drill.journal is not None
        self.journal: Journal = drill.journal
        self.emit: Callable[..., None] = drill.events.emit

    async def submitting(self, item: RestoreItem, submission: RestoreSubmission) -> None:
        await self.journal.record(
            ItemRecord(
                event=JournalEvent.SUBMITTING,
                key=item.key,
                request_id=submission.request_id,
                restore_time=item.request.restore_time,
                reconcile=item.reconcile_first,
            )
        )
        self.emit("submitting", key=item.key)

    async def submitted(self, item: RestoreItem, submission: RestoreSubmission) -> None:
        await self.journal.record(
            ItemRecord(
                event=JournalEvent.SUBMITTED,
                key=item.key,
                request_id=submission.request_id,
                outcome=submission.outcome,
                attempts=len(submission.attempts),
                tenant_id=submission.tenant_id,
            )
        )
        self.emit("submitted", key=item.key, outcome=submission.outcome.value)

    def seen(self, item: RestoreItem, tenant: TenantSummary) -> None:
        self.journal.note(
            ItemRecord(
                event=JournalEvent.SEEN,
                key=item.key,
                tenant_id=tenant.tenant_id,
                status=tenant.status,
            )
        )
        self.emit("seen", key=item.key, status=tenant.status)

    async def finished(self, result: ItemResult) -> None:
        restore = result.restore
        submission = result.submission
        await self.journal.record(
            ItemRecord(
                event=final_event(result.state),
                key=result.key,
                state=result.state,
                submission=submission.outcome if submission else None,
                tenant_id=(restore.tenant_id if restore else None)
                or (submission.tenant_id if submission else None),
                first_seen_at=restore.first_seen_at if restore else None,
                finished_at=restore.finished_at if restore else None,
                recovery_seconds=result.recovery_seconds,
                recovery_lower_seconds=restore.recovery_lower_seconds if restore else None,
                met_rto=result.met_rto,
                rto_verdict=result.rto_verdict,
                last_status=restore.last_status if restore else None,
                error=result.error,
                data=result.data.to_json() if result.data else None,
            )
        )
        if result.cleanup is not None:
            await self.journal.record(
                ItemRecord(
                    event=JournalEvent.CLEANED,
                    key=result.key,
                    tenant_id=result.cleanup.tenant_id,
                    deleted=result.cleanup.deleted,
                    error=result.cleanup.error,
                )
            )
        data = result.data
        self.emit(
            "item",
            key=result.key,
            state=result.state.value,
            recoverySeconds=result.recovery_seconds,
            metRto=result.met_rto,
            # A data failure is the item's error in the live view and the events.
            error=result.error or ("; ".join(data.problems()) if data and not data.ok else None),
            **(
                {"rpoSeconds": data.rpo_seconds, "metRpo": data.met_rpo, "dataOk": data.ok}
                if data is not None
                else {}
            ),
        )
