"""The report entry of a live batch result."""

from __future__ import annotations

from ob_async.batch._item import ItemResult
from ob_async.drill._report.entry import Attempt, Cleanup, DataOutcome, ReportEntry


def entry_from_result(result: ItemResult, *, index: int | None = None) -> ReportEntry:
    """The report entry of a live batch result."""
    item = result.item
    request = item.request
    submission = result.submission
    restore = result.restore
    attempts: tuple[Attempt, ...] = ()
    if submission is not None:
        attempts = tuple(
            Attempt(
                number=attempt.number,
                started_at=attempt.started_at,
                finished_at=attempt.finished_at,
                result=attempt.result,
                status=attempt.status,
                ambiguous=attempt.ambiguous,
                looked_up=attempt.looked_up,
                sent=attempt.sent,
                wait_after=attempt.wait_after,
                error=attempt.error,
            )
            for attempt in submission.attempts
        )
    cleanup = None
    if result.cleanup is not None:
        cleanup = Cleanup(
            tenant_id=result.cleanup.tenant_id,
            deleted=result.cleanup.deleted,
            at=result.cleanup.at,
            error=result.cleanup.error,
        )
    return ReportEntry(
        key=item.key,
        index=index,
        source_instance_id=request.source_instance_id,
        source_tenant_id=request.source_tenant_id,
        target_instance_id=request.target_instance_id,
        target_tenant_name=request.target_tenant_name,
        state=result.state,
        request_id=submission.request_id if submission else item.request_id,
        restore_time=request.restore_time.isoformat(),
        tenant_id=(restore.tenant_id if restore else None)
        or (submission.tenant_id if submission else None),
        submission=submission.outcome if submission else None,
        attempts=attempts,
        submitted_at=submission.first_attempt_at if submission else None,
        first_seen_at=restore.first_seen_at if restore else None,
        finished_at=restore.finished_at if restore else None,
        recovery_seconds=result.recovery_seconds,
        recovery_lower_seconds=restore.recovery_lower_seconds if restore else None,
        recovery_upper_seconds=restore.recovery_upper_seconds if restore else None,
        rto_seconds=item.rto_seconds,
        met_rto=result.met_rto,
        rto_verdict=result.rto_verdict,
        last_status=restore.last_status if restore else None,
        cleanup=cleanup,
        error=result.error,
        data=DataOutcome.of(result.data) if result.data else None,
        recovery_note=_resumed_note(result),
    )


def _resumed_note(result: ItemResult) -> str | None:
    """A restore first submitted by the run a resume continues is timed from that first
    submission, so its recovery time (and RTO verdict) includes the outage between the
    crash and the resume: say so, next to the figure."""
    if not result.item.reconcile_first or result.recovery_seconds is None:
        return None
    return (
        "first submitted by the interrupted run this resume continues: the recovery "
        "time counts from that submission and includes the outage before the resume"
    )
