"""The run's counts, fed one entry at a time: restored, missed RTO, failed (see
:mod:`ob_async.drill._report.outcome`), and what the clean-up deleted and kept.

With clean-up, a tenant that exists after the run is either deleted or kept,
each kept one with the reason: a failed deletion, a tenant kept for inspection
because it does not match the request or its data failed, one held for manual
validation (the plan's hold), or a failed restore's tenant kept for diagnosis.
"""

from __future__ import annotations

import attrs

from ob_async.batch._item import ItemState
from ob_async.drill._report.entry import ReportEntry
from ob_async.drill._report.outcome import Outcome, outcome_of

KEPT_LISTED = 20


def kept_reason(entry: ReportEntry) -> str | None:
    """Why a tenant that exists stays behind after a run with clean-up (None: it does not)."""
    cleanup = entry.cleanup
    if cleanup is not None and cleanup.deleted:
        return None
    if cleanup is not None:
        return f"deletion failed: {cleanup.error or 'no detail'}"
    if entry.tenant_id is None:
        return None  # never created (or not known to exist): nothing to delete
    if entry.state is ItemState.VALIDATION_FAILED:
        return "does not match the request; kept for inspection"
    if entry.state is ItemState.ONLINE:
        return _kept_online_reason(entry)
    return f"{entry.state.value}; a failed restore's tenant is kept for diagnosis"


def _kept_online_reason(entry: ReportEntry) -> str:
    if entry.data is not None and not entry.data.ok:
        return "its data failed a check or the RPO target; kept for inspection"
    if entry.cleanup_due is not None:
        return f"held for manual validation: clean-up due at {entry.cleanup_due.isoformat()}"
    return "not deleted (the run stopped before its clean-up)"


@attrs.define
class Verdict:
    """The counts of a run (one per :class:`Outcome`) and of its clean-up."""

    restored: int = 0
    missed_rto: int = 0
    failed: int = 0
    planned: int = 0
    not_started: int = 0
    deleted: int = 0
    kept: int = 0
    kept_listed: list[tuple[ReportEntry, str]] = attrs.field(factory=list)

    def add(self, entry: ReportEntry) -> Outcome:
        outcome = outcome_of(entry)
        if outcome is Outcome.PLANNED:
            self.planned += 1
        elif outcome is Outcome.NOT_STARTED:
            self.not_started += 1
        elif outcome is Outcome.MISSED_RTO:
            self.missed_rto += 1
        elif outcome is Outcome.RESTORED:
            self.restored += 1
        else:
            self.failed += 1
        if entry.cleanup is not None and entry.cleanup.deleted:
            self.deleted += 1
        reason = kept_reason(entry)
        if reason is not None:
            self.kept += 1
            if len(self.kept_listed) < KEPT_LISTED:
                self.kept_listed.append((entry, reason))
        return outcome

    @property
    def not_passed(self) -> int:
        """Restores that ran and did not pass: the failed and the missed RTOs."""
        return self.failed + self.missed_rto
