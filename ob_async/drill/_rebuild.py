"""A drill's report rebuilt from its journal (``ob-restore report JOURNAL``).

The journal holds every state change of every item, so the report can be
rebuilt after the fact, also when the run crashed or was interrupted: its
entries are the projection of the journal (:mod:`ob_async.drill._projection`),
the same the run itself reported. Without the plan, the items never sent are not
known, nor the source of each restore (the journal records targets and
requestIds, not sources).
"""

from __future__ import annotations

from pathlib import Path

from ob_async.batch._item import ItemState
from ob_async.drill._journal import read_journal
from ob_async.drill._plan import DrillPlan
from ob_async.drill._projection import UNSETTLED_STATES, project
from ob_async.drill._report import DrillReport
from ob_async.drill._report.control_facts import RunScope
from ob_async.errors import InvalidInputError


def report_from_journal(
    path: Path, *, plan: DrillPlan | None = None, endpoint: str = "", journal_name: str = ""
) -> DrillReport:
    """The report of the run the journal ``path`` records (with ``plan``: every item of it);
    its notes call the journal ``journal_name`` (default: ``the journal PATH``)."""
    state = read_journal(path)
    run = state.run
    context = state.run_context()
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
    )
    report.controls.scope = RunScope.of_record(run, plan)
    report.notes.append(f"rebuilt from {journal_name or f'the journal {path}'}")
    if state.torn_lines:
        report.notes.append("the journal's last line was torn (the run crashed mid-write)")
    unsettled = 0
    items = plan.items(context) if plan is not None else None
    count = plan.item_count if plan is not None else None
    for entry in project(state, items, context, item_count=count):
        unsettled += entry.state in UNSETTLED_STATES or entry.state is ItemState.NOT_STARTED
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
