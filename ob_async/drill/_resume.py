"""Resuming a drill from the journal of the run it continues.

:func:`read_resumed_run` reads the run back: its identity (run id and start
time, so that names and requestIds render as they did), refusing the journal of
another plan (or of a plan that changed since) and one that lost what a
reconcile needs, naming the line, before anything is sent.

:class:`Resumption` says what becomes of each item the journal knows: one the
earlier run settled is reported from the journal (and cleaned up now if asked
and not done yet); one it sent and did not settle is reconciled (looked up
before anything is sent again) with its original requestId, restore time and
submission time; one it never sent runs afresh, with the random restore point
the earlier run drew for it, if it drew one (:meth:`Resumption.chosen`). A
settled item whose restored tenant is held for validation is not cleaned up
before its hold ends.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import attrs

from ob_async._client import ObClient
from ob_async.batch._item import ItemState, RestoreItem
from ob_async.drill._entries import plan_entry
from ob_async.drill._journal import ItemJournal, Journal, JournalState, read_journal
from ob_async.drill._journal_record import ItemRecord, JournalEvent
from ob_async.drill._plan import DrillPlan, PlanItem, RunContext
from ob_async.drill._report import ReportEntry
from ob_async.drill._reports.from_journal import entry_from_journal
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
    if run.run_id is None or run.started_at is None:
        raise InvalidInputError("has a damaged 'run' line", where=f"journal {journal_path}")
    _check_resumable(previous)
    return RunContext(run_id=run.run_id, started_at=run.started_at, seed=run.seed), previous


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


class Resumption:
    """What the run being resumed left of each item, and what becomes of it now
    (a fresh run knows no item)."""

    def __init__(
        self,
        previous: JournalState | None,
        client: ObClient,
        journal: Journal | None,
        *,
        clean_up_settled: bool,
        dry_run: bool,
    ) -> None:
        self._items = previous.items if previous is not None else {}
        self.client = client
        self.journal = journal
        self._clean_up_settled = clean_up_settled
        """Delete the tenants the earlier run restored and did not delete."""
        self._dry_run = dry_run

    async def item_or_entry(
        self, plan_item: PlanItem, context: RunContext
    ) -> RestoreItem | ReportEntry | None:
        """An item the earlier run sent: reported as it settled, or to be reconciled;
        None for one it never sent (it runs afresh)."""
        known = self._items.get(plan_item.key)
        if known is not None and known.final is not None:
            return await self._settled_entry(plan_item, known, context)
        if known is not None and known.was_sent:
            if self._dry_run:
                return _unsettled_entry(
                    plan_item,
                    known,
                    ItemState.PLANNED,
                    context,
                    "sent by the run being resumed, not settled: it would be looked up "
                    "before anything is sent again",
                )
            return _reconcile_item(plan_item, known, context)
        return None

    def chosen(self, key: str) -> datetime | None:
        """The random restore point the earlier run drew for the item ``key``, if any:
        a resume sends that one, never draws again."""
        known = self._items.get(key)
        drawn = known.last(JournalEvent.CHOSEN) if known is not None else None
        return drawn.restore_time if drawn is not None else None

    def untaken_entry(
        self, plan_item: PlanItem, context: RunContext, stop_reason: str | None
    ) -> ReportEntry | None:
        """The entry of an item this run stopped before taking, as the earlier run
        left it; None for one it never sent."""
        known = self._items.get(plan_item.key)
        if known is not None and known.final is not None:
            return entry_from_journal(
                known, plan_item, cleaned=None, resumed=True, seed=context.seed
            )
        if known is not None and known.was_sent:
            return _unsettled_entry(
                plan_item,
                known,
                ItemState.UNKNOWN,
                context,
                "sent by an earlier run and not looked up since, because "
                f"the drill stopped ({stop_reason}); --resume reconciles it",
            )
        return None

    async def _settled_entry(
        self, plan_item: PlanItem, known: ItemJournal, context: RunContext
    ) -> ReportEntry:
        """The entry of an item the earlier run settled, as its journal tells it."""
        final = known.final
        assert final is not None  # only settled items come here
        cleaned = known.last(JournalEvent.CLEANED)
        tenant_id = final.tenant_id
        if (
            self._clean_up_settled
            and cleaned is None
            and final.event is JournalEvent.ONLINE
            and tenant_id
            and (final.data or {}).get("ok", True)  # failed data: kept for inspection
            and (final.hold_until is None or final.hold_until <= self.client.clock.now())
        ):
            cleaned = await self._clean_settled(plan_item, tenant_id)
        return entry_from_journal(
            known, plan_item, cleaned=cleaned, resumed=True, seed=context.seed
        )

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


def _unsettled_entry(
    plan_item: PlanItem, known: ItemJournal, state: ItemState, context: RunContext, note: str
) -> ReportEntry:
    """The entry of an item the earlier run sent and did not settle, under the
    requestId it was sent with, saying what becomes of it (``note``)."""
    entry = plan_entry(plan_item, state, None, context)
    return attrs.evolve(
        entry, request_id=known.request_id or entry.request_id, resumed=True, error=note
    )


def _reconcile_item(plan_item: PlanItem, known: ItemJournal, context: RunContext) -> RestoreItem:
    """The restore item of one the earlier run sent and did not settle: looked up
    first, with the requestId, restore time and submission time it was sent with."""
    submitting = known.last(JournalEvent.SUBMITTING)
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
        submitted_at=submitting.t,
        data=plan_item.data,
    )
