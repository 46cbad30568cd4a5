"""Drill plans: a TOML file of defaults and restores, validated whole before anything runs.

A plan (see ``examples/weekly-drill.toml`` for a commented one) has three parts:

- ``[drill]``: the drill's name and run-wide settings (RTO target, wait
  timeout, parallelism, rate cap, clean-up, poll intervals, a simulator fixture and
  the MySQL address its tenants report).
- ``[defaults]``: values every restore inherits.
- ``[[restore]]`` tables, one per restore, and/or ``restore_list = "FILE"`` in
  ``[drill]``: a JSON-lines file of restores (one JSON object a line, same keys),
  read lazily so that a plan of 100,000 restores is never held in memory.

Values may use templates: ``{drill}``, ``{date}`` (YYYYMMDD of the run's start,
UTC), ``{time}`` (HHMMSS), ``{run}`` (the run id), ``{index}`` (1-based),
``{source_instance_id}``, ``{source_tenant_id}``, ``{target_instance_id}``.
``restore_time`` is an ISO-8601 time with a zone, ``"latest"`` (the end of
the newest restorable window, resolved when the drill runs) or ``"random"`` /
``"random within 7d"`` (a uniformly random point of the windows, drawn when the
item is sent, with the run's ``seed``). ``hold`` keeps restored tenants for
manual validation. Durations are seconds or ``"90s"``, ``"15m"``, ``"1h30m"``,
``"7d"``.

The package is split by job: ``durations``, ``restore_point`` (how a restore
point is chosen), ``problems`` (PlanProblem, PlanError), ``schema`` (keys,
types, defaults, conversion), ``reading`` (TOML and JSON lines), ``lines``
(where a key is written), ``templates``, ``item`` (PlanItem, RunContext),
``build`` (one item from its raw keys), ``drill_plan`` (DrillPlan), ``checker``
(every problem, duplicate targets) and ``loader`` (:func:`load_plan`).

:func:`load_plan` reads the file and checks every item (a streaming pass for
a restore list), collecting every problem with its file, line and field into one
:class:`PlanError`. Nothing is sent before a plan has passed.
"""

from ob_async.drill._plan.drill_plan import DrillPlan
from ob_async.drill._plan.durations import parse_duration
from ob_async.drill._plan.item import PlanItem, RunContext
from ob_async.drill._plan.loader import load_plan
from ob_async.drill._plan.problems import MAX_PROBLEMS_SHOWN, PlanError, PlanProblem
from ob_async.drill._plan.reading import MAX_PLAN_BYTES
from ob_async.drill._plan.restore_point import LATEST, RandomPoint, RestorePointChoice
from ob_async.drill._plan.schema import (
    DRILL_KEYS,
    ITEM_DEFAULTS,
    ITEM_KEYS,
    REQUIRED_ITEM_KEYS,
)

__all__ = [
    "DRILL_KEYS",
    "ITEM_DEFAULTS",
    "ITEM_KEYS",
    "LATEST",
    "MAX_PLAN_BYTES",
    "MAX_PROBLEMS_SHOWN",
    "REQUIRED_ITEM_KEYS",
    "DrillPlan",
    "PlanError",
    "PlanItem",
    "PlanProblem",
    "RandomPoint",
    "RestorePointChoice",
    "RunContext",
    "load_plan",
    "parse_duration",
]
