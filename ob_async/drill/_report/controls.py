"""Controls an auditor tests a recovery rehearsal against, and what this run shows of each.

The controls are data (:data:`CONTROLS`): each names its framework, its reference, what it
asks and what evidence of a drill satisfies it. The facts are read from the report's entries
and the run's record (:class:`ControlsTally`): the RTO and RPO targets and what was measured,
the data checks run and their outcome, the restore points and how they were chosen, and
whether each target instance differs from its source. :func:`assess` gives every control a
status, ``met``, ``not met`` or ``not evidenced``, with the reason in words.

What a single run cannot show is said, not assumed: a control asking for *regular* tests is
shown by the history of runs, and segregation is seen at the level of instances (logical);
physical separation belongs to the deployment.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

import attrs

from ob_async._restore.outcome import RtoVerdict
from ob_async.batch._item import ItemState
from ob_async.drill._journal_record import RunRecord
from ob_async.drill._plan import DrillPlan
from ob_async.drill._plan.item import InstancePair
from ob_async.drill._report.entry import DataOutcome, ReportEntry

_NOT_RUN_STATES = frozenset({ItemState.PLANNED, ItemState.NOT_STARTED, ItemState.PREFLIGHT_FAILED})
"""Entries whose restore was never sent: they test nothing."""


class ControlStatus(enum.StrEnum):
    MET = "met"
    NOT_MET = "not met"
    NOT_EVIDENCED = "not evidenced"
    """The run holds no evidence either way (a dry run, nothing measured, no checks)."""


class Fact(enum.StrEnum):
    """The facts of a run that controls rest on."""

    RECOVERY_TIME = "recovery time"
    RECOVERY_POINT = "recovery point"
    DATA_CHECKS = "data checks"
    RESTORE_POINTS = "restore points"
    SEGREGATION = "segregation"


@attrs.frozen(kw_only=True)
class Control:
    id: str
    framework: str
    reference: str
    title: str
    evidence: str
    """What evidence of a drill satisfies it."""
    facts: tuple[Fact, ...]


SOC2_A1_3 = Control(
    id="soc2-a1.3",
    framework="SOC 2 (AICPA Trust Services Criteria)",
    reference="A1.3",
    title="Recovery plan procedures supporting system recovery are tested",
    evidence="Every planned restore ran and came ONLINE within its RTO target (and its data "
    "within its RPO target, where one is set).",
    facts=(Fact.RECOVERY_TIME, Fact.RECOVERY_POINT, Fact.RESTORE_POINTS),
)
ISO27001_A8_13 = Control(
    id="iso27001-a.8.13",
    framework="ISO/IEC 27001:2022",
    reference="A.8.13",
    title="Information backup: backup copies are regularly tested",
    evidence="Backups restored ONLINE and the restored data checked (the plan's [[check]] "
    "queries and RPO); regularity is shown by the history of runs.",
    facts=(Fact.RESTORE_POINTS, Fact.DATA_CHECKS, Fact.RECOVERY_POINT),
)
DORA_12_2 = Control(
    id="dora-12.2",
    framework="DORA (Regulation (EU) 2022/2554)",
    reference="Art. 12(2)",
    title="Backup, restoration and recovery procedures are tested periodically",
    evidence="Restores from backup ran, at restore points chosen as recorded, and came "
    "ONLINE; recovery time and point measured.",
    facts=(Fact.RESTORE_POINTS, Fact.RECOVERY_TIME, Fact.RECOVERY_POINT, Fact.DATA_CHECKS),
)
DORA_12_3 = Control(
    id="dora-12.3",
    framework="DORA (Regulation (EU) 2022/2554)",
    reference="Art. 12(3)",
    title="Backup data is restored on ICT systems segregated from the source",
    evidence="Every restore's target instance differs from its source instance (logical "
    "segregation, as the API shows it; physical separation is the deployment's).",
    facts=(Fact.SEGREGATION,),
)

CONTROLS: tuple[Control, ...] = (SOC2_A1_3, ISO27001_A8_13, DORA_12_2, DORA_12_3)


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
class Assessment:
    control: Control
    status: ControlStatus
    reason: str


@attrs.frozen(kw_only=True)
class ControlsSection:
    """What the reports say about controls: the facts, and every control assessed."""

    facts: ControlFacts
    assessments: tuple[Assessment, ...]


@attrs.frozen(kw_only=True)
class RunScope:
    """What the run's record says beyond the entries: how restore points were chosen,
    which instances restore into which, whether segregation was required."""

    restore_points: Mapping[str, int] | None = None
    instances: tuple[InstancePair, ...] | None = None
    require_segregation: bool | None = None

    @classmethod
    def of_plan(cls, plan: DrillPlan) -> RunScope:
        return cls(
            restore_points=dict(plan.restore_points),
            instances=plan.instance_pairs,
            require_segregation=plan.require_segregation,
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
        point = _moment(entry.restore_time)
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
            ),
            segregation=SegregationFacts(
                required=scope.require_segregation,
                instances=None
                if scope.instances is None
                else tuple(SegregatedPair.of(pair) for pair in scope.instances),
            ),
        )

    def section(self, *, dry_run: bool = False) -> ControlsSection:
        facts = self.facts(dry_run=dry_run)
        return ControlsSection(facts=facts, assessments=assess(facts))


def assess(facts: ControlFacts) -> tuple[Assessment, ...]:
    """Every control of :data:`CONTROLS`, with its status and the reason for it."""
    judged = {
        SOC2_A1_3.id: _recovery_plan_tested,
        ISO27001_A8_13.id: _backups_tested,
        DORA_12_2.id: _restoration_tested,
        DORA_12_3.id: _segregated,
    }
    return tuple(
        Assessment(control=control, status=status, reason=reason)
        for control in CONTROLS
        for status, reason in (judged[control.id](facts),)
    )


_Judgement = tuple[ControlStatus, str]


def _nothing_ran(facts: ControlFacts) -> _Judgement | None:
    if facts.dry_run:
        return ControlStatus.NOT_EVIDENCED, "a dry run restores nothing"
    if not facts.ran:
        return ControlStatus.NOT_EVIDENCED, "no restore was sent"
    return None


def _not_all_online(facts: ControlFacts) -> str | None:
    if facts.online == facts.restores:
        return None
    return (
        f"{facts.restores - facts.online} of {facts.restores} planned restore(s) did not "
        "come ONLINE (failed, refused or not started)"
    )


def _recovery_plan_tested(facts: ControlFacts) -> _Judgement:
    rto, rpo = facts.recovery_time, facts.recovery_point
    found = _nothing_ran(facts)
    if found is not None:
        return found
    failures = [
        reason
        for reason in (
            _not_all_online(facts),
            f"{rto.missed} restore(s) missed their RTO target" if rto.missed else None,
            f"{rpo.missed} restore(s) missed their RPO target" if rpo.missed else None,
            f"the RPO of {rpo.not_measured} restore(s) could not be measured"
            if rpo.not_measured
            else None,
        )
        if reason
    ]
    if failures:
        return ControlStatus.NOT_MET, "; ".join(failures)
    if not rto.with_target:
        return (
            ControlStatus.NOT_EVIDENCED,
            f"all {facts.online} restore(s) came ONLINE, but no RTO target was set, so the run "
            "does not show the recovery meets a commitment (set rto in the plan)",
        )
    return (
        ControlStatus.MET,
        f"all {facts.restores} restore(s) came ONLINE; {rto.met} of {rto.with_target} with a "
        f"target met it (RTO {_targets(rto.targets_seconds)}, worst "
        f"{_seconds(rto.worst_seconds)})",
    )


def _backups_tested(facts: ControlFacts) -> _Judgement:
    checks = facts.data_checks
    found = _nothing_ran(facts)
    if found is not None:
        return found
    failures = [
        reason
        for reason in (
            _not_all_online(facts),
            f"{checks.failed} data check(s) failed" if checks.failed else None,
        )
        if reason
    ]
    if failures:
        return ControlStatus.NOT_MET, "; ".join(failures)
    if checks.restores_checked < facts.online:
        checked = (
            f"the data of only {checks.restores_checked} was checked"
            if checks.restores_checked
            else "no restored data was checked"
        )
        return (
            ControlStatus.NOT_EVIDENCED,
            f"{facts.online} backup(s) restored, but {checked}: add [[check]] queries to the plan",
        )
    return (
        ControlStatus.MET,
        f"{facts.online} backup(s) restored and their data checked: {checks.passed} "
        "check(s) passed, none failed",
    )


def _restoration_tested(facts: ControlFacts) -> _Judgement:
    found = _nothing_ran(facts)
    if found is not None:
        return found
    not_online = _not_all_online(facts)
    if not_online:
        return ControlStatus.NOT_MET, not_online
    points = facts.restore_points
    chosen = (
        ", ".join(f"{count} {choice}" for choice, count in points.by_choice.items())
        if points.by_choice
        else "how they were chosen is not recorded"
    )
    return (
        ControlStatus.MET,
        f"{facts.online} restore(s) from backup came ONLINE; restore points: {chosen}"
        + (
            f", from {points.earliest.isoformat()} to {points.latest.isoformat()}"
            if points.earliest and points.latest
            else ""
        ),
    )


def _segregated(facts: ControlFacts) -> _Judgement:
    segregation = facts.segregation
    if segregation.instances is None:
        return (
            ControlStatus.NOT_EVIDENCED,
            "the run's record does not say which instances restored into which",
        )
    if not segregation.instances:
        return ControlStatus.NOT_EVIDENCED, "the plan has no restores"
    if segregation.unsegregated:
        named = ", ".join(
            f"{pair.source} into itself ({pair.restores} restore(s))"
            for pair in segregation.unsegregated
        )
        return ControlStatus.NOT_MET, f"restored into the source instance: {named}"
    required = " (the plan requires it)" if segregation.required else ""
    return (
        ControlStatus.MET,
        f"every target instance differs from its source{required}: "
        + ", ".join(f"{pair.source} -> {pair.target}" for pair in segregation.instances),
    )


def _targets(values: tuple[float, ...]) -> str:
    return ", ".join(_seconds(value) for value in values) or "none"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}s"


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
