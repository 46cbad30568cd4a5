"""The :class:`DrillPlan`: a validated plan's run-wide settings, and its restores,
rendered for a run and read lazily (a restore list is never held in memory)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from ob_async._restore import PollConfig
from ob_async.drill._plan.build import ItemPlace, Rendering, build_item
from ob_async.drill._plan.data_checks import DataPlan
from ob_async.drill._plan.item import InstancePair, PlanItem, RunContext
from ob_async.drill._plan.problems import PlanError, PlanProblem
from ob_async.drill._plan.reading import RawItem, read_restore_list
from ob_async.drill._plan.restore_point import RestorePointChoice


@attrs.frozen(kw_only=True)
class DrillPlan:
    path: Path
    name: str
    digest: str
    """SHA-256 of the plan file (and its restore list): a resume must use the same plan."""
    rto_seconds: float | None
    timeout_seconds: float
    concurrency: int
    restoring_per_instance: int
    rate: float | None
    burst: int
    cleanup: bool
    validate: bool
    """Check each restored tenant's detail against the request (see ob_async._restore.validate)."""
    zone_check: bool
    """Refuse the plan when an item's zone is not one its target instance offers."""
    poll_initial: float | None
    poll_max: float | None
    simulator_fixture: Path | None
    item_count: int
    _defaults: Mapping[str, Any]
    _inline: tuple[tuple[int | None, Mapping[str, Any]], ...]
    _restore_list: Path | None
    data: DataPlan | None = None
    """The data sections ([tenant_login], [rpo], [[check]]), checked."""
    simulator_sql_address: str | None = None
    """With ``--simulate``: the MySQL address (``HOST:PORT``) the simulated tenants report,
    a server the user runs, instead of the simulator's own."""
    require_segregation: bool = False
    """Refuse the plan when a restore's target instance is its source instance."""
    instance_pairs: tuple[InstancePair, ...] = ()
    """Every distinct source -> target instance pair of the restores, with its count."""
    restore_points: Mapping[str, int] = attrs.field(factory=dict)
    """How many restores have their restore point chosen each way (``latest``, ...)."""
    seed: int | None = None
    """``[drill] seed``: what random restore points are drawn from (``--seed`` overrides)."""
    hold_seconds: float | None = None
    """``[drill] hold``: how long restored tenants are kept for validation (items may override)."""

    @property
    def random_items(self) -> int:
        """How many restores ask for a random restore point (they need a seed)."""
        return self.restore_points.get(RestorePointChoice.RANDOM.value, 0)

    def poll_config(self) -> PollConfig | None:
        """The plan's poll intervals, or None to keep the client's."""
        if self.poll_initial is None and self.poll_max is None:
            return None
        initial = self.poll_initial or 5.0
        return PollConfig(
            initial_interval=initial, max_interval=max(initial, self.poll_max or 30.0)
        )

    def rendering(self, context: RunContext, now: datetime | None = None) -> Rendering:
        """What this plan's items are rendered with in the run ``context``."""
        return Rendering(
            drill_name=self.name,
            default_rto=self.rto_seconds,
            default_hold=self.hold_seconds,
            context=context,
            now=now,
            data=self.data,
        )

    def items(self, context: RunContext) -> Iterator[PlanItem]:
        """Every restore, rendered for ``context``, read lazily (already validated)."""
        rendering = self.rendering(context)
        for index, (line, raw, source) in enumerate(self.raw_items(), start=1):
            item, problems = build_item(
                raw, self._defaults, ItemPlace(index, line, source), rendering
            )
            if item is None:
                raise PlanError(problems)
            yield item

    @property
    def input_files(self) -> tuple[tuple[str, Path], ...]:
        """The files the plan is read from, each with what it is: the plan itself, its
        restore list, its simulator fixture."""
        named = (
            ("plan", self.path),
            ("restore list", self._restore_list),
            ("simulator fixture", self.simulator_fixture),
        )
        return tuple((name, path) for name, path in named if path is not None)

    def raw_items(self, problems: list[PlanProblem] | None = None) -> Iterator[RawItem]:
        """Every restore as written, the inline ones first. A bad line of the restore
        list raises PlanError, or, given ``problems``, is recorded there."""
        for line, raw in self._inline:
            yield line, raw, str(self.path)
        if self._restore_list is not None:
            yield from read_restore_list(self._restore_list, problems)
