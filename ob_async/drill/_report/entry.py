"""One restore's report entry and the records it holds: its submission attempts, its
clean-up and what its data checks found.

These are the report's typed records: every output (JSON, JUnit, HTML, metrics,
history, notification, the terminal summary) renders from them, and a JSON
report read back (:func:`ob_async.drill._report.convert.read_report`) gives them
back. Their camelCase JSON names come from the field names, by one converter
(:mod:`ob_async.drill._report.convert`).

No credential is ever part of a report.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from ob_async._restore.outcome import RtoVerdict
from ob_async._restore.submit import SubmissionOutcome
from ob_async.batch._item import GOOD_STATES, ItemState
from ob_async.data._results import CheckResult, DataVerdict
from ob_async.data._rpo import RpoFigure
from ob_async.drill._plan.restore_point import RestorePointChoice

OK_STATES = frozenset({*GOOD_STATES, ItemState.PLANNED})
SKIPPED_STATES = frozenset({ItemState.PLANNED, ItemState.NOT_STARTED})
"""States of items that never ran: neither passed nor failed (JUnit ``<skipped>``)."""


@attrs.frozen(kw_only=True)
class Attempt:
    """One try of a restore's submission (JSON ``attempts[]``)."""

    number: int
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: str = ""
    """``accepted``, ``adopted``, ``conflict`` or the error class name."""
    status: int | None = None
    """The HTTP status of its answer, if one came."""
    ambiguous: bool = False
    """The server may have acted on this attempt."""
    looked_up: bool = False
    """It began with a lookup of the target tenant."""
    sent: bool = False
    """It sent the restore request (a lookup may settle it before)."""
    wait_after: float | None = None
    """Seconds waited before the next attempt."""
    error: str | None = None


@attrs.frozen(kw_only=True)
class Cleanup:
    """The deletion of a restored tenant (JSON ``cleanup``), or the attempt at it."""

    tenant_id: str | None = None
    deleted: bool = False
    at: datetime | None = None
    error: str | None = None


@attrs.frozen(kw_only=True)
class DataOutcome:
    """What a restored tenant's data checks found: each check, and the recovery point
    measured between the restore point and the newest change found.

    The figures are as measured (see :class:`ob_async.data.RpoMeasurement`, which
    derives them): here they are facts of the report, also of one read back.
    """

    ok: bool
    """Every check passed and the RPO (if measured against a target) met it."""
    rpo_seconds: float | None = None
    """The figure the RPO target applies to (``rpo_target_applies_to``)."""
    rpo_target_seconds: float | None = None
    rpo_target_applies_to: RpoFigure | None = None
    met_rpo: bool | None = None
    """None without a target; False when the RPO could not be measured."""
    restore_point: datetime | None = None
    requested_at: datetime | None = None
    """When the restore was first requested: the exposure is measured from it."""
    newest_change: datetime | None = None
    """The newest change the restored data holds, as the RPO query found it."""
    newest_change_as_read: str | None = None
    rpo_time_zone: str | None = None
    data_loss_exposure_seconds: float | None = None
    """Requested - newest change: what a disaster at the request would have lost."""
    restore_point_gap_seconds: float | None = None
    """Restore point - newest change: how complete the backup is at the point asked for."""
    rpo_error: str | None = None
    """Why the RPO was not measured (the query failed, or its value cannot be right)."""
    checks: tuple[CheckResult, ...] = ()

    @classmethod
    def of(cls, verdict: DataVerdict) -> DataOutcome:
        rpo = verdict.rpo
        if rpo is None:
            return cls(ok=verdict.ok, checks=verdict.checks)
        return cls(
            ok=verdict.ok,
            checks=verdict.checks,
            rpo_seconds=rpo.target_figure_seconds,
            rpo_target_seconds=rpo.target_seconds,
            rpo_target_applies_to=rpo.target_applies_to,
            met_rpo=rpo.met_target,
            restore_point=rpo.restore_point,
            requested_at=rpo.requested_at,
            newest_change=rpo.newest_change,
            newest_change_as_read=rpo.newest_change_as_read,
            rpo_time_zone=rpo.time_zone,
            data_loss_exposure_seconds=rpo.data_loss_exposure_seconds,
            restore_point_gap_seconds=rpo.restore_point_gap_seconds,
            rpo_error=rpo.error,
        )

    @property
    def failed_checks(self) -> tuple[CheckResult, ...]:
        return tuple(check for check in self.checks if not check.ok)

    @property
    def target_label(self) -> str:
        """The name of the figure the target applies to (``restore-point gap`` by default)."""
        return (self.rpo_target_applies_to or RpoFigure.RESTORE_POINT_GAP).label

    def problems(self) -> list[str]:
        """Why the data failed, one phrase per failed check and for the RPO; empty if ok."""
        if self.ok:
            return []
        parts = [f"check {check.name!r} failed: {check.error}" for check in self.failed_checks]
        if self.rpo_error:
            parts.append(f"RPO not measured: {self.rpo_error}")
        elif self.met_rpo is False and self.rpo_seconds is not None:
            target = self.rpo_target_seconds or 0.0
            parts.append(
                f"{self.target_label} {self.rpo_seconds:.0f}s over its RPO target of {target:.0f}s"
            )
        return parts or ["data verification failed"]


