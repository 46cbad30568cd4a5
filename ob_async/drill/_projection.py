"""A drill's report entries as a projection of its journal: one pure fold, used by
every report.

:func:`project` turns a plan and the journal of a run (:class:`JournalState`)
into the report's entries, in plan order, exactly one per planned item. The live
run's report (projected from its journal once the run ends), a resume (which
reads it to decide what to run), a dry run (its records held in memory) and
``ob-restore report JOURNAL`` (a rebuild) all call it, so they cannot disagree:
what an entry shows (state, attempts, times, recovery interval, RTO verdict,
clean-up, data checks, error) is what the journal recorded.

How an item's events come to its state:

1. a final event (``online``, ``failed``, ``submitted_only``) settles it, as it
   recorded;
2. otherwise the item's last word, if any: ``unknown`` or ``interrupted`` (it was
   sent and did not settle), ``planned`` (a dry run), ``preflight_failed`` or
   ``not_started`` (of the last run only: a resume checks such an item again); an
   item an earlier run sent is never ``not_started`` (it may exist): it is
   ``unknown``;
3. otherwise one that was sent and has no word is ``unknown`` (the run ended
   before it settled; a resume reconciles it);
4. and one that was never sent is ``not_started``: for the reason the run
   recorded when it stopped, or, when it recorded none (it crashed), because it
   is not in the journal. **not_started** means exactly this: nothing that could
   create the restore was ever sent. It is neither restored nor failed.

An entry is ``resumed`` when an earlier run of the drill settled it (or sent it,
and no later run settled it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import attrs

from ob_async.batch._item import ItemResult, ItemState
from ob_async.drill._journal import ItemJournal, JournalState
from ob_async.drill._journal_observer import cleaned_record, final_record, submitting_record
from ob_async.drill._journal_record import AttemptRecord, ItemRecord, JournalEvent, RunRecord
from ob_async.drill._plan import PlanItem, RunContext
from ob_async.drill._plan.restore_point import RestorePointChoice
from ob_async.drill._report import Attempt, Cleanup, DataOutcome, ReportEntry
from ob_async.drill._report.convert import from_json

UNSETTLED = (
    "the run ended before this restore settled (a crash, or a second Ctrl-C); "
    "resume the run (--resume) to find out how it ended"
)
NEVER_SENT = (
    "not in the journal: never sent (the run ended before reaching it, or it failed its "
    "pre-flight checks)"
)
RESUMED_NOTE = (
    "first submitted by the interrupted run this resume continues: the recovery "
    "time counts from that submission and includes the outage before the resume"
)
"""A reconciled restore is timed from its first submission, so its recovery time
(and RTO verdict) includes the outage between the crash and the resume: said next
to the figure."""

UNSETTLED_STATES = frozenset({ItemState.UNKNOWN, ItemState.INTERRUPTED})
"""States of an item that was sent and did not settle: a resume reconciles it."""
NEVER_SENT_STATES = frozenset(
    {ItemState.NOT_STARTED, ItemState.PREFLIGHT_FAILED, ItemState.PLANNED}
)
"""States of an item never sent: a resume runs it afresh."""

_UNSETTLED_WORDS = frozenset({JournalEvent.UNKNOWN, JournalEvent.INTERRUPTED})
_UNSENT_WORDS = frozenset(
    {JournalEvent.NOT_STARTED, JournalEvent.PREFLIGHT_FAILED, JournalEvent.PLANNED}
)
_STATE_OF_WORD = {
    JournalEvent.UNKNOWN: ItemState.UNKNOWN,
    JournalEvent.INTERRUPTED: ItemState.INTERRUPTED,
    JournalEvent.NOT_STARTED: ItemState.NOT_STARTED,
    JournalEvent.PREFLIGHT_FAILED: ItemState.PREFLIGHT_FAILED,
    JournalEvent.PLANNED: ItemState.PLANNED,
    JournalEvent.ONLINE: ItemState.ONLINE,
    JournalEvent.SUBMITTED_ONLY: ItemState.SUBMITTED,
}


def project(
    journal: JournalState,
    plan_items: Iterable[PlanItem] | None,
    context: RunContext,
    *,
    item_count: int | None = None,
) -> Iterator[ReportEntry]:
    """The report entries of the run ``journal`` records: one per item of
    ``plan_items`` in its order, then any item the journal knows and the plan does
    not (without a plan: every item the journal knows, sources unknown).

    If the plan cannot be read to its end (its restore list was damaged), the items
    past that point (up to ``item_count``) are entries of their position alone.
    """
    known = dict(journal.items)
    if plan_items is not None:
        iterator = iter(plan_items)
        index = 0
        while True:
            try:
                plan_item = next(iterator)
            except StopIteration:
                break
            except Exception as error:
                reason = f"not started: the plan could not be read any further: {error}"
                for position in range(index + 1, (item_count or index) + 1):
                    yield unreadable_entry(position, reason)
                break
            index = plan_item.index
            yield item_entry(journal, known.pop(plan_item.key, None), plan_item, context)
    for item in known.values():
        yield item_entry(journal, item, None, context)


def item_entry(
    journal: JournalState,
    item: ItemJournal | None,
    plan_item: PlanItem | None,
    context: RunContext,
) -> ReportEntry:
    """The entry of one item: what its events (``item``, None if it has none) come to."""
    key = plan_item.key if plan_item is not None else item.key if item is not None else "?"
    events = item.events if item is not None else []
    final = item.final if item is not None else None
    submittings = [e for e in events if e.event is JournalEvent.SUBMITTING]
    sends = _sends(events)
    state, word, error = _state(journal, events, final, sends)
    last = final or word
    submitted = _last(events, {JournalEvent.SUBMITTED})
    seen = [e for e in events if e.event is JournalEvent.SEEN]
    cleaned = _last(events, {JournalEvent.CLEANED})
    with_attempts = next((e for e in reversed(events) if e.submit_attempts is not None), None)
    submission = (last.submission if last else None) or (submitted.outcome if submitted else None)
    restore_time = (
        (submittings[-1].restore_time if submittings else None)
        or (word.restore_time if word else None)
        or (plan_item.restore_time if plan_item else None)
    )
    reconciled = any(e.reconcile for e in submittings)
    recovery = last.recovery_seconds if last else None
    request_id = (item.request_id if item else None) or context.request_id(key)
    return _entry(
        key=key,
        plan_item=plan_item,
        state=state,
        request_id=request_id,
        restore_time=restore_time.isoformat() if restore_time else _unresolved(plan_item),
        tenant_id=(last.tenant_id if last else None)
        or (submitted.tenant_id if submitted else None)
        or (seen[-1].tenant_id if seen else None),
        submission=submission,
        attempts=with_attempts.submit_attempts or () if with_attempts else (),
        submitted_at=_submitted_at(state, last, submitted, sends),
        first_seen_at=(last.first_seen_at if last else None) or (seen[0].t if seen else None),
        finished_at=last.finished_at if last else None,
        recovery_seconds=recovery,
        recovery_lower_seconds=last.recovery_lower_seconds if last else None,
        met_rto=last.met_rto if last else None,
        rto_verdict=last.rto_verdict if last else None,
        last_status=(last.last_status if last else None) or (seen[-1].status if seen else None),
        cleaned=cleaned,
        error=error,
        data=last.data if last else None,
        resumed=_resumed(journal, final, sends),
        recovery_note=RESUMED_NOTE if reconciled and recovery is not None else None,
        cleanup_due=final.hold_until if final else None,
        **_restore_point(journal, events, plan_item, context),
    )


def _unresolved(plan_item: PlanItem | None) -> str | None:
    """The restore time of an item whose point was never resolved, as the plan says it."""
    if plan_item is None:
        return None
    return plan_item.random_point.describe() if plan_item.random_point else "latest"


def _restore_point(
    journal: JournalState,
    events: list[ItemRecord],
    plan_item: PlanItem | None,
    context: RunContext,
) -> dict[str, Any]:
    """How the item's restore point was chosen (a draw, or as sent; else as planned),
    and the seed a random one was drawn with."""
    recorded = (
        e.restore_point_choice
        for e in reversed(events)
        if e.event in (JournalEvent.CHOSEN, JournalEvent.SUBMITTING)
        and e.restore_point_choice is not None
    )
    choice = next(recorded, None) or (plan_item.restore_point_choice if plan_item else None)
    if choice is None:
        return {}
    seed = journal.run.seed
    random = choice is RestorePointChoice.RANDOM
    return {
        "restore_point_choice": choice,
        "restore_point_seed": (seed if seed is not None else context.seed) if random else None,
    }


def _sends(events: list[ItemRecord]) -> list[ItemRecord]:
    """The item's ``submitting`` events whose request may have left: all but those its
    run then called ``not_started`` (that run's batch knows nothing was sent)."""
    return [
        e
        for number, e in enumerate(events)
        if e.event is JournalEvent.SUBMITTING
        and not any(
            later.event is JournalEvent.NOT_STARTED and later.segment == e.segment
            for later in events[number + 1 :]
        )
    ]


def _state(
    journal: JournalState,
    events: list[ItemRecord],
    final: ItemRecord | None,
    sends: list[ItemRecord],
) -> tuple[ItemState, ItemRecord | None, str | None]:
    """The item's state, the event that says so short of a final one, and its error."""
    if final is not None:
        return final.state or _STATE_OF_WORD.get(final.event, ItemState.UNKNOWN), None, final.error
    word = next(
        (
            e
            for e in reversed(events)
            if e.event in _UNSETTLED_WORDS
            or (e.event in _UNSENT_WORDS and e.segment == journal.segment)
        ),
        None,
    )
    if word is not None and word.event is JournalEvent.NOT_STARTED and sends:
        # An earlier run sent it, and this one stopped before looking: it may exist.
        word = _last(events, _UNSETTLED_WORDS)
    if word is not None:
        state = word.state or _STATE_OF_WORD[word.event]
        return state, word, word.error or (UNSETTLED if sends else None)
    if sends:
        return ItemState.UNKNOWN, None, UNSETTLED
    reason = f"not started: {journal.stop_reason}" if journal.stop_reason else NEVER_SENT
    return ItemState.NOT_STARTED, None, reason


def _submitted_at(
    state: ItemState,
    last: ItemRecord | None,
    submitted: ItemRecord | None,
    sends: list[ItemRecord],
) -> datetime | None:
    """When its first request left (the clock of its recovery time); None if none did."""
    if state in NEVER_SENT_STATES or not sends:
        return None
    return (
        (last.submitted_at if last else None)
        or (submitted.submitted_at if submitted else None)
        or sends[0].t
    )


def _resumed(journal: JournalState, final: ItemRecord | None, sends: list[ItemRecord]) -> bool:
    """Settled by an earlier run, or sent by one and settled by none since."""
    if final is not None:
        return final.segment < journal.segment
    return bool(sends) and sends[0].segment < journal.segment


def _last(
    events: list[ItemRecord], kinds: set[JournalEvent] | frozenset[JournalEvent]
) -> ItemRecord | None:
    return next((e for e in reversed(events) if e.event in kinds), None)


def _attempt(attempt: AttemptRecord) -> Attempt:
    return Attempt(
        number=attempt.number,
        started_at=attempt.started_at,
        finished_at=attempt.finished_at,
        result=attempt.result or "",
        status=attempt.status,
        ambiguous=attempt.ambiguous,
        looked_up=attempt.looked_up,
        sent=attempt.sent,
        wait_after=attempt.wait_after,
        error=attempt.error,
    )


def _cleanup(event: ItemRecord | None) -> Cleanup | None:
    if event is None:
        return None
    return Cleanup(
        tenant_id=event.tenant_id, deleted=bool(event.deleted), at=event.t, error=event.error
    )


def _data(recorded: dict[str, Any] | None, key: str) -> DataOutcome | None:
    """The data verdict a final event recorded (its JSON: the names the report uses)."""
    if recorded is None:
        return None
    return from_json(recorded, DataOutcome, where=f"journal, data of {key}")


def _entry(
    *,
    key: str,
    plan_item: PlanItem | None,
    attempts: tuple[AttemptRecord, ...],
    cleaned: ItemRecord | None,
    recovery_seconds: float | None,
    data: dict[str, Any] | None,
    **fields: Any,
) -> ReportEntry:
    """The one place a report entry is made: from the plan item (its identity and
    RTO target) and what the journal says of it."""
    if plan_item is not None:
        request = plan_item.template
        identity: dict[str, Any] = {
            "index": plan_item.index,
            "source_instance_id": request.source_instance_id,
            "source_tenant_id": request.source_tenant_id,
            "target_instance_id": request.target_instance_id,
            "target_tenant_name": request.target_tenant_name,
            "rto_seconds": plan_item.rto_seconds,
        }
    else:  # without the plan, only the target is known (the key names it)
        target_instance, _, target_name = key.partition("/")
        identity = {
            "index": None,
            "source_instance_id": "?",
            "source_tenant_id": "?",
            "target_instance_id": target_instance,
            "target_tenant_name": target_name,
        }
    return ReportEntry(
        key=key,
        **identity,
        attempts=tuple(_attempt(attempt) for attempt in attempts),
        cleanup=_cleanup(cleaned),
        data=_data(data, key),
        recovery_seconds=recovery_seconds,
        recovery_upper_seconds=recovery_seconds,
        **fields,
    )


def unreadable_entry(index: int, reason: str) -> ReportEntry:
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


def submission_entry(result: ItemResult) -> ReportEntry:
    """The report entry of one restore submitted outside a drill (``ob-restore
    submit``): the projection of the records a drill's journal would hold of it."""
    item, submission = result.item, result.submission
    now = submission.first_attempt_at if submission is not None else None
    records: list[ItemRecord] = []
    if submission is not None:
        records.append(attrs.evolve(submitting_record(item, submission), t=now))
    records.append(
        attrs.evolve(final_record(result), t=result.restore.finished_at if result.restore else now)
    )
    if result.cleanup is not None:
        records.append(attrs.evolve(cleaned_record(item.key, result.cleanup), t=result.cleanup.at))
    context = RunContext(run_id="submit", started_at=now or datetime.now(UTC))
    plan_item = PlanItem(
        index=0,
        key=item.key,
        line=None,
        instance_id=item.instance_id,
        template=item.request,
        restore_time=item.request.restore_time,
        rto_seconds=item.rto_seconds,
    )
    journal = JournalState(path=None, run=RunRecord(run_id=context.run_id), items={}).extended(
        records
    )
    entry = item_entry(journal, journal.items.get(item.key), plan_item, context)
    return attrs.evolve(entry, index=None)
