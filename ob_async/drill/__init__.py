"""The drill: a validated plan of restores, run through the batch runner, journaled
before each submission, resumable, and reported (JSON, JUnit).

Public: what ``__all__`` lists (load a plan, run it, write its reports); the
modules inside are internal.
"""

from ob_async.drill.plan import DrillPlan, PlanError, PlanItem, RunContext, load_plan
from ob_async.drill.report import DrillReport, ReportEntry, write_reports
from ob_async.drill.runner import DrillEvents, DrillOptions, DrillRunner

__all__ = [
    "DrillEvents",
    "DrillOptions",
    "DrillPlan",
    "DrillReport",
    "DrillRunner",
    "PlanError",
    "PlanItem",
    "ReportEntry",
    "RunContext",
    "load_plan",
    "write_reports",
]
