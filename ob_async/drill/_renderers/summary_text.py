"""The terminal summary of a run: the verdict in counts that add up, the recovery
times, the clean-up, the data checks and the first failures."""

from __future__ import annotations

from ob_async.drill._renderers.words import failure_text, moment_text, seconds
from ob_async.drill._report.data_tally import DataTally
from ob_async.drill._report.drill_report import DrillReport
from ob_async.drill._report.entry import DataOutcome
from ob_async.drill._report.header import Percentiles, ReportSummary
from ob_async.drill._report.outcome import LEGEND, Outcome, outcome_of
from ob_async.drill._report.verdict import Verdict


def headline(verdict: Verdict) -> str:
    """``14 restored, 4 missed RTO, 2 failed`` (a dry run: what was planned)."""
    if verdict.planned:
        return f"{verdict.planned} planned, {verdict.failed} failed pre-flight"
    counts = (
        f"{verdict.restored} restored, {verdict.missed_rto} missed RTO, {verdict.failed} failed"
    )
    return counts + (f", {verdict.not_started} not started" if verdict.not_started else "")


def cleanup_lines(verdict: Verdict) -> list[str]:
    """What the clean-up did: how many deleted, which tenants were kept and why."""
    lines = [f"  cleanup: {verdict.deleted} tenant(s) deleted, {verdict.kept} kept"]
    lines.extend(
        f"    kept {entry.target_instance_id}/{entry.target_tenant_name}"
        f"{f' ({entry.tenant_id})' if entry.tenant_id else ''}: {reason}"
        for entry, reason in verdict.kept_listed
    )
    if verdict.kept > len(verdict.kept_listed):
        lines.append(f"    ... and {verdict.kept - len(verdict.kept_listed)} more (see the report)")
    return lines


def percentile_text(found: Percentiles, *, with_p99: bool = True) -> str:
    named = [("p50", found.p50), ("p90", found.p90)]
    if with_p99:
        named.append(("p99", found.p99))
    named.append(("max", found.max))
    return ", ".join(f"{name} {seconds(value)}" for name, value in named)


def rpo_text(data: DataOutcome) -> str:
    """The RPO of one tenant: the figure its target applies to, with the target."""
    if data.rpo_seconds is None:
        return "RPO not measured" if data.rpo_error else "no RPO query"
    target = data.rpo_target_seconds
    return f"RPO {seconds(data.rpo_seconds)}" + (
        f" (target {target:.0f}s)" if target is not None else ""
    )


def rpo_facts(data: DataOutcome) -> str:
    """The moments an RPO is measured between, and both figures."""
    return (
        f"restore point {moment_text(data.restore_point)}, "
        f"newest change {moment_text(data.newest_change)}; "
        f"data-loss exposure {seconds(data.data_loss_exposure_seconds)}, "
        f"restore-point gap {seconds(data.restore_point_gap_seconds)}"
    )


def data_lines(tally: DataTally) -> list[str]:
    summary = tally.summary()
    if summary is None:
        return []
    lines = [
        f"  data: {summary.verified} tenant(s) checked; checks {summary.checks_passed} passed, "
        f"{summary.checks_failed} failed"
    ]
    if tally.rpo:
        lines.append(
            "  recovery point (RPO): "
            + percentile_text(summary.rpo_seconds, with_p99=False)
            + (f"; target missed by {summary.rpo_missed}" if summary.rpo_missed else "")
        )
    for name, values, found in (
        ("data-loss exposure", tally.exposure, summary.data_loss_exposure_seconds),
        ("restore-point gap", tally.gap, summary.restore_point_gap_seconds),
    ):
        if values:
            lines.append(f"    {name}: {percentile_text(found, with_p99=False)}")
    for key, data in tally.listed:
        passed = len(data.checks) - len(data.failed_checks)
        lines.append(
            f"    {key}: {rpo_text(data)}; checks {passed}/{len(data.checks)} passed; "
            f"{'ok' if data.ok else 'FAILED'}"
        )
        if data.newest_change is not None:
            lines.append(f"      {rpo_facts(data)}")
    if summary.verified > len(tally.listed):
        lines.append(
            f"    ... and {summary.verified - len(tally.listed)} more (see the JSON report)"
        )
    return lines


def rehearsal_lines(summary: ReportSummary) -> list[str]:
    """How the restore points were chosen, and when held tenants may be cleaned up."""
    points = summary.restore_points
    counts = [("explicit", points.explicit), ("latest", points.latest), ("random", points.random)]
    chosen = [f"{count} {way}" for way, count in counts if count]
    if points.random and points.seed is not None:
        chosen[-1] += f" (seed {points.seed}: --seed {points.seed} draws them again)"
    lines = [f"  restore points: {', '.join(chosen)}"] if chosen else []
    if summary.cleanup_due is not None:
        lines.append(
            f"  held for validation: {summary.held} restored tenant(s), not cleaned up; "
            f"clean-up due at {summary.cleanup_due.isoformat()} "
            "(ob-restore cleanup --journal <this run's journal>)"
        )
    return lines


def summary_lines(report: DrillReport) -> list[str]:
    summary = report.summary()
    recovery = summary.recovery_seconds
    head = "DRY RUN " if report.dry_run else ""
    lines = [
        f"{head}drill {report.drill} (run {report.run_id}): {report.item_count} restore(s): "
        f"{headline(report.verdict)}" + (", INTERRUPTED" if report.interrupted else ""),
        "  states: " + ", ".join(f"{state} {n}" for state, n in sorted(summary.by_state.items())),
    ]
    if not report.dry_run:
        lines.append(f"  ({LEGEND})")
    if report.cleanup_requested:
        lines.extend(cleanup_lines(report.verdict))
    if recovery.max is not None:
        lines.append("  recovery time: " + percentile_text(recovery))
    if report.rto_uncertain:
        lines.append(
            f"  of the missed RTOs, {report.rto_uncertain} uncertain: the RTO falls inside "
            "the interval between the last poll that saw it restoring and the first that "
            "saw it ONLINE"
        )
    if report.bottleneck is not None:
        lines.append(f"  bottleneck: {report.bottleneck.summary}")
    lines.extend(data_lines(report.data))
    lines.extend(rehearsal_lines(summary))
    for entry in report.first_failures:
        label = "MISSED RTO" if outcome_of(entry) is Outcome.MISSED_RTO else "FAILED"
        lines.append(f"  {label} {entry.key}: {failure_text(entry)}")
    if report.not_passed > len(report.first_failures):
        lines.append(
            f"  ... and {report.not_passed - len(report.first_failures)} more failures "
            "(see the JSON report)"
        )
    lines.extend(f"  note: {note}" for note in report.notes)
    return lines
