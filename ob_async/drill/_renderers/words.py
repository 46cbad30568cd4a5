"""What happened to a restore, in words: the phrasings the outputs share.

:func:`failure_text` is why an entry did not pass (JUnit's failure message and the
terminal summary's FAILED lines; the notification words its shorter lines itself,
with :func:`data_problem`); :func:`what_happened` is the HTML's detail;
:func:`seconds` and :func:`format_seconds` write the figures.
"""

from __future__ import annotations

from datetime import datetime

from ob_async._restore.outcome import RtoVerdict
from ob_async.batch._item import ItemState
from ob_async.drill._report.entry import ReportEntry


def seconds(value: float | None) -> str:
    """``18.7s``; ``-`` when there is no figure."""
    return "-" if value is None else f"{value:.1f}s"


def moment_text(moment: datetime | None) -> str:
    """A moment of a restore's data (restore point, newest change) to the second; ``-``."""
    return moment.isoformat(timespec="seconds") if moment is not None else "-"


def format_seconds(value: float | None) -> str:
    """90.0 -> ``1m30s``: short and readable in a table cell or a chat line."""
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.1f}s"
    minutes, rest = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def data_problem(entry: ReportEntry) -> str | None:
    """Why an entry's data failed, naming each failed check and the RPO; None if not."""
    if entry.data is None or entry.data.ok:
        return None
    return "; ".join(entry.data.problems())


def failure_text(entry: ReportEntry) -> str:
    """Why the entry did not pass (or, for one that never ran, why not)."""
    data = data_problem(entry)
    if entry.state is ItemState.ONLINE and data is not None:
        return f"ONLINE, but its data failed: {data}"
    interval = entry.recovery_interval
    if entry.rto_verdict is RtoVerdict.UNCERTAIN and interval and entry.rto_seconds is not None:
        return (
            f"ONLINE between {interval[0]:.1f}s and {interval[1]:.1f}s after submission: "
            f"the RTO target of {entry.rto_seconds:.0f}s falls inside, so it cannot be shown "
            "to be met"
        )
    if (
        entry.state is ItemState.ONLINE
        and entry.met_rto is False
        and entry.recovery_seconds is not None
        and entry.rto_seconds is not None
    ):
        note = f" ({entry.recovery_note})" if entry.recovery_note else ""
        return (
            f"ONLINE after {entry.recovery_seconds:.1f}s, over the RTO target of "
            f"{entry.rto_seconds:.0f}s{note}"
        )
    return f"{entry.state.value}: {entry.error or 'no further detail'}"


def spoken(value: float) -> str:
    """A duration as a sentence says it: ``18.7 s``, ``18 s``, ``6 min 58 s``, ``2 h 05 min``."""
    if value < 60:
        return f"{value:.0f} s" if float(value).is_integer() else f"{value:.1f} s"
    minutes, rest = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


_ENDS = {
    ItemState.RESTORE_FAILED: "the restore failed",
    ItemState.TIMED_OUT: "not ONLINE when the wait ran out",
    ItemState.CONFLICT: "the target name belongs to a tenant this drill did not create",
    ItemState.SUBMIT_FAILED: "the restore request was not accepted",
    ItemState.UNKNOWN: "sent, but how it ended is not known (resume the run to find out)",
    ItemState.INTERRUPTED: "interrupted by the run's stop",
    ItemState.VALIDATION_FAILED: "ONLINE, but not the tenant asked for",
}
"""The ends of a restore that ran and failed, in words."""

UNCERTAIN = (
    "uncertain: ONLINE is only seen at a poll, so the recovery time lies between the last "
    "poll that saw it restoring and the first that saw it ONLINE; the RTO falls in between, "
    "so it cannot be shown to be met"
)
"""What the ``?`` of an uncertain RTO verdict means."""


def _online(entry: ReportEntry) -> str:
    recovery, rto, interval = entry.recovery_seconds, entry.rto_seconds, entry.recovery_interval
    said = f"ONLINE after {spoken(recovery)}" if recovery is not None else "ONLINE"
    if entry.rto_verdict is RtoVerdict.UNCERTAIN and interval is not None and rto is not None:
        said = (
            f"ONLINE between {spoken(interval[0])} and {spoken(interval[1])} after submission; "
            f"the RTO of {spoken(rto)} falls in between, so it cannot be shown to be met "
            "(ONLINE is only seen at a poll)"
        )
    elif rto is None:
        said += " (no RTO target)"
    elif recovery is not None and entry.met_rto is False:
        said += f", {spoken(recovery - rto)} over the RTO of {spoken(rto)}"
    elif recovery is not None:
        said += f", within the RTO of {spoken(rto)}"
    if entry.recovery_note:
        said += f" ({entry.recovery_note})"
    problem = data_problem(entry)
    if problem is not None:
        said += f"; but its data failed: {problem}"
    elif entry.data is not None:
        said += f"; its data passed {len(entry.data.checks)} check(s)"
    return said


def what_happened(entry: ReportEntry) -> str:
    """What happened to the restore, in words, whatever its state (the HTML's detail)."""
    state = entry.state
    if state is ItemState.PLANNED:
        return (
            f"planned (dry run): its pre-flight checks passed; restore point {entry.restore_time}"
        )
    if state in {ItemState.NOT_STARTED, ItemState.PREFLIGHT_FAILED} or (
        not entry.sent and state is not ItemState.ONLINE
    ):
        return f"never sent: {entry.error or 'the run stopped before reaching it'}"
    if state is ItemState.ONLINE:
        said = _online(entry)
    elif state is ItemState.SUBMITTED:
        said = "submitted as asked; the plan does not wait for it to come ONLINE"
    else:
        said = _ENDS.get(state, state.value)
        if entry.submitted_at is not None and entry.finished_at is not None:
            elapsed = (entry.finished_at - entry.submitted_at).total_seconds()
            said += f" after {spoken(max(0.0, elapsed))}"
        if entry.error:
            said += f": {entry.error}"
    if entry.cleanup is not None:
        said += (
            "; its tenant was deleted"
            if entry.cleanup.deleted
            else f"; deleting its tenant failed: {entry.cleanup.error or 'no detail'}"
        )
    return said
