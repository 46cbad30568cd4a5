"""The report entries of plan items that did not end in this run's batch: planned
in a dry run, refused by the pre-flight, never started because the drill stopped,
or unreadable (only their position in the plan is known).
"""

from __future__ import annotations

from datetime import datetime

from ob_async.batch._item import ItemState
from ob_async.drill._plan import PlanItem, RunContext
from ob_async.drill._report import ReportEntry


def plan_entry(
    plan_item: PlanItem,
    state: ItemState,
    error: str | None,
    context: RunContext,
    restore_time: datetime | None = None,
) -> ReportEntry:
    """The entry of a plan item, with its requestId in the run and its restore time
    (``latest`` or ``random``, as written, when it was never resolved)."""
    moment = restore_time or plan_item.restore_time
    unresolved = plan_item.random_point.describe() if plan_item.random_point else "latest"
    entry = ReportEntry.of_plan_item(
        plan_item,
        state,
        request_id=context.request_id(plan_item.key),
        restore_time=moment.isoformat() if moment else unresolved,
        error=error,
    )
    return entry.with_restore_point(plan_item.restore_point_choice, context.seed)


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
