"""What happened to a restore, in words: the one phrasing every output uses.

:func:`failure_text` is why an entry did not pass (JUnit's failure message, the
terminal summary's FAILED lines, the notification); :func:`seconds` and
:func:`duration` write the figures.
"""

from __future__ import annotations

from ob_async._restore.outcome import RtoVerdict
from ob_async.batch._item import ItemState
from ob_async.drill._report.entry import ReportEntry


def seconds(value: float | None) -> str:
    """``18.7s``; ``-`` when there is no figure."""
    return "-" if value is None else f"{value:.1f}s"


def duration(value: float | None) -> str:
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
