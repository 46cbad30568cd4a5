"""Resuming a drill from the journal of the run it continues.

:func:`read_resumed_run` reads the run back: its identity (run id and start
time, so that names and requestIds render as they did), refusing the journal of
another plan (or of a plan that changed since) and one that lost what a
reconcile needs, naming the line, before anything is sent.

:class:`Resumption` says what becomes of each item, reading the projection of
the journal so far (:mod:`ob_async.drill._projection`): one the earlier run
settled stays as it settled (cleaned up now if asked and not done yet); one it
sent and did not settle is reconciled (looked up before anything is sent again)
with its original requestId, restore time and submission time; one it never
sent runs afresh. A settled item whose restored tenant is held for
validation is not cleaned up before its hold ends; one never sent keeps the random
restore point the earlier run drew for it, if it drew one (:meth:`Resumption.chosen`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from ob_async._client import ObClient
from ob_async.batch._item import ItemState, RestoreItem
from ob_async.drill._journal import ItemJournal, JournalState, read_journal
from ob_async.drill._journal_record import ItemRecord, JournalEvent
from ob_async.drill._plan import DrillPlan, PlanItem, RunContext
from ob_async.drill._projection import NEVER_SENT_STATES, UNSETTLED_STATES, item_entry
from ob_async.drill._report import ReportEntry
from ob_async.errors import InvalidInputError, ObError


def read_resumed_run(journal_path: Path, plan: DrillPlan) -> tuple[RunContext, JournalState]:
    """The identity of the run the journal recorded, and what it knows of each item."""
    previous = read_journal(journal_path)
    run = previous.run
    if run.plan_digest != plan.digest:
        raise InvalidInputError(
            "belongs to another plan (or the plan changed since the run began); "
            f"resume with the plan it was started with ({run.plan})",
            where=f"journal {journal_path}",
        )
    context = previous.run_context()
    _check_resumable(previous)
    return context, previous


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


Record = Callable[[ItemRecord], Awaitable[None]]
"""Where the run's records go: its journal (a dry run's: memory)."""


class Resumption:
    """What the run being resumed left of each item, and what becomes of it now
    (a fresh run knows no item). It decides from the projection of the earlier
    runs' journal (:func:`ob_async.drill._projection.item_entry`), as every report does."""

    def __init__(
        self,
        previous: JournalState | None,
        client: ObClient,
        record: Record,
        *,
        clean_up_settled: bool,
        dry_run: bool,
    ) -> None:
        self._previous = previous
        self.client = client
        self._record = record
        self._clean_up_settled = clean_up_settled
        """Delete the tenants the earlier run restored and did not delete."""
        self._dry_run = dry_run

    async def take(self, plan_item: PlanItem, context: RunContext) -> RestoreItem | bool:
        """An item the earlier run sent and did not settle: the restore item that
        reconciles it; one it settled: True (reported as it settled, cleaned up now if
        asked and not done yet); one it never sent: False (it runs afresh)."""
        previous = self._previous
        known = previous.items.get(plan_item.key) if previous is not None else None
        if previous is None or known is None:
            return False
        entry = item_entry(previous, known, plan_item, context)
        # One whose submitting is on disk may have been sent, whatever its run said
        # after: it is looked up before anything is sent again.
        if entry.state in UNSETTLED_STATES or (
            entry.state is ItemState.NOT_STARTED and known.was_sent
        ):
            if self._dry_run:
                await self._record(
                    ItemRecord(
                        event=JournalEvent.PLANNED,
                        key=plan_item.key,
                        state=ItemState.PLANNED,
                        error="sent by the run being resumed, not settled: it would be looked "
                        "up before anything is sent again",
                    )
                )
                return True
            return _reconcile_item(plan_item, known, context)
        if entry.state in NEVER_SENT_STATES:
            return False
        if self._should_clean(entry) and entry.tenant_id is not None:
            await self._clean_settled(plan_item, entry.tenant_id)
        return True

    def chosen(self, key: str) -> datetime | None:
        """The random restore point the earlier run drew for the item ``key``, if any:
        a resume sends that one, never draws again."""
        previous = self._previous
        known = previous.items.get(key) if previous is not None else None
        drawn = known.last(JournalEvent.CHOSEN) if known is not None else None
        return drawn.restore_time if drawn is not None else None

    def _should_clean(self, entry: ReportEntry) -> bool:
        """A restored tenant the earlier run did not delete, its data not failed (a
        failed one is kept for inspection), its hold (if any) over."""
        return (
            self._clean_up_settled
            and entry.cleanup is None
            and entry.state is ItemState.ONLINE
            and entry.tenant_id is not None
            and (entry.data is None or entry.data.ok)
            and (entry.cleanup_due is None or entry.cleanup_due <= self.client.clock.now())
        )

    async def _clean_settled(self, plan_item: PlanItem, tenant_id: str) -> None:
        target_instance = plan_item.template.target_instance_id
        try:
            await self.client.retrying(
                lambda: self.client.delete_tenant(target_instance, tenant_id)
            )
            error = None
        except ObError as failure:
            error = str(failure)
        await self._record(
            ItemRecord(
                event=JournalEvent.CLEANED,
                key=plan_item.key,
                tenant_id=tenant_id,
                deleted=error is None,
                error=error,
            )
        )


def _reconcile_item(plan_item: PlanItem, known: ItemJournal, context: RunContext) -> RestoreItem:
    """The restore item of one the earlier run sent and did not settle: looked up
    first, with the requestId, restore time and submission time it was sent with."""
    submitting = known.last(JournalEvent.SUBMITTING)
    first = next(e for e in known.events if e.event is JournalEvent.SUBMITTING)
    # _check_resumable refused a journal without these before anything was sent.
    assert submitting is not None
    assert submitting.restore_time is not None
    return RestoreItem(
        key=plan_item.key,
        instance_id=plan_item.instance_id,
        request=plan_item.request(submitting.restore_time),
        request_id=known.request_id or context.request_id(plan_item.key),
        rto_seconds=plan_item.rto_seconds,
        reconcile_first=True,
        submitted_at=first.t,  # the recovery time counts from the first submission
        data=plan_item.data,
    )
