"""The drill: a validated plan of restores, run through the batch runner, journaled
before each submission, resumable, and reported (JSON, JUnit).

Public: what ``__all__`` lists (load a plan, run it, write its reports); the
modules inside are internal.
"""

from ob_async._extras import require_extra

require_extra("cli", "ob_async.drill (plans, drills and their reports)")

from ob_async.drill._plan import (  # noqa: E402
    DrillPlan,
    PlanError,
    PlanItem,
    RestorePointChoice,
    RunContext,
    load_plan,
)
from ob_async.drill._renderers import write_reports  # noqa: E402
from ob_async.drill._report import DrillReport, ReportEntry  # noqa: E402
from ob_async.drill._runner import DrillEvents, DrillOptions, DrillRunner  # noqa: E402

__all__ = [
    "DrillEvents",
    "DrillOptions",
    "DrillPlan",
    "DrillReport",
    "DrillRunner",
    "PlanError",
    "PlanItem",
    "ReportEntry",
    "RestorePointChoice",
    "RunContext",
    "load_plan",
    "write_reports",
]
