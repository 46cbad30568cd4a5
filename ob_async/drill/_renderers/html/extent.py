"""What the HTML report's charts read of each entry: its bar, and the run's extent over them.

A :class:`Bar` is one restore's times (submitted, first seen, finished, its RTO
as a moment); the :class:`Extent` is gathered in one pass over the entries before
anything is drawn, so the charts know the time span and the counts without
holding every entry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs

from ob_async.drill._renderers.html.svg import FAILED, MISSED, OK
from ob_async.drill._report.entry import ReportEntry


@attrs.define
class Extent:
    """What the charts need to know before drawing: the time span and a few counts."""

    items: int = 0
    submitted: int = 0
    start: datetime | None = None
    end: datetime | None = None
    longest: float = 0.0
    resumed: int = 0
    rto: Counter[float] = attrs.field(factory=Counter)
    latest_rto: datetime | None = None
    columns: set[str] = attrs.field(factory=set)
    """Optional table columns some entry has a value for (RPO, checks)."""

    @classmethod
    def of(cls, entries: Iterable[ReportEntry]) -> Extent:
        """One pass over the entries."""
        extent = cls()
        for entry in entries:
            extent.items += 1
            extent.resumed += entry.resumed
            data = entry.data
            if data is not None and (data.newest_change or data.rpo_error or data.rpo_seconds):
                extent.columns.add("rpo")
            if data is not None and data.checks:
                extent.columns.add("checks")
            recovery = entry.recovery_seconds
            if recovery is not None:
                extent.longest = max(extent.longest, recovery)
            rto = entry.rto_seconds
            if rto is not None:
                extent.rto[rto] += 1
            bar = Bar.of(entry)
            if bar is None:
                continue
            extent.submitted += 1
            extent.start = min(extent.start or bar.submitted, bar.submitted)
            extent.end = max(extent.end or bar.end, bar.end)
            if bar.rto_at is not None:
                extent.latest_rto = max(extent.latest_rto or bar.rto_at, bar.rto_at)
        # An RTO mark far beyond the last restore would squash every bar to the left
        # edge; marks that do not fit are drawn as arrows at the right edge instead.
        if (
            extent.start
            and extent.end
            and extent.latest_rto
            and extent.offset(extent.latest_rto) <= 1.5 * extent.offset(extent.end)
        ):
            extent.end = max(extent.end, extent.latest_rto)
        return extent

    @property
    def span(self) -> float:
        """Seconds from the first submission to the end drawn (at least one)."""
        if self.start is None or self.end is None:
            return 0.0
        return max(1.0, (self.end - self.start).total_seconds())

    def offset(self, when: datetime) -> float:
        """Seconds from the first submission to ``when``."""
        assert self.start is not None
        return (when - self.start).total_seconds()


@attrs.frozen
class Bar:
    """One submitted restore's place on the timeline."""

    name: str
    state: str
    ok: bool
    missed: bool
    submitted: datetime
    seen: datetime | None
    end: datetime
    rto_at: datetime | None
    recovery: float | None
    open_ended: bool

    @classmethod
    def of(cls, entry: ReportEntry) -> Bar | None:
        """The entry's bar, or None if it was never submitted."""
        submitted = entry.submitted_at
        if submitted is None:
            return None
        seen = entry.first_seen_at
        finished = entry.finished_at
        end = finished or seen or submitted
        rto = entry.rto_seconds
        return cls(
            name=entry.target_tenant_name or entry.key,
            state=entry.state.value,
            ok=entry.ok,
            missed=entry.met_rto is False,
            submitted=submitted,
            seen=seen,
            end=max(end, submitted),
            rto_at=submitted + timedelta(seconds=rto) if rto is not None else None,
            recovery=entry.recovery_seconds,
            open_ended=finished is None,
        )

    @property
    def colour(self) -> str:
        """Its outcome's colour: RTO missed, ONLINE in time, or failed."""
        if self.missed:
            return MISSED
        return OK if self.ok else FAILED
