"""A batch's running totals: items started and finished, counts by state, RTOs
missed, and the recovery times measured (with their nearest-rank percentiles).
"""

from __future__ import annotations

from collections import Counter

import attrs

from ob_async._stats import nearest_rank
from ob_async.batch._item import GOOD_STATES, ItemResult


@attrs.define
class BatchSummary:
    """Running totals of a batch."""

    started: int = 0
    finished: int = 0
    by_state: Counter[str] = attrs.field(factory=Counter)
    rto_missed: int = 0
    recovery_seconds: list[float] = attrs.field(factory=list)

    def add(self, result: ItemResult) -> None:
        self.finished += 1
        self.by_state[result.state.value] += 1
        if result.met_rto is False:
            self.rto_missed += 1
        if result.recovery_seconds is not None:
            self.recovery_seconds.append(result.recovery_seconds)

    @property
    def failed(self) -> int:
        return (
            sum(count for state, count in self.by_state.items() if state not in GOOD_STATES)
            + self.rto_missed
        )

    def percentile(self, fraction: float) -> float | None:
        """Nearest-rank percentile of the measured recovery times."""
        return nearest_rank(sorted(self.recovery_seconds), fraction)
