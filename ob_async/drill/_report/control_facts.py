"""The facts of a run that controls rest on, read once from each report entry and from
the run's record: the RTO and RPO targets and what was measured, the data checks run and
their outcome, the restore points and how they were chosen, and, for each source ->
target instance pair, whether the two differ. Counts are kept, never the entries, so a
report of 100,000 restores costs a few numbers here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from ob_async._restore.outcome import RtoVerdict
from ob_async._wire.codec import parse_time
from ob_async.batch._item import ItemState
from ob_async.drill._journal_record import RunRecord
from ob_async.drill._plan import DrillPlan
from ob_async.drill._plan.item import InstancePair
from ob_async.drill._report.entry import DataOutcome, ReportEntry

_NOT_RUN_STATES = frozenset({ItemState.PLANNED, ItemState.NOT_STARTED, ItemState.PREFLIGHT_FAILED})
"""Entries whose restore was never sent: they test nothing."""


@attrs.frozen(kw_only=True)
class RecoveryTimeFacts:
    targets_seconds: tuple[float, ...]
    """The distinct RTO targets of the restores that ran."""
    with_target: int
    met: int
    missed: int
    uncertain: int
    """Of the missed: the target falls inside the interval ONLINE is known to lie in."""
    worst_seconds: float | None


@attrs.frozen(kw_only=True)
class RecoveryPointFacts:
    targets_seconds: tuple[float, ...]
    measured: int
    met: int
    missed: int
    not_measured: int
    worst_seconds: float | None


@attrs.frozen(kw_only=True)
class DataCheckFacts:
    restores_checked: int
    checks_run: int
    passed: int
    failed: int


@attrs.frozen(kw_only=True)
class RestorePointFacts:
    by_choice: dict[str, int] | None
    """How the plan chose them (``explicit``, ``latest``, ...), as the run recorded it."""
    seed: int | None = None
    """The seed the random ones were drawn with (``ob-restore drill --seed`` redraws them)."""
    earliest: datetime | None
    latest: datetime | None
    """The range of the restore points the restores that ran were sent with."""


@attrs.frozen(kw_only=True)
class SegregatedPair:
    """Restores from one source instance into one target instance, and whether the two
    differ (written out, for the report's readers)."""

    source: str
    target: str
    restores: int
    segregated: bool

    @classmethod
    def of(cls, pair: InstancePair) -> SegregatedPair:
        return cls(
            source=pair.source,
            target=pair.target,
            restores=pair.restores,
            segregated=pair.segregated,
        )


@attrs.frozen(kw_only=True)
class SegregationFacts:
    required: bool | None
    """The plan's ``require_segregation`` (None: not recorded)."""
    instances: tuple[SegregatedPair, ...] | None
    """Every source -> target instance pair (None: not recorded)."""

    @property
    def unsegregated(self) -> tuple[SegregatedPair, ...]:
        return tuple(pair for pair in self.instances or () if not pair.segregated)


@attrs.frozen(kw_only=True)
class ControlFacts:
    restores: int
    """Every restore of the report."""
    ran: int
    """Those sent (not planned, not started or refused by the pre-flight)."""
    online: int
    dry_run: bool
    recovery_time: RecoveryTimeFacts
    recovery_point: RecoveryPointFacts
    data_checks: DataCheckFacts
    restore_points: RestorePointFacts
    segregation: SegregationFacts


@attrs.frozen(kw_only=True)
class RunScope:
    """What the run's record says beyond the entries: how restore points were chosen,
    which instances restore into which, whether segregation was required."""

    restore_points: Mapping[str, int] | None = None
    instances: tuple[InstancePair, ...] | None = None
    require_segregation: bool | None = None
    seed: int | None = None
    """The seed the run drew its random restore points with."""

    @classmethod
    def of_plan(cls, plan: DrillPlan) -> RunScope:
        return cls(
            restore_points=dict(plan.restore_points),
            instances=plan.instance_pairs,
            require_segregation=plan.require_segregation,
            seed=plan.seed,
        )

    @classmethod
    def of_record(cls, run: RunRecord, plan: DrillPlan | None) -> RunScope:
        """As the journal's run record says; the plan stands in for what an older journal
        does not record."""
        planned = cls.of_plan(plan) if plan is not None else cls()
        return cls(
            restore_points=planned.restore_points
            if run.restore_points is None
            else dict(run.restore_points),
            instances=planned.instances if run.instances is None else run.instances,
            require_segregation=planned.require_segregation
            if run.require_segregation is None
            else run.require_segregation,
            seed=planned.seed if run.seed is None else run.seed,
        )


@attrs.define
class ControlsTally:
    """Reads each report entry once, keeping counts, not entries; ``scope`` is what the
    run's record says beyond them."""

    scope: RunScope = attrs.field(factory=RunScope)
    restores: int = 0
    ran: int = 0
    online: int = 0
    rto_targets: set[float] = attrs.field(factory=set)
    rto_with_target: int = 0
    rto_met: int = 0
    rto_missed: int = 0
    rto_uncertain: int = 0
    recovery_worst: float | None = None
    rpo_targets: set[float] = attrs.field(factory=set)
    rpo_measured: int = 0
    rpo_met: int = 0
    rpo_missed: int = 0
    rpo_not_measured: int = 0
    rpo_worst: float | None = None
    restores_checked: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    earliest_point: datetime | None = None
    latest_point: datetime | None = None

    def add(self, entry: ReportEntry) -> None:
        self.restores += 1
        if entry.state in _NOT_RUN_STATES:
            return
        self.ran += 1
        self.online += entry.state is ItemState.ONLINE
        self._add_recovery_time(entry)
        if entry.data is not None:
            self._add_data(entry.data)
        point = _restore_point(entry)
        if point is not None:
            self.earliest_point = min(point, self.earliest_point or point)
            self.latest_point = max(point, self.latest_point or point)

    def _add_recovery_time(self, entry: ReportEntry) -> None:
        recovery = entry.recovery_seconds
        if recovery is not None:
            self.recovery_worst = max(recovery, self.recovery_worst or recovery)
        if entry.rto_seconds is None:
            return
        self.rto_targets.add(entry.rto_seconds)
        self.rto_with_target += 1
        self.rto_met += entry.met_rto is True
        self.rto_missed += entry.met_rto is False
        self.rto_uncertain += entry.rto_verdict is RtoVerdict.UNCERTAIN

    def _add_data(self, data: DataOutcome) -> None:
        if data.rpo_target_seconds is not None:
            self.rpo_targets.add(data.rpo_target_seconds)
        if data.rpo_seconds is not None:
            self.rpo_measured += 1
            self.rpo_worst = max(data.rpo_seconds, self.rpo_worst or data.rpo_seconds)
        self.rpo_met += data.met_rpo is True
        if data.rpo_error:
            self.rpo_not_measured += 1
        else:
            self.rpo_missed += data.met_rpo is False
        if data.checks:
            self.restores_checked += 1
            failed = len(data.failed_checks)
            self.checks_failed += failed
            self.checks_passed += len(data.checks) - failed

    def facts(self, *, dry_run: bool = False) -> ControlFacts:
        scope = self.scope
        return ControlFacts(
            restores=self.restores,
            ran=self.ran,
            online=self.online,
            dry_run=dry_run,
            recovery_time=RecoveryTimeFacts(
                targets_seconds=tuple(sorted(self.rto_targets)),
                with_target=self.rto_with_target,
                met=self.rto_met,
                missed=self.rto_missed,
                uncertain=self.rto_uncertain,
                worst_seconds=self.recovery_worst,
            ),
            recovery_point=RecoveryPointFacts(
                targets_seconds=tuple(sorted(self.rpo_targets)),
                measured=self.rpo_measured,
                met=self.rpo_met,
                missed=self.rpo_missed,
                not_measured=self.rpo_not_measured,
                worst_seconds=self.rpo_worst,
            ),
            data_checks=DataCheckFacts(
                restores_checked=self.restores_checked,
                checks_run=self.checks_passed + self.checks_failed,
                passed=self.checks_passed,
                failed=self.checks_failed,
            ),
            restore_points=RestorePointFacts(
                by_choice=dict(scope.restore_points) if scope.restore_points is not None else None,
                earliest=self.earliest_point,
                latest=self.latest_point,
                seed=scope.seed,
            ),
            segregation=SegregationFacts(
                required=scope.require_segregation,
                instances=None
                if scope.instances is None
                else tuple(SegregatedPair.of(pair) for pair in scope.instances),
            ),
        )


def _restore_point(entry: ReportEntry) -> datetime | None:
    """The restore point an entry was sent with (None for ``latest`` never resolved)."""
    if entry.restore_time is None:
        return None
    try:
        return parse_time(entry.restore_time)
    except ValueError:
        return None