@attrs.frozen(kw_only=True)
class ReportEntry:
    """One planned restore as the report shows it, whatever happened to it."""

    key: str
    index: int | None
    source_instance_id: str
    source_tenant_id: str
    target_instance_id: str
    target_tenant_name: str
    state: ItemState
    request_id: str | None = None
    restore_time: str | None = None
    """The restore point asked for (ISO 8601), or ``latest`` (``random``...) when never
    resolved."""
    restore_point_choice: RestorePointChoice | None = None
    """How the restore point was chosen: explicit, latest or random."""
    restore_point_seed: int | None = None
    """For a random restore point: the run's seed it was drawn with."""
    tenant_id: str | None = None
    submission: SubmissionOutcome | None = None
    attempts: tuple[Attempt, ...] = ()
    submitted_at: datetime | None = None
    first_seen_at: datetime | None = None
    finished_at: datetime | None = None
    recovery_seconds: float | None = None
    recovery_lower_seconds: float | None = None
    """The earliest it can have come ONLINE: last seen otherwise this long after submission."""
    recovery_upper_seconds: float | None = None
    """The latest: first seen ONLINE this long after submission (= ``recovery_seconds``)."""
    rto_seconds: float | None = None
    met_rto: bool | None = None
    rto_verdict: RtoVerdict | None = None
    """Met, missed, or uncertain (the RTO falls inside the recovery interval)."""
    last_status: str | None = None
    cleanup: Cleanup | None = None
    error: str | None = None
    resumed: bool = False
    """Settled by an earlier run of this drill (read back from the journal)."""
    recovery_note: str | None = None
    """What the recovery time includes beyond the restore itself (a resume's outage)."""
    data: DataOutcome | None = None
    """What the data checks found, if the restore had data to verify."""
    cleanup_due: datetime | None = None
    """The restored tenant is held for manual validation until then: clean it up after."""

    @property
    def ok(self) -> bool:
        """ONLINE (or submitted as asked, or planned) within its RTO, its data proven."""
        return (
            self.state in OK_STATES
            and self.met_rto is not False
            and (self.data is None or self.data.ok)
        )

    @property
    def sent(self) -> bool:
        """Whether its restore request may have reached the server (never: no requestId
        is worth showing)."""
        return self.submitted_at is not None or bool(self.attempts)

    @property
    def recovery_interval(self) -> tuple[float, float] | None:
        """The interval the recovery time is known to lie in, when it has one.

        ONLINE is only noticed at a poll, so the true recovery time lies between the
        last read that did not see it and the first that did.
        """
        high = self.recovery_upper_seconds
        if high is None:
            high = self.recovery_seconds
        if self.recovery_lower_seconds is None or high is None:
            return None
        return self.recovery_lower_seconds, high
