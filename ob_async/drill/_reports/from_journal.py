"""Report entries from the journal: for a resumed run's settled items, and for rebuilding a report.

The journal holds every state change of every item that was sent, so a report
can be rebuilt from it after the fact (``ob-restore report JOURNAL``), also
when the run crashed or was interrupted: items that settled are reported as
they settled; items sent but never settled as ``unknown`` (or as the journal
last recorded them); with the plan at hand, items never sent as
``not_started``. Without the plan, the source of each restore is not known
(the journal records targets and requestIds, not sources).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from ob_async.batch._item import ItemState
from ob_async.drill._journal import ItemJournal, JournalState, read_journal
from ob_async.drill._journal_record import ItemRecord, JournalEvent
from ob_async.drill._plan import DrillPlan, PlanItem, RunContext
from ob_async.drill._plan.restore_point import RestorePointChoice
from ob_async.drill._report import Cleanup, DataOutcome, DrillReport, ReportEntry
from ob_async.drill._report.control_facts import RunScope
from ob_async.drill._report.convert import from_json
from ob_async.errors import InvalidInputError

UNSETTLED = (
    "the run ended before this restore settled (a crash, or a second Ctrl-C); "
    "resume the run (--resume) to find out how it ended"
)
NEVER_SENT = (
    "not in the journal: never sent (the run ended before reaching it, or it failed its "
    "pre-flight checks)"
)

_UNSETTLED_STATES = frozenset({ItemState.UNKNOWN, ItemState.INTERRUPTED, ItemState.NOT_STARTED})


def entry_from_journal(
    known: ItemJournal,
    plan_item: PlanItem | None,
    *,
    cleaned: ItemRecord | None = None,
    resumed: bool = False,
    seed: int | None = None,
) -> ReportEntry:
    """The report entry of an item as its journal records it.

    ``cleaned`` overrides the journal's ``cleaned`` event (a resume that has
    just cleaned the tenant up); ``seed`` is the run's (random restore points).
    """
    final = known.final
    last = final or _last_state_event(known)
    seen = [event for event in known.events if event.event is JournalEvent.SEEN]
    submitting = known.last(JournalEvent.SUBMITTING)
    submitted = known.last(JournalEvent.SUBMITTED)
    state = last.state if last else None
    error = last.error if last else None
    if final is None:
        state, error = state or ItemState.UNKNOWN, error or UNSETTLED
    submission = (last.submission if last else None) or (submitted.outcome if submitted else None)
    cleanup = cleaned if cleaned is not None else known.last(JournalEvent.CLEANED)
    details: dict[str, Any] = {
        "request_id": known.request_id,
        "restore_time": _iso(submitting.restore_time) if submitting else None,
        "tenant_id": (last.tenant_id if last else None)
        or (submitted.tenant_id if submitted else None)
        or (seen[-1].tenant_id if seen else None),
        "submission": submission,
        "submitted_at": submitting.t if submitting else None,
        "first_seen_at": (last.first_seen_at if last else None) or (seen[0].t if seen else None),
        "finished_at": last.finished_at if last else None,
        "recovery_seconds": last.recovery_seconds if last else None,
        "recovery_lower_seconds": last.recovery_lower_seconds if last else None,
        "recovery_upper_seconds": last.recovery_seconds if last else None,
        "met_rto": last.met_rto if last else None,
        "rto_verdict": last.rto_verdict if last else None,
        "last_status": (last.last_status if last else None) or (seen[-1].status if seen else None),
        "cleanup": _cleanup(cleanup),
        "error": error,
        "data": _data(last.data, known.key) if last and last.data else None,
        "resumed": resumed,
        "cleanup_due": last.hold_until if last else None,
    }
    choice = _restore_point(known) or (plan_item.restore_point_choice if plan_item else None)
    if plan_item is not None:
        entry = ReportEntry.of_plan_item(plan_item, state or ItemState.UNKNOWN, **details)
        return entry.with_restore_point(choice, seed) if choice else entry
    target_instance, _, target_name = known.key.partition("/")
    entry = ReportEntry(
        key=known.key,
        index=None,
        source_instance_id="?",
        source_tenant_id="?",
        target_instance_id=target_instance,
        target_tenant_name=target_name,
        state=state or ItemState.UNKNOWN,
        **details,
    )
    return entry.with_restore_point(choice, seed) if choice else entry


def _restore_point(known: ItemJournal) -> RestorePointChoice | None:
    """How the journal says the item's restore point was chosen (a draw, or as sent)."""
    for event in (JournalEvent.CHOSEN, JournalEvent.SUBMITTING):
        record = known.last(event)
        if record is not None and record.restore_point_choice is not None:
            return record.restore_point_choice
    return None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _last_state_event(known: ItemJournal) -> ItemRecord | None:
    """The ``unknown`` or ``interrupted`` event an unsettled item ended with, if any."""
    return next(
        (
            e
            for e in reversed(known.events)
            if e.event in {JournalEvent.UNKNOWN, JournalEvent.INTERRUPTED}
        ),
        None,
    )


