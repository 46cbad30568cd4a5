"""The drill's verdict in words that add up: restored, missed RTO, failed; and the clean-up.

Every item of a run lands in exactly one of three counts, so they sum to the
number of items (with a fourth, **not started**, when the run stopped before
sending some: they never ran, so they are neither restored nor failed):

- **restored**: came ONLINE as asked (read back and matching the request)
  within its RTO target (or without a target);
- **missed RTO**: came ONLINE as asked, but after its RTO target;
- **failed**: any other end (``restore_failed``, ``timed_out``, ``conflict``,
  ``validation_failed``, ``interrupted``, ...; the states line tells which).

With clean-up, it also says how many restored tenants were deleted and which
tenants stay behind, each with the reason: a failed deletion, a tenant kept for
inspection because it does not match the request, or a failed restore's tenant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ob_async.batch._item import ItemState

if TYPE_CHECKING:
    from ob_async.drill._report import ReportEntry

_KEPT_LISTED = 20

LEGEND = "restored: ONLINE in time, missed RTO: ONLINE late, failed: any other end"
"""The three counts, defined in one summary line (see the module docstring)."""


def _kept_reason(entry: ReportEntry) -> str | None:
    """Why a tenant that exists stays behind after a run with clean-up (None: it does not)."""
    cleanup = entry.cleanup
    if cleanup is not None and cleanup.get("deleted"):
        return None
    if cleanup is not None:
        return f"deletion failed: {cleanup.get('error') or 'no detail'}"
    if entry.tenant_id is None:
        return None  # never created (or not known to exist): nothing to delete
    if entry.state is ItemState.VALIDATION_FAILED:
        return "does not match the request; kept for inspection"
    if entry.state is ItemState.ONLINE:
        return _kept_online_reason(entry)
    return f"{entry.state.value}; a failed restore's tenant is kept for diagnosis"


def _kept_online_reason(entry: ReportEntry) -> str:
    if entry.data is not None and not entry.data.get("ok"):
        return "its data failed a check or the RPO target; kept for inspection"
    if entry.cleanup_due is not None:
        return f"held for manual validation: clean-up due at {entry.cleanup_due.isoformat()}"
    return "not deleted (the run stopped before its clean-up)"


@attrs.define
class Verdict:
    """The three counts of a run and its clean-up, fed one entry at a time."""

    restored: int = 0
    missed_rto: int = 0
    failed: int = 0
    planned: int = 0
    not_started: int = 0
    deleted: int = 0
    kept: int = 0
    kept_listed: list[tuple[ReportEntry, str]] = attrs.field(factory=list)

    def add(self, entry: ReportEntry) -> None:
        if entry.state is ItemState.PLANNED:
            self.planned += 1
        elif entry.state is ItemState.NOT_STARTED:
            self.not_started += 1
        elif entry.state is ItemState.ONLINE and entry.met_rto is False:
            self.missed_rto += 1
        elif entry.ok:
            self.restored += 1
        else:
            self.failed += 1
        if entry.cleanup is not None and entry.cleanup.get("deleted"):
            self.deleted += 1
        reason = _kept_reason(entry)
        if reason is not None:
            self.kept += 1
            if len(self.kept_listed) < _KEPT_LISTED:
                self.kept_listed.append((entry, reason))

    def headline(self) -> str:
        """``14 restored, 4 missed RTO, 2 failed`` (a dry run: what was planned)."""
        if self.planned:
            return f"{self.planned} planned, {self.failed} failed pre-flight"
        counts = f"{self.restored} restored, {self.missed_rto} missed RTO, {self.failed} failed"
        return counts + (f", {self.not_started} not started" if self.not_started else "")

    def cleanup_lines(self) -> list[str]:
        """What the clean-up did: how many deleted, which tenants were kept and why."""
        lines = [f"  cleanup: {self.deleted} tenant(s) deleted, {self.kept} kept"]
        lines.extend(
            f"    kept {entry.target_instance_id}/{entry.target_tenant_name}"
            f"{f' ({entry.tenant_id})' if entry.tenant_id else ''}: {reason}"
            for entry, reason in self.kept_listed
        )
        if self.kept > len(self.kept_listed):
            lines.append(f"    ... and {self.kept - len(self.kept_listed)} more (see the report)")
        return lines
