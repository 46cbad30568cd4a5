"""What the run's data checks add up to: tenants verified, checks passed and failed,
RPO targets missed, and the percentiles of both RPO figures."""

from __future__ import annotations

import attrs

from ob_async._stats import nearest_rank
from ob_async.drill._report.entry import DataOutcome
from ob_async.drill._report.header import DataSummary, Percentiles

TENANTS_LISTED = 20
"""How many tenants' data the terminal summary names, one line each."""


def percentiles(values: list[float]) -> Percentiles:
    ordered = sorted(values)
    return Percentiles(
        p50=nearest_rank(ordered, 0.50),
        p90=nearest_rank(ordered, 0.90),
        p99=nearest_rank(ordered, 0.99),
        max=ordered[-1] if ordered else None,
    )


@attrs.define
class DataTally:
    """Fed the data outcome of each entry that had one."""

    rpo: list[float] = attrs.field(factory=list)
    exposure: list[float] = attrs.field(factory=list)
    gap: list[float] = attrs.field(factory=list)
    rpo_misses: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    verified: int = 0
    listed: list[tuple[str, DataOutcome]] = attrs.field(factory=list)
    """The first :data:`TENANTS_LISTED` entries' keys and outcomes."""

    def add(self, key: str, data: DataOutcome | None) -> None:
        if data is None:
            return
        self.verified += 1
        failed = len(data.failed_checks)
        self.checks_failed += failed
        self.checks_passed += len(data.checks) - failed
        for values, value in (
            (self.rpo, data.rpo_seconds),
            (self.exposure, data.data_loss_exposure_seconds),
            (self.gap, data.restore_point_gap_seconds),
        ):
            if value is not None:
                values.append(value)
        self.rpo_misses += data.met_rpo is False
        if len(self.listed) < TENANTS_LISTED:
            self.listed.append((key, data))

    def summary(self) -> DataSummary | None:
        if not self.verified:
            return None
        return DataSummary(
            verified=self.verified,
            checks_passed=self.checks_passed,
            checks_failed=self.checks_failed,
            rpo_missed=self.rpo_misses,
            rpo_seconds=percentiles(self.rpo),
            data_loss_exposure_seconds=percentiles(self.exposure),
            restore_point_gap_seconds=percentiles(self.gap),
        )