def _cleanup(event: ItemRecord | None) -> Cleanup | None:
    if event is None:
        return None
    return Cleanup(
        tenant_id=event.tenant_id, deleted=bool(event.deleted), at=event.t, error=event.error
    )


def _data(recorded: dict[str, Any], key: str) -> DataOutcome:
    """The data verdict a final event recorded (its JSON: the names the report uses)."""
    return from_json(recorded, DataOutcome, where=f"journal, data of {key}")


def report_from_journal(
    path: Path, *, plan: DrillPlan | None = None, endpoint: str = ""
) -> DrillReport:
    """The report of the run the journal ``path`` records (with ``plan``: every item of it)."""
    state = read_journal(path)
    run = state.run
    if run.run_id is None or run.started_at is None:
        raise InvalidInputError("has a damaged 'run' line", where=f"journal {path}")
    context = RunContext(run_id=run.run_id, started_at=run.started_at, seed=run.seed)
    if plan is not None and run.plan_digest != plan.digest:
        raise InvalidInputError(
            f"was not written by the plan {plan.path} (or the plan changed since)",
            where=f"journal {path}",
        )
    report = DrillReport(
        drill=run.drill or (plan.name if plan else "?"),
        run_id=context.run_id,
        plan=run.plan or (str(plan.path) if plan else ""),
        endpoint=endpoint,
        started_at=context.started_at,
        finished_at=state.ended_at or context.started_at,
        seed=run.seed,
    )
    report.controls.scope = RunScope.of_record(run, plan)
    report.notes.append(f"rebuilt from the journal {path}")
    if state.torn_lines:
        report.notes.append("the journal's last line was torn (the run crashed mid-write)")
    unsettled = 0
    for entry in _entries(state, plan, context):
        unsettled += entry.state in _UNSETTLED_STATES
        report.add(entry)
    expected = run.items
    missing = expected is not None and plan is None and expected > report.item_count
    if missing:
        report.notes.append(
            f"the plan has {expected} restore(s), the journal records {report.item_count}: "
            "pass --plan to report the others as not started"
        )
    report.interrupted = bool(unsettled) or missing
    return report


def _entries(
    state: JournalState, plan: DrillPlan | None, context: RunContext
) -> Iterator[ReportEntry]:
    items = dict(state.items)
    if plan is not None:
        for plan_item in plan.items(context):
            known = items.pop(plan_item.key, None)
            if known is not None:
                yield entry_from_journal(known, plan_item, seed=context.seed)
                continue
            yield ReportEntry.of_plan_item(
                plan_item,
                ItemState.NOT_STARTED,
                request_id=context.request_id(plan_item.key),
                error=NEVER_SENT,
            ).with_restore_point(plan_item.restore_point_choice, context.seed)
    for known in items.values():
        yield entry_from_journal(known, None, seed=context.seed)
