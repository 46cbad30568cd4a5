"""What a wait for a restored tenant ends with: :class:`RestoreOutcome`.

Verdicts: ``ONLINE`` is done; a status in ``failure_statuses`` is failed; a
tenant that was seen and then disappears has vanished (failed); anything else
is still in progress. Recovery times are measured on the client clock from the
submission, and come as an interval: the tenant was last seen not ONLINE by a
sweep that began ``recovery_lower_seconds`` after the submission, and first seen
ONLINE by a sweep answered ``recovery_upper_seconds`` after it. The true
recovery lies in between; ``recovery_seconds`` is the upper end (what the RTO is
held to), and :meth:`RestoreOutcome.rto_verdict` says ``uncertain`` when the RTO
falls inside the interval.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ob_async.errors import ObError


class RtoVerdict(enum.StrEnum):
    """Whether a restore that came ONLINE met its RTO, given its recovery interval."""

    MET = "met"
    """ONLINE was seen within the RTO."""
    MISSED = "missed"
    """Still not ONLINE when the RTO had passed."""
    UNCERTAIN = "uncertain"
    """The RTO falls between the last sight of it not ONLINE and the first ONLINE."""


class RestoreState(enum.StrEnum):
    ONLINE = "online"
    FAILED = "failed"
    VANISHED = "vanished"
    TIMED_OUT = "timed_out"
    ERROR = "error"
    """Polling itself failed (e.g. the credentials were refused)."""


@attrs.frozen(kw_only=True)
class RestoreOutcome:
    """How a wait for one restored tenant ended."""

    instance_id: str
    tenant_name: str
    state: RestoreState
    tenant_id: str | None = None
    last_status: str | None = None
    started_at: datetime
    """When the restore was submitted (or the wait began, if not told)."""
    first_seen_at: datetime | None = None
    last_not_online_at: datetime | None = None
    """When the last sweep that saw the tenant absent or not ONLINE began."""
    finished_at: datetime
    polls: int = 0
    """Sweeps of the instance this wait lived through."""
    poll_interval: float | None = None
    """The interval before the deciding sweep: the measurement's uncertainty."""
    error: str | None = None
    cause: ObError | None = attrs.field(default=None, eq=False, repr=False)
    """The failure behind an ``ERROR`` outcome (a caller may find it run-wide)."""

    @property
    def ok(self) -> bool:
        return self.state is RestoreState.ONLINE

    @property
    def recovery_seconds(self) -> float | None:
        """Seconds from submission to ONLINE first seen; None unless the tenant came ONLINE."""
        if self.state is not RestoreState.ONLINE:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def recovery_upper_seconds(self) -> float | None:
        """The latest the restore can have come ONLINE (the same as ``recovery_seconds``)."""
        return self.recovery_seconds

    @property
    def recovery_lower_seconds(self) -> float | None:
        """The earliest it can have come ONLINE: when it was last seen otherwise (or 0)."""
        upper = self.recovery_seconds
        if upper is None:
            return None
        if self.last_not_online_at is None:
            return 0.0
        lower = (self.last_not_online_at - self.started_at).total_seconds()
        return min(upper, max(0.0, lower))

    def rto_verdict(self, rto_seconds: float | None) -> RtoVerdict | None:
        """Met, missed or uncertain; None without an RTO or unless it came ONLINE."""
        upper, lower = self.recovery_upper_seconds, self.recovery_lower_seconds
        if rto_seconds is None or upper is None or lower is None:
            return None
        if upper <= rto_seconds:
            return RtoVerdict.MET
        if lower >= rto_seconds:
            return RtoVerdict.MISSED
        return RtoVerdict.UNCERTAIN
