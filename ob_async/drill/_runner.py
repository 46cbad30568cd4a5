"""A disaster-recovery drill: a validated plan run as a batch, journaled, reported.

:class:`DrillRunner` ties the pieces together:

1. **Run identity.** A new run gets a :class:`~ob_async.drill._plan.RunContext` (run
   id and start time: templates and requestIds derive from it). A resumed run
   reads it back from the journal, refuses a plan whose digest changed, and so
   renders the same names and requestIds as the run it continues
   (:mod:`ob_async.drill._resume`).
2. **Pre-flight** (:mod:`ob_async.drill._preflight`: read-only, cached per
   instance): ``restore_time = "latest"`` is resolved to the end of the source
   tenant's newest restorable window; explicit times must fall inside a window;
   ``"random"`` is drawn with the run's seed (recorded in the journal's run line,
   each point as a ``chosen`` event: :mod:`ob_async.drill._random_points`);
   the target name must be free. An item that fails pre-flight is reported
   (``preflight_failed``) and never sent. ``--dry-run`` stops here and sends no POST.
3. **The batch**, through :class:`~ob_async.batch._runner.BatchRunner`, with the journal
   as observer (:mod:`ob_async.drill._journal_observer`): ``submitting`` is on disk
   before an item's first request.
4. **Resume** (:mod:`ob_async.drill._resume`). Items the journal shows settled stay
   as they settled (cleaned up if asked and not yet done); items that were sent but
   not settled are reconciled (looked up before anything is sent again) with their
   original requestId, restore time and submission time; the rest run afresh.
5. **The report** is the projection of the journal (:mod:`ob_async.drill._projection`),
   made once the run ends, exactly as ``ob-restore report`` rebuilds it: every item of
   the plan, exactly once, whatever happens. What the journal needs for it is
   recorded as it happens: a pre-flight refusal, an item not started because of an
   error, and, when the run stops early, why (its items never sent are
   ``not_started`` for that reason). A dry run keeps its records in memory.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Protocol

import attrs

from ob_async._client import ObClient
from ob_async._restore.runwide import RunWideError
from ob_async._version import __version__
from ob_async.batch._item import ItemState, RestoreItem
from ob_async.batch._limits import BatchLimits, FailurePolicy, failures_allowed
from ob_async.batch._runner import BatchRunner
from ob_async.data._verify import DataVerifier
from ob_async.drill._journal import Journal, JournalState, read_journal
from ob_async.drill._journal_observer import ItemFacts, JournalObserver
from ob_async.drill._journal_record import ItemRecord, JournalEvent, Person, RunRecord
from ob_async.drill._plan import DrillPlan, PlanItem, RunContext
from ob_async.drill._preflight import Preflight, name_conflict_hint
from ob_async.drill._projection import project
from ob_async.drill._random_points import RandomDraws, run_seed
from ob_async.drill._report import DrillReport
from ob_async.drill._report.control_facts import RunScope
from ob_async.drill._report.header import RunBottleneck
from ob_async.drill._resume import Resumption, read_resumed_run
from ob_async.errors import InvalidInputError, JournalWriteError, ObError


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
    seed: int | None = None
    """What random restore points are drawn from (None: the plan's ``seed``, else a new
    one, recorded and reported). A resume keeps the seed the run began with."""


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
        self._resumption: Resumption | None = None
        self._preflight = Preflight(client)
        self._stop_requested = False
        self._stop_reason: str | None = None
        self._plan_items: _PlanCursor | None = None
        self._taken = 0
        """Plan items taken so far (sent, reconciled, settled before, or refused)."""
        self._dry_records: list[ItemRecord] = []
        """A dry run's records: it keeps no journal file."""
        self._observer: JournalObserver | None = None
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
        # The facts the controls rest on, as the journal's run line records them.
        record = self._previous.run if self._previous else self._run_record(context)
        report.controls.scope = RunScope.of_record(record, self.plan)
        self.events.emit(
            "start",
            drill=self.plan.name,
            runId=context.run_id,
            items=self.plan.item_count,
            settled=self._previous.settled() if self._previous is not None else 0,
        )
        if self.plan.random_items and context.seed is not None:
            report.seed = context.seed
            self.events.emit(
                "note",
                message=f"{self.plan.random_items} random restore point(s), drawn with seed "
                f"{context.seed} (ob-restore drill --seed {context.seed} draws them again)",
            )
        await self._open(context)
        self._resumption = Resumption(
            self._previous,
            self.client,
            self._record,
            clean_up_settled=self.cleanup and not self.options.dry_run,
            dry_run=self.options.dry_run,
        )
        self._plan_items = _PlanCursor(self.plan.items(context))
        try:
            if self.options.dry_run:
                async for _ in self._items(context):
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
            await self._finish(context, report)
        self.events.emit("finish", failed=report.verdict.failed, items=report.item_count)
        return report

    async def _finish(self, context: RunContext, report: DrillReport) -> None:
        """Close the journal (with why the run stopped, if it did) and report every item
        of the plan: the projection of the journal."""
        if self._plan_items is not None and self._plan_items.error is not None:
            self._stop_reason = self._stop_reason or "the plan could not be read any further"
        if self.journal is not None:
            if self._stop_reason is not None:
                with contextlib.suppress(JournalWriteError):
                    await self.journal.stopped(self._stop_reason)
            await self._finish_journal(self.journal)
        for entry in project(
            self._journal_state(context),
            self.plan.items(context),
            context,
            item_count=self.plan.item_count,
        ):
            report.add(entry)
        report.interrupted = self._stop_requested
        if self._stop_requested or report.run_error is not None:
            report.notes.append(
                f"{self._stop_reason}: {report.counts[ItemState.NOT_STARTED]} "
                "restore(s) not started; --resume continues the run"
            )
        report.finished_at = self.client.clock.now()
        taken = self._preflight.names_taken + report.counts[ItemState.CONFLICT]
        if taken:
            report.notes.append(name_conflict_hint(taken))

    def _journal_state(self, context: RunContext) -> JournalState:
        """What this run and the ones it continues recorded: its journal (a dry run's
        records, after the journal it would continue)."""
        if self.journal is not None:
            return read_journal(self.journal.path)
        previous = self._previous or JournalState(
            path=None, run=RunRecord(run_id=context.run_id), items={}
        )
        return previous.extended(self._dry_records, stop_reason=self._stop_reason)

    async def _record(self, record: ItemRecord) -> None:
        """Record an event of an item: in the journal (a dry run's: in memory)."""
        if self.journal is not None:
            await self.journal.record(record)
        else:
            self._dry_records.append(attrs.evolve(record, t=self.client.clock.now()))

    def _note(self, record: ItemRecord) -> None:
        """Record an event without waiting for the disk (the run is being cancelled)."""
        if self.journal is None:
            self._dry_records.append(attrs.evolve(record, t=self.client.clock.now()))
            return
        with contextlib.suppress(RuntimeError, JournalWriteError):  # closed, or broken
            self.journal.note(record)

    def _run_record(self, context: RunContext) -> RunRecord:
        """The journal's run line: the run, its plan, and the facts of the run."""
        return RunRecord(
            run_id=context.run_id,
            started_at=context.started_at,
            plan=str(self.plan.path),
            plan_digest=self.plan.digest,
            drill=self.plan.name,
            items=self.plan.item_count,
            tool_version=__version__,
            endpoint_origin=self.client.session.origin,
            project_id=self.client.session.project_id,
            ran_by=Person.current(),
            instances=self.plan.instance_pairs,
            restore_points=dict(self.plan.restore_points),
            require_segregation=self.plan.require_segregation,
            seed=context.seed,
        )

    async def _finish_journal(self, journal: Journal) -> None:
        """The ``finished`` line (the run's end, for its facts), then close the journal."""
        try:
            await journal.finish()
        except JournalWriteError as error:  # the record of what happened is already there
            self.events.emit("note", message=f"the journal's end was not recorded: {error}")
        finally:
            await journal.close()

    async def _open(self, context: RunContext) -> None:
        """Open the journal (a dry run keeps none), then probe the API: a run-wide
        failure removes the journal it just created, holding nothing but its run line."""
        if not self.options.dry_run:
            self.journal_path = self.options.journal_path or Path(f"drill-{context.run_id}.jsonl")
            self.journal = Journal(self.journal_path, clock=self.client.clock)
            await self.journal.open(self._run_record(context), resume=self._resuming)
        try:
            # The probe: a run-wide failure ends the drill before any restore is sent.
            first = next(self.plan.items(context), None)
            if first is not None:
                await self._preflight.probe(first.template.source_instance_id)
                if self.plan.zone_check:
                    await self._preflight.check_zones(self.plan.items(context))
        except (RunWideError, InvalidInputError):
            if self.journal is not None:
                await self.journal.close()
                if not self._resuming:  # it holds the run line only: nothing was started
                    self.journal.path.unlink(missing_ok=True)
                    self.journal_path = None
            raise

    def _context(self) -> RunContext:
        recorded = None
        if self._resuming:
            assert self.options.journal_path is not None
            context, self._previous = read_resumed_run(self.options.journal_path, self.plan)
            recorded = self._previous.run.seed
        else:
            context = RunContext.new(self.client.clock.now())
        seed = run_seed(
            given=self.options.seed,
            planned=self.plan.seed,
            recorded=recorded,
            resuming=self._resuming,
            needed=self.plan.random_items > 0,
        )
        return attrs.evolve(context, seed=seed)

    async def _run_batch(self, context: RunContext, report: DrillReport) -> None:
        plan = self.plan
        assert self.journal is not None  # only a dry run keeps none, and it runs no batch
        self._observer = JournalObserver(self.journal, self.events.emit, self.client.clock.now)
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
            observer=self._observer,
            verifier=DataVerifier(self.client, plan.data.limits) if plan.data else None,
        )
        if self._stop_requested:
            self.batch.stop(self._stop_reason or "the drill was interrupted")

        async def items() -> AsyncIterator[RestoreItem]:
            async for _, restore_item in self._items(context):
                yield restore_item

        unsent = 0
        # Each result is in the journal (the observer recorded it): the report is
        # projected from there once the run ends.
        async for result in self.batch.run(items()):
            if result.submission is None or not result.submission.attempts:
                unsent += 1
        if self.batch.summary.started:
            found = self.batch.bottleneck()
            report.bottleneck = RunBottleneck.of(found)
            self.events.emit("bottleneck", **found.to_json())
        if self.batch.stopping and not self._stop_requested:  # the failure policy stopped it
            limit = failures_allowed(self.options.failure_policy, self.options.max_failures)
            unsent += self.plan.item_count - self._taken  # never taken from the plan
            report.notes.append(
                f"stopped submitting after {limit} failure(s) "
                f"({self.options.failure_policy.value}); {unsent} restore(s) not submitted"
            )
        if self.batch.stopping and self._stop_reason is None:
            self._stop_reason = self.batch.stop_reason

    async def _items(self, context: RunContext) -> AsyncIterator[tuple[PlanItem, RestoreItem]]:
        """Plan items become restore items; settled, refused or dry-run ones are
        recorded as they are."""
        cursor = self._plan_items
        assert cursor is not None
        # The stop is checked before an item is taken: an item not taken is never sent,
        # and its entry says why (the journal's ``stopped`` line).
        while not self._stop_requested:
            plan_item = next(cursor, None)
            if plan_item is None:
                return
            self._taken += 1
            try:
                outcome = await self._restore_item(plan_item, context)
            except BaseException as error:
                reason = f"{error!r}" if isinstance(error, Exception) else None
                self._note(
                    ItemRecord(
                        event=JournalEvent.NOT_STARTED,
                        key=plan_item.key,
                        state=ItemState.NOT_STARTED,
                        error=f"not started: {reason or 'the drill was interrupted'}",
                    )
                )
                raise
            if outcome is not None:
                yield plan_item, self._held(plan_item, outcome)

    async def _restore_item(self, plan_item: PlanItem, context: RunContext) -> RestoreItem | None:
        """What to send (or reconcile) of one plan item; None when it is not sent now
        (settled by an earlier run, refused by the pre-flight, or a dry run)."""
        assert self._resumption is not None
        resumed = await self._resumption.take(plan_item, context)
        if isinstance(resumed, RestoreItem):
            return resumed
        if resumed:
            return None
        return await self._preflight_item(plan_item, context)

    def _held(self, plan_item: PlanItem, restore_item: RestoreItem) -> RestoreItem:
        """The item as the batch gets it: kept from clean-up while held, and what the
        journal records of it beyond what the batch knows."""
        if self._observer is not None:
            self._observer.expect(
                plan_item.key, ItemFacts(plan_item.restore_point_choice, plan_item.hold_seconds)
            )
        if plan_item.hold_seconds is None:
            return restore_item
        return attrs.evolve(restore_item, keep=True)

    async def _preflight_item(self, plan_item: PlanItem, context: RunContext) -> RestoreItem | None:
        """An item no earlier run sent: refused by the pre-flight, planned (a dry run),
        or to be sent. A random restore point drawn is journaled before it is sent."""
        assert self._resumption is not None
        chosen = self._resumption.chosen(plan_item.key) if plan_item.random_point else None
        draws = RandomDraws(context.seed, context.started_at) if context.seed is not None else None
        restore_time, reason = await self._preflight.check(plan_item, draws=draws, chosen=chosen)
        if plan_item.random_point and chosen is None and restore_time and self.journal:
            # Committed with (or before) the item's 'submitting', which is awaited.
            self.journal.note(
                ItemRecord(
                    event=JournalEvent.CHOSEN,
                    key=plan_item.key,
                    restore_time=restore_time,
                    restore_point_choice=plan_item.restore_point_choice,
                )
            )
        if reason is not None or restore_time is None:
            state = ItemState.PREFLIGHT_FAILED
            await self._record(
                ItemRecord(
                    event=JournalEvent.PREFLIGHT_FAILED,
                    key=plan_item.key,
                    state=state,
                    error=reason,
                )
            )
            self.events.emit("item", key=plan_item.key, state=state, error=reason)
            return None
        if self.options.dry_run:
            await self._record(
                ItemRecord(
                    event=JournalEvent.PLANNED,
                    key=plan_item.key,
                    state=ItemState.PLANNED,
                    restore_time=restore_time,
                )
            )
            return None
        return RestoreItem(
            key=plan_item.key,
            instance_id=plan_item.instance_id,
            request=plan_item.request(restore_time),
            request_id=context.request_id(plan_item.key),
            rto_seconds=plan_item.rto_seconds,
            data=plan_item.data,
        )


class _PlanCursor(Iterator[PlanItem]):
    """The plan's items, handed out once each, remembering why the plan could not be
    read any further, if it could not."""

    def __init__(self, items: Iterator[PlanItem]) -> None:
        self._items = items
        self.error: Exception | None = None
        """Why the plan could not be read past the last item handed out, if it could not."""

    def __next__(self) -> PlanItem:
        if self.error is not None:
            raise StopIteration
        try:
            return next(self._items)
        except StopIteration:
            raise
        except Exception as error:
            self.error = error
            raise
