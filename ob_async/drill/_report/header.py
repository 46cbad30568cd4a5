"""The run's header and summary: who ran what, when, and how it added up.

:class:`RunHeader` is the JSON report without its items; its :class:`ReportSummary`
holds the counts of :mod:`ob_async.drill._report.outcome` (``ok`` is the
restored, ``failed`` the failed: the missed RTOs are ``rtoMissed``, apart), the
recovery-time percentiles, what limited the run and what the data checks found.
"""

from __future__ import annotations

import math
from datetime import datetime

import attrs

from ob_async._wire.codec import camel_case
from ob_async.batch._bottleneck import Bottleneck
from ob_async.drill._report.controls import ControlsSection
from ob_async.drill._report.outcome import Outcome, RunVerdict, run_verdict

REPORT_VERSION = 2
"""2: the summary's ``failed`` no longer counts the missed RTOs (``rtoMissed`` does);
a version 1 report is read back with them taken out."""


@attrs.frozen(kw_only=True)
class Percentiles:
    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    max: float | None = None


@attrs.frozen(kw_only=True)
class RunBottleneck:
    """What limited the run (see :class:`ob_async.batch.BatchRunner.bottleneck`); the
    shares are keyed by the limits' camelCase names, as in the JSON."""

    limit: str
    summary: str = ""
    shares: dict[str, float] = attrs.field(factory=dict)
    held_back: float | None = None
    api_rate: float | None = None

    @classmethod
    def of(cls, found: Bottleneck) -> RunBottleneck:
        return cls(
            limit=found.limit.value,
            summary=found.summary,
            shares={camel_case(name): round(share, 4) for name, share in found.shares.items()},
            held_back=round(found.held_back, 4) if math.isfinite(found.held_back) else None,
            api_rate=found.api_rate,
        )


@attrs.frozen(kw_only=True)
class DataSummary:
    """The data checks of the run: tenants verified, checks passed and failed, RPOs."""

    verified: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    rpo_missed: int = 0
    rpo_seconds: Percentiles = attrs.field(factory=Percentiles)
    """Of the figure each target applies to."""
    data_loss_exposure_seconds: Percentiles = attrs.field(factory=Percentiles)
    restore_point_gap_seconds: Percentiles = attrs.field(factory=Percentiles)


@attrs.frozen(kw_only=True)
class RestorePoints:
    """How the run's restore points were chosen: how many of each way, and the seed
    the random ones were drawn with (``ob-restore drill --seed`` draws them again)."""

    explicit: int = 0
    latest: int = 0
    random: int = 0
    seed: int | None = None


@attrs.frozen(kw_only=True)
class ReportSummary:
    items: int = 0
    ok: int = 0
    """Restored: ONLINE as asked within its RTO (see :mod:`~ob_async.drill._report.outcome`)."""
    failed: int = 0
    """Failed: ran and ended any other way than ONLINE (the missed RTOs are apart)."""
    not_started: int = 0
    rto_missed: int = 0
    rto_uncertain: int = 0
    """Of the missed RTOs, those whose recovery interval contains the RTO."""
    by_state: dict[str, int] = attrs.field(factory=dict)
    recovery_seconds: Percentiles = attrs.field(factory=Percentiles)
    bottleneck: RunBottleneck | None = None
    data: DataSummary | None = None
    """Present when some restore had data to verify."""
    restore_points: RestorePoints = RestorePoints()
    held: int = 0
    """Restored tenants held for manual validation (the plan's hold), not cleaned up."""
    cleanup_due: datetime | None = None
    """When the last hold ends: every tenant of the run may be cleaned up from then on."""

    def counts(self) -> dict[Outcome, int]:
        """The counts that add up to the items (see :mod:`~ob_async.drill._report.outcome`)."""
        return {
            Outcome.RESTORED: self.ok,
            Outcome.MISSED_RTO: self.rto_missed,
            Outcome.FAILED: self.failed,
            Outcome.NOT_STARTED: self.not_started,
        }

    def shown_counts(self) -> list[tuple[Outcome, int]]:
        """The counts a reader is shown: restored and failed always, the others when any."""
        return [
            (outcome, count)
            for outcome, count in self.counts().items()
            if count or outcome in (Outcome.RESTORED, Outcome.FAILED)
        ]


@attrs.frozen(kw_only=True)
class RunHeader:
    """The run's facts and summary: the JSON report without its items."""

    version: int = REPORT_VERSION
    drill: str
    run_id: str
    plan: str = ""
    endpoint: str = ""
    started_at: datetime
    finished_at: datetime | None = None
    dry_run: bool = False
    interrupted: bool = False
    run_error: str | None = None
    """A run-wide failure that ended the drill (refused credentials, an unreadable plan)."""
    summary: ReportSummary = attrs.field(factory=ReportSummary)
    notes: tuple[str, ...] = ()
    controls: ControlsSection | None = None
    """The controls an auditor tests a rehearsal against, with the facts they rest on
    (None in a report written before them)."""

    @property
    def verdict(self) -> RunVerdict:
        return run_verdict(
            failed=self.summary.failed,
            missed_rto=self.summary.rto_missed,
            not_started=self.summary.not_started,
            interrupted=self.interrupted,
            dry_run=self.dry_run,
            run_error=self.run_error,
        )

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - self.started_at).total_seconds())
