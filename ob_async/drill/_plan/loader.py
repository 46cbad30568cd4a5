""":func:`load_plan`: read a plan file, check it whole, and return the
:class:`DrillPlan` or raise one :class:`PlanError` listing every problem."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import attrs

from ob_async._wire.addresses import Endpoint
from ob_async.drill._plan.checker import PlanChecker
from ob_async.drill._plan.data_checks import read_data_plan
from ob_async.drill._plan.drill_plan import DrillPlan
from ob_async.drill._plan.lines import LineFinder
from ob_async.drill._plan.problems import PlanError
from ob_async.drill._plan.reading import beside, read_toml
from ob_async.drill._plan.schema import DRILL_KEYS, ITEM_KEYS
from ob_async.drill._plan.tally import PlanTally


def load_plan(
    path: str | Path,
    *,
    now: datetime | None = None,
    environ: Mapping[str, str] | None = None,
    simulated: bool = False,
) -> DrillPlan:
    """Read and validate a plan; raise :class:`PlanError` naming every problem.

    ``environ`` (default the process's) holds the tenant password variable; with
    ``simulated``, an unset one stands for the simulator's demo password.
    """
    file = Path(path)
    raw_bytes, document, text = read_toml(file)
    lines = LineFinder(text)
    reader = PlanChecker(str(file), lines)
    reader.check_sections(document)
    drill = reader.table(document, "drill")
    defaults = reader.table(document, "defaults")
    settings = reader.check_keys(drill, DRILL_KEYS, "drill", lambda key: lines.key("drill", key))
    reader.check_keys(defaults, ITEM_KEYS, "defaults", lambda key: lines.key("defaults", key))
    reader.check_settings(settings)
    restores = document.get("restore", [])
    misshapen = not isinstance(restores, list) or not all(isinstance(r, dict) for r in restores)
    if misshapen:
        reader.add(lines.top_level("restore"), "restore", "must be [[restore]] tables")
        restores = []
    restore_list = beside(file, settings.get("restore_list"))
    fixture = beside(file, settings.get("simulator_fixture"))
    if fixture is not None and not fixture.is_file():
        reader.add(
            lines.key("drill", "simulator_fixture"),
            "drill.simulator_fixture",
            f"not a file: {fixture}" if fixture.exists() else f"no such file: {fixture}",
        )
    sql_address = settings.get("simulator_sql_address")
    if sql_address is not None:
        try:
            Endpoint.parse(sql_address)
        except ValueError as error:
            reader.add(
                lines.key("drill", "simulator_sql_address"),
                "drill.simulator_sql_address",
                str(error),
            )
    data = read_data_plan(
        document, lines, reader.add, plan_file=file, environ=environ, simulated=simulated
    )
    if not restores and restore_list is None and not misshapen:
        reader.add(
            None,
            "restore",
            "the plan has no restores: add [[restore]] tables or [drill] restore_list",
        )
    plan = DrillPlan(
        path=file,
        name=settings.get("name") or file.stem,
        digest="",
        rto_seconds=settings.get("rto"),
        timeout_seconds=settings.get("timeout") or 90 * 60.0,
        concurrency=settings.get("concurrency") or 16,
        restoring_per_instance=settings.get("restoring_per_instance") or 64,
        rate=settings.get("rate"),
        burst=settings.get("burst") or 1,
        cleanup=bool(settings.get("cleanup", False)),
        validate=bool(settings.get("validate", True)),
        zone_check=bool(settings.get("zone_check", True)),
        require_segregation=bool(settings.get("require_segregation", False)),
        poll_initial=settings.get("poll_initial"),
        poll_max=settings.get("poll_max"),
        simulator_fixture=fixture,
        item_count=0,
        defaults=defaults,
        inline=tuple((lines.array_table("restore", i), r) for i, r in enumerate(restores)),
        restore_list=restore_list,
        data=data,
        simulator_sql_address=sql_address,
        seed=settings.get("seed"),
        hold_seconds=settings.get("hold"),
    )
    digest = hashlib.sha256(raw_bytes)
    tally = PlanTally()
    count = reader.check_items(plan, defaults, digest, now, tally)
    if plan.require_segregation:
        unsegregated = tally.segregation_problem(
            str(file), lines.key("drill", "require_segregation")
        )
        if unsegregated is not None:
            reader.problems.append(unsegregated)
    if count == 0 and not reader.problems:  # e.g. a restore_list of comments only
        reader.add(
            lines.key("drill", "restore_list"),
            "drill.restore_list",
            f"{restore_list} holds no restores (only blank or comment lines): "
            "a drill of nothing would pass as green",
        )
    if reader.problems:  # in reading order: the plan's lines, then the restore list's
        raise PlanError(
            sorted(reader.problems, key=lambda p: (p.file != str(file), p.file, p.line or 0))
        )
    return attrs.evolve(
        plan,
        digest=digest.hexdigest(),
        item_count=count,
        instance_pairs=tally.instance_pairs(),
        restore_points=tally.restore_points(),
    )
