"""The drill's batch observer: every state change of every item goes into the
journal (``submitting`` on disk before the item's first request is sent) and
out to the progress display as an event.

What the batch does not know of an item, the drill tells the observer before
handing the item over (:meth:`JournalObserver.expect`): how its restore point was
chosen (recorded with ``submitting``) and how long its restored tenant is held
for validation (the hold's end, recorded with the final event).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import attrs

from ob_async._restore.submit import RestoreSubmission
from ob_async._wire.tenants import TenantSummary
from ob_async.batch._item import Cleanup, ItemResult, RestoreItem
from ob_async.drill._journal import Journal
from ob_async.drill._journal_record import AttemptRecord, ItemRecord, JournalEvent, final_event
from ob_async.drill._plan.restore_point import RestorePointChoice


@attrs.frozen
class ItemFacts:
    """What the drill knows of an item that the batch does not."""

    restore_point_choice: RestorePointChoice | None = None
    hold_seconds: float | None = None


class JournalObserver:
    """Records every state change of every item, and tells the progress display."""

    def __init__(
        self, journal: Journal, emit: Callable[..., None], now: Callable[[], datetime]
    ) -> None:
        self.journal = journal
        self.emit = emit
        self.now = now
        self._facts: dict[str, ItemFacts] = {}

    def expect(self, key: str, facts: ItemFacts) -> None:
        """Before the item ``key`` is handed to the batch: what to record with it."""
        if facts != ItemFacts():
            self._facts[key] = facts

    async def submitting(self, item: RestoreItem, submission: RestoreSubmission) -> None:
        facts = self._facts.get(item.key, ItemFacts())
        await self.journal.record(submitting_record(item, submission, facts.restore_point_choice))
        self.emit("submitting", key=item.key)

    async def submitted(self, item: RestoreItem, submission: RestoreSubmission) -> None:
        await self.journal.record(
            ItemRecord(
                event=JournalEvent.SUBMITTED,
                key=item.key,
                request_id=submission.request_id,
                outcome=submission.outcome,
                attempts=len(submission.attempts),
                submit_attempts=_attempts(submission),
                submitted_at=submission.first_attempt_at,
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
        record = final_record(result)
        hold = self._facts.pop(result.key, ItemFacts()).hold_seconds
        if hold is not None and record.tenant_id is not None:  # a tenant was restored: it is held
            settled_at = record.finished_at or self.now()
            record = attrs.evolve(record, hold_until=settled_at + timedelta(seconds=hold))
        await self.journal.record(record)
        if result.cleanup is not None:
            await self.journal.record(cleaned_record(result.key, result.cleanup))
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


def submitting_record(
    item: RestoreItem,
    submission: RestoreSubmission,
    restore_point_choice: RestorePointChoice | None = None,
) -> ItemRecord:
    """``submitting``: on disk before the item's first request is sent."""
    return ItemRecord(
        event=JournalEvent.SUBMITTING,
        key=item.key,
        request_id=submission.request_id,
        restore_time=item.request.restore_time,
        restore_point_choice=restore_point_choice,
        reconcile=item.reconcile_first,
    )


def final_record(result: ItemResult) -> ItemRecord:
    """The event an item ended with, and everything its report entry shows of it
    (but the end of its hold, which the batch does not know)."""
    restore = result.restore
    submission = result.submission
    return ItemRecord(
        event=final_event(result.state),
        key=result.key,
        state=result.state,
        submission=submission.outcome if submission else None,
        submit_attempts=_attempts(submission),
        submitted_at=submission.first_attempt_at if submission else None,
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


def cleaned_record(key: str, cleanup: Cleanup) -> ItemRecord:
    """The restored tenant's deletion (or the attempt at it)."""
    return ItemRecord(
        event=JournalEvent.CLEANED,
        key=key,
        tenant_id=cleanup.tenant_id,
        deleted=cleanup.deleted,
        error=cleanup.error,
    )


def _attempts(submission: RestoreSubmission | None) -> tuple[AttemptRecord, ...] | None:
    """The submission's tries as the journal keeps them (None: it made none)."""
    if submission is None or not submission.attempts:
        return None
    return tuple(AttemptRecord.of(attempt) for attempt in submission.attempts)
