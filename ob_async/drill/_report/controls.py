"""Controls an auditor tests a recovery rehearsal against, and what this run shows of each.

The controls are data (:data:`CONTROLS`): each names its framework, its reference, what it
asks and what evidence of a drill satisfies it. The facts are read from the report's entries
and the run's record (:mod:`.control_facts`): the RTO and RPO targets and what was measured,
the data checks run and their outcome, the restore points and how they were chosen, and
whether each target instance differs from its source. :func:`assess` gives every control a
status, ``met``, ``not met`` or ``not evidenced``, with the reason in words.

What a single run cannot show is said, not assumed: a control asking for *regular* tests is
shown by the history of runs, and segregation is seen at the level of instances (logical);
physical separation belongs to the deployment.
"""

from __future__ import annotations

import enum

import attrs

from ob_async.drill._report.control_facts import ControlFacts


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
class Assessment:
    control: Control
    status: ControlStatus
    reason: str


@attrs.frozen(kw_only=True)
class ControlsSection:
    """What the reports say about controls: the facts, and every control assessed."""

    facts: ControlFacts
    assessments: tuple[Assessment, ...]

    @classmethod
    def of(cls, facts: ControlFacts) -> ControlsSection:
        return cls(facts=facts, assessments=assess(facts))


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
        ", ".join(
            f"{count} {choice}"
            + (f" (seed {points.seed})" if choice == "random" and points.seed is not None else "")
            for choice, count in points.by_choice.items()
        )
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
