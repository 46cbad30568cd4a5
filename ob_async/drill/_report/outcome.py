"""What "restored", "missed RTO" and "failed" mean: the one definition every output uses.

Every planned restore ends in exactly one :class:`Outcome`:

- **restored**: ONLINE as asked (read back and matching the request), within its
  RTO target or without one, and its data (if checked) proven; also a restore
  submitted as asked when the plan does not wait for it;
- **missed RTO**: came ONLINE as asked, but after its RTO target (or with the
  target inside its recovery interval: not shown to be met);
- **failed**: it ran and ended any other way (``restore_failed``, ``timed_out``,
  ``conflict``, ``validation_failed``, ``interrupted``, ``unknown``, a
  pre-flight refusal, ONLINE with data that failed a check or its RPO target);
- **not started**: the run stopped before sending it; **planned**: a dry run's.
  These never ran, so they are never failed (nor restored).

A run **passes** when every restore was restored: nothing failed, missed its RTO
or was left not started, and no run-wide error ended it. The JSON summary, the
terminal summary, the HTML report, the history, the metrics and the notification
all count with :func:`outcome_of` and judge with :func:`run_verdict`.
"""

from __future__ import annotations

import enum

from ob_async.batch._item import ItemState
from ob_async.drill._report.entry import ReportEntry


class Outcome(enum.StrEnum):
    RESTORED = "restored"
    MISSED_RTO = "missed RTO"
    FAILED = "failed"
    NOT_STARTED = "not started"
    PLANNED = "planned"


NEVER_RAN = frozenset({Outcome.NOT_STARTED, Outcome.PLANNED})

LEGEND = "restored: ONLINE in time, missed RTO: ONLINE late, failed: any other end"
"""The three counts, defined in one line of the terminal summary."""


def outcome_of(entry: ReportEntry) -> Outcome:
    """The one outcome of an entry (see the module docstring)."""
    if entry.state is ItemState.PLANNED:
        return Outcome.PLANNED
    if entry.state is ItemState.NOT_STARTED:
        return Outcome.NOT_STARTED
    if entry.state is ItemState.ONLINE and entry.met_rto is False:
        return Outcome.MISSED_RTO
    return Outcome.RESTORED if entry.ok else Outcome.FAILED


class RunVerdict(enum.StrEnum):
    """The one word a report starts with."""

    PASSED = "PASSED"
    FAILED = "FAILED"
    INTERRUPTED = "INTERRUPTED"
    DRY_RUN = "DRY RUN"


def run_verdict(
    *,
    failed: int,
    missed_rto: int,
    not_started: int,
    interrupted: bool,
    dry_run: bool,
    run_error: str | None,
) -> RunVerdict:
    """PASSED only when every restore was restored and nothing ended the run early."""
    if interrupted:
        return RunVerdict.INTERRUPTED
    if failed or missed_rto or not_started or run_error:
        return RunVerdict.FAILED
    if dry_run:
        return RunVerdict.DRY_RUN
    return RunVerdict.PASSED
