"""Building one :class:`PlanItem` from a restore as written: merge the defaults,
convert the types, render the templates, check the values; every problem placed
at its file, line and field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from ob_async._wire.codec import parse_aware_time
from ob_async._wire.models import RestoreMode, RestoreObjectType, RestoreRequest, TenantResource
from ob_async._wire.names import resource_problem, tenant_name_problem
from ob_async.drill._plan.data_checks import DataPlan
from ob_async.drill._plan.item import PlanItem, RunContext
from ob_async.drill._plan.problems import PlanProblem
from ob_async.drill._plan.restore_point import LATEST, RandomPoint, parse_random
from ob_async.drill._plan.schema import (
    ITEM_DEFAULTS,
    NON_EMPTY_ITEM_KEYS,
    REQUIRED_ITEM_KEYS,
    typed_item,
)
from ob_async.drill._plan.templates import TEMPLATED_KEYS, render
from ob_async.errors import InvalidInputError


@attrs.frozen
class ItemPlace:
    """Where a restore is written: its 1-based index in the plan, its line and file."""

    index: int
    line: int | None
    file: str


@attrs.frozen(kw_only=True)
class Rendering:
    """What every item of one pass is rendered with."""

    drill_name: str
    default_rto: float | None
    context: RunContext
    default_hold: float | None = None
    """The plan's ``[drill] hold``: how long restored tenants are kept for validation."""
    now: datetime | None = None
    """The time a fixed restore_time must not be after (None: the clock's)."""
    data: DataPlan | None = None
    """The plan's data sections: what to verify in each restored tenant."""


Where = Callable[[str], tuple[str, int | None, str]]
"""Where a problem with a key of an item is reported: (file, line, field)."""


def build_item(
    raw: Mapping[str, Any],
    defaults: Mapping[str, Any],
    place: ItemPlace,
    rendering: Rendering,
    where: Where | None = None,
) -> tuple[PlanItem | None, list[PlanProblem]]:
    """Render and validate one restore. Problems of key names and types are the
    key check's to report: such a key is skipped here, the others still checked."""
    problems: list[PlanProblem] = []

    def problem(field: str, message: str) -> None:
        if where is None:
            file, line, name = place.file, place.line, f"restore[{place.index}].{field}"
        else:
            file, line, name = where(field)
        problems.append(PlanProblem(file, line, name, message))

    merged: dict[str, Any] = {**ITEM_DEFAULTS, **defaults, **raw}
    for key in REQUIRED_ITEM_KEYS:
        if key not in merged:
            problem(key, "missing (set it in the restore or in [defaults])")
    typed, mistyped = typed_item(merged)
    started = rendering.context.started_at
    fields = {
        "drill": rendering.drill_name,
        "date": started.strftime("%Y%m%d"),
        "time": started.strftime("%H%M%S"),
        "run": rendering.context.run_id,
        "index": str(place.index),
        "source_instance_id": typed.get("source_instance_id", ""),
        "source_tenant_id": typed.get("source_tenant_id", ""),
        "target_instance_id": typed.get("target_instance_id", ""),
    }
    restore_point = _check_values(typed, fields, rendering.now, problem)
    restore_time = restore_point if isinstance(restore_point, datetime) else None
    if problems or mistyped:
        return None, problems
    try:
        resource = TenantResource(
            cpu=typed["cpu"], memory=typed["memory"], unit_num=typed["unit_num"]
        )
    except InvalidInputError as error:
        problem(error.where or "cpu", error.reason)
    data = (
        rendering.data.for_item(typed, problem, latest=restore_point is None)
        if rendering.data is not None
        else None
    )
    if problems:
        return None, problems
    target_instance = typed["target_instance_id"]
    name = typed["target_tenant_name"]
    try:
        request = _request(typed, resource, restore_time or started)
    except InvalidInputError as error:  # what the plan's own checks let through
        problem(error.where or "restore", error.reason)
        return None, problems
    item = PlanItem(
        index=place.index,
        key=f"{target_instance}/{name}",
        line=place.line,
        instance_id=typed.get("instance_id") or target_instance,
        template=request,
        restore_time=restore_time,
        rto_seconds=typed.get("rto", rendering.default_rto),
        data=data,
        random_point=restore_point if isinstance(restore_point, RandomPoint) else None,
        hold_seconds=typed.get("hold", rendering.default_hold),
    )
    return item, []


def _request(
    typed: Mapping[str, Any], resource: TenantResource, moment: datetime
) -> RestoreRequest:
    """The item's restore request at ``moment`` (the wire model checks it once more)."""
    return RestoreRequest(
        source_instance_id=typed["source_instance_id"],
        source_tenant_id=typed["source_tenant_id"],
        target_instance_id=typed["target_instance_id"],
        target_tenant_name=typed["target_tenant_name"],
        target_tenant_primary_zone=typed["target_tenant_primary_zone"],
        restore_time=moment,
        tenant_resource=resource,
        target_tenant_description=typed["description"],
        from_remote=typed["from_remote"],
        restore_object_type=typed["restore_object_type"],
        restore_objects=tuple(typed["restore_objects"]),
        restore_mode=typed["restore_mode"],
    )


def _check_values(
    typed: dict[str, Any],
    fields: Mapping[str, str],
    now: datetime | None,
    problem: Callable[[str, str], None],
) -> datetime | RandomPoint | None:
    """Check (and render, convert in place) the values of the well-typed keys of an
    item; return its restore point (None: "latest", or a problem)."""
    unrendered = set()
    for key in TEMPLATED_KEYS:
        if key in typed:
            try:
                typed[key] = render(typed[key], fields)
            except ValueError as error:
                problem(key, str(error))
                unrendered.add(key)
    for key, enum_type in (
        ("restore_mode", RestoreMode),
        ("restore_object_type", RestoreObjectType),
    ):
        if key in typed:
            try:
                typed[key] = enum_type(typed[key])
            except ValueError:
                allowed = ", ".join(member.value for member in enum_type)
                problem(key, f"unknown value {typed[key]!r}; expected one of {allowed}")
    for key in ("cpu", "memory", "unit_num"):
        wrong = resource_problem(key, typed[key]) if key in typed else None
        if wrong is not None:
            problem(key, wrong)
    for key in NON_EMPTY_ITEM_KEYS:
        if key in typed and not typed[key].strip():
            problem(key, "must not be empty")
    name = typed.get("target_tenant_name")
    rendered = "target_tenant_name" not in unrendered
    wrong_name = tenant_name_problem(name) if rendered and name and name.strip() else None
    if wrong_name is not None:
        problem("target_tenant_name", wrong_name)
    if "restore_time" not in typed:
        return None
    return _restore_time(typed["restore_time"], now, problem)


def _restore_time(
    text: str, now: datetime | None, problem: Callable[[str, str], None]
) -> datetime | RandomPoint | None:
    if text.strip().lower() == LATEST:
        return None
    try:
        random_point = parse_random(text)
    except ValueError as error:
        problem("restore_time", str(error))
        return None
    if random_point is not None:
        return random_point
    try:
        moment = parse_aware_time(text)
    except ValueError as error:
        problem("restore_time", f'{error} (or "latest", "random" or "random within 7d")')
        return None
    if moment > (now or datetime.now(UTC)):
        problem("restore_time", f"{text} is in the future")
    return moment
