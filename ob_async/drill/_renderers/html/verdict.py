"""The top of the HTML report: the verdict with the run's key figures, and the run's notes."""

from __future__ import annotations

from datetime import datetime
from html import escape

from ob_async.drill._renderers.html.extent import Extent
from ob_async.drill._renderers.summary_text import rehearsal_lines
from ob_async.drill._renderers.words import format_seconds
from ob_async.drill._report.header import Percentiles, RunHeader
from ob_async.drill._report.outcome import RunVerdict


def verdict_block(header: RunHeader, extent: Extent) -> str:
    """The header: the verdict, the run's identity, its counts and percentiles."""
    word = header.verdict
    summary = header.summary
    recovery = summary.recovery_seconds
    tone = {
        RunVerdict.PASSED: "pass",
        RunVerdict.DRY_RUN: "pass",
        RunVerdict.INTERRUPTED: "warn",
    }.get(word, "fail")
    facts: list[tuple[str, object]] = [("restores", summary.items or extent.items)]
    facts += [(outcome.value, count) for outcome, count in summary.shown_counts()]
    if summary.rto_uncertain:
        facts.append(("RTO uncertain", summary.rto_uncertain))
    facts += [
        ("p50", format_seconds(recovery.p50)),
        ("p90", format_seconds(recovery.p90)),
        ("p99", format_seconds(recovery.p99)),
        ("max", format_seconds(recovery.max)),
        ("duration", format_seconds(header.duration_seconds)),
    ]
    states = ", ".join(f"{escape(state)} {count}" for state, count in summary.by_state.items())
    cells = "".join(
        f'<div class="fact"><span>{escape(str(value))}</span>{escape(label)}</div>'
        for label, value in facts
    )
    return (
        f'<header class="verdict {tone}"><h1><span class="word">{escape(word.value)}</span> '
        f"drill {escape(header.drill)}</h1>"
        f'<p class="run">run {escape(header.run_id)} · '
        f"{escape(_when(header.started_at))} → {escape(_when(header.finished_at))}"
        + (f" · {escape(header.endpoint)}" if header.endpoint else "")
        + "</p>"
        f'<div class="facts">{cells}</div><p class="states">states: {states or "none"}</p>'
        + "".join(f'<p class="states">{escape(line)}</p>' for line in _more_facts(header))
        + "</header>"
    )


def _spread(found: Percentiles) -> str:
    return f"p50 {format_seconds(found.p50)}, max {format_seconds(found.max)}"


def _more_facts(header: RunHeader) -> list[str]:
    """The run error, what limited the run, the data checks, how the restore points were
    chosen and when held tenants may be cleaned up, when the report has them."""
    summary = header.summary
    lines = []
    if header.run_error:
        lines.append(f"run error: {header.run_error}")
    if summary.bottleneck is not None and summary.bottleneck.summary:
        lines.append(f"bottleneck: {summary.bottleneck.summary}")
    data = summary.data
    if data is not None and data.verified:
        line = (
            f"data checks: {data.checks_passed} passed, {data.checks_failed} failed; "
            f"RPO {_spread(data.rpo_seconds)}, {data.rpo_missed} over target"
        )
        if data.data_loss_exposure_seconds.max is not None:
            line += f"; data-loss exposure {_spread(data.data_loss_exposure_seconds)}"
        if data.restore_point_gap_seconds.max is not None:
            line += f"; restore-point gap {_spread(data.restore_point_gap_seconds)}"
        lines.append(line)
    return lines + [line.strip() for line in rehearsal_lines(summary)]


def _when(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if when else "?"


def notes_block(header: RunHeader, extent: Extent) -> str:
    """The notes a reader needs to read the rest right, or nothing if none."""
    notes = list(header.notes)
    if header.interrupted:
        notes.insert(
            0,
            "The run was interrupted: restores not settled are reported as they were left; "
            "continue it with --resume.",
        )
    if extent.resumed:
        notes.append(
            f"{extent.resumed} restore(s) were settled by an earlier run of this drill "
            "(resumed from the journal)."
        )
    if not notes:
        return ""
    items = "".join(f"<li>{escape(note)}</li>" for note in notes)
    return f'<section class="notes"><h2>Notes</h2><ul>{items}</ul></section>'
