"""What verifying a tenant's data found: each check's outcome and the measured recovery point.

:class:`RpoMeasurement` holds the moments an RPO is measured between and derives
its two figures from them (see :mod:`ob_async.data._rpo`); :class:`DataVerdict`
holds the checks and the measurement. Both are plain attrs records (datetimes,
enums, numbers and text), so a journal can keep them and give them back as they
were; the figures are derived, never stored twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from ob_async.data._rpo import NewestChange, RpoFigure, after_restore_point_problem


@attrs.frozen(kw_only=True)
class CheckResult:
    name: str
    ok: bool
    expect: str
    value: str | None = None
    """The first column of the first row, as text (None when the check could not run)."""
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "value": self.value,
            "expect": self.expect,
            "error": self.error,
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@attrs.frozen(kw_only=True)
class RpoMeasurement:
    """One restore's recovery point: the restore point, when the restore was requested,
    the newest change found, and the two figures measured between them.

    ``error`` says why there are no figures: the query failed, its value could not
    be placed in time, or the newest change is after the restore point.
    """

    restore_point: datetime
    requested_at: datetime | None = None
    """When the restore was first requested (None: not known, so no exposure)."""
    newest_change: datetime | None = None
    """The newest change the restored data holds (UTC), as the RPO query found it."""
    newest_change_as_read: str | None = None
    """The query's value as it came back, before any time zone was applied."""
    time_zone: str | None = None
    """The plan's ``rpo.time_zone``, when it was applied to a value that carried none."""
    target_seconds: float | None = None
    target_applies_to: RpoFigure = RpoFigure.RESTORE_POINT_GAP
    error: str | None = None

    @classmethod
    def measured(
        cls,
        found: NewestChange,
        *,
        restore_point: datetime,
        requested_at: datetime | None,
        target_seconds: float | None,
        target_applies_to: RpoFigure,
    ) -> RpoMeasurement:
        """The measurement of a newest change; an error if it is after the restore point."""
        return cls(
            restore_point=restore_point,
            requested_at=requested_at,
            newest_change=found.at,
            newest_change_as_read=found.as_read,
            time_zone=found.time_zone,
            target_seconds=target_seconds,
            target_applies_to=target_applies_to,
            error=after_restore_point_problem(found.at, restore_point),
        )

    def _before(self, moment: datetime | None) -> float | None:
        if self.error is not None or moment is None or self.newest_change is None:
            return None
        return (moment - self.newest_change).total_seconds()

    @property
    def data_loss_exposure_seconds(self) -> float | None:
        """Requested - newest change: what a disaster at the request would have lost."""
        return self._before(self.requested_at)

    @property
    def restore_point_gap_seconds(self) -> float | None:
        """Restore point - newest change: how complete the backup is at that point."""
        return self._before(self.restore_point)

    @property
    def target_figure_seconds(self) -> float | None:
        """The figure the target applies to (reported as ``rpoSeconds``)."""
        if self.target_applies_to is RpoFigure.DATA_LOSS_EXPOSURE:
            return self.data_loss_exposure_seconds
        return self.restore_point_gap_seconds

    @property
    def met_target(self) -> bool | None:
        """Whether the figure is within the target: None without one, False unmeasured."""
        if self.target_seconds is None:
            return None
        measured = self.target_figure_seconds
        return measured is not None and measured <= self.target_seconds

    def problem(self) -> str | None:
        """Why the RPO fails its item, or None."""
        if self.error is not None:
            return f"RPO not measured: {self.error}"
        if self.met_target is False and self.target_seconds is not None:
            return (
                f"{self.target_applies_to.label} {self.target_figure_seconds:.0f}s over its "
                f"RPO target of {self.target_seconds:.0f}s"
            )
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "rpoSeconds": self.target_figure_seconds,
            "rpoTargetSeconds": self.target_seconds,
            "rpoTargetAppliesTo": self.target_applies_to.value,
            "metRpo": self.met_target,
            "restorePoint": _iso(self.restore_point),
            "requestedAt": _iso(self.requested_at),
            "newestChange": _iso(self.newest_change),
            "newestChangeAsRead": self.newest_change_as_read,
            "rpoTimeZone": self.time_zone,
            "dataLossExposureSeconds": self.data_loss_exposure_seconds,
            "restorePointGapSeconds": self.restore_point_gap_seconds,
            "rpoError": self.error,
        }


# A verdict without an RPO query has the same keys, all null (named in one place).
_NO_RPO = dict.fromkeys(RpoMeasurement(restore_point=datetime.min).to_json())


@attrs.frozen(kw_only=True)
class DataVerdict:
    """The data of one restored tenant: its checks and its measured recovery point."""

    checks: tuple[CheckResult, ...] = ()
    rpo: RpoMeasurement | None = None
    """None: the plan has no RPO query for it."""
    endpoint: str | None = None

    @property
    def rpo_seconds(self) -> float | None:
        """The figure the RPO target applies to (see :attr:`RpoMeasurement.target_applies_to`)."""
        return self.rpo.target_figure_seconds if self.rpo is not None else None

    @property
    def rpo_error(self) -> str | None:
        return self.rpo.error if self.rpo is not None else None

    @property
    def met_rpo(self) -> bool | None:
        """Whether the measured RPO is within its target: None without a target, False when
        the RPO could not be measured."""
        return self.rpo.met_target if self.rpo is not None else None

    @property
    def failed_checks(self) -> tuple[CheckResult, ...]:
        return tuple(check for check in self.checks if not check.ok)

    @property
    def ok(self) -> bool:
        return not self.failed_checks and (self.rpo is None or self.rpo.problem() is None)

    def problems(self) -> list[str]:
        """One phrase per failure, naming the check or the RPO."""
        found = [f"check {check.name!r} failed: {check.error}" for check in self.failed_checks]
        rpo_problem = self.rpo.problem() if self.rpo is not None else None
        if rpo_problem is not None:
            found.append(rpo_problem)
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            **(self.rpo.to_json() if self.rpo is not None else _NO_RPO),
            "endpoint": self.endpoint,
            "checks": [check.to_json() for check in self.checks],
        }
