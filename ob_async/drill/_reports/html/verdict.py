"""The top of the HTML report: the verdict with the run's key figures, and the run's notes."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from ob_async.drill._reports.html.extent import Extent
from ob_async.drill._reports.source import (
    counts,
    duration_seconds,
    format_seconds,
    moment,
    number,
    verdict,
)


def verdict_block(header: Mapping[str, Any], extent: Extent) -> str:
    """The header: the verdict, the run's identity, its counts and percentiles."""
    word = verdict(header)
    summary = header.get("summary", {})
    recovery = summary.get("recoverySeconds", {})
    tone = {"PASSED": "pass", "DRY RUN": "pass", "INTERRUPTED": "warn"}.get(word, "fail")
    facts: list[tuple[str, object]] = [("restores", summary.get("items", extent.items))]
    facts += [
        (label, count)
        for label, count in counts(header).items()
        if count or label in {"restored", "failed"}
    ]
    if summary.get("rtoUncertain"):
        facts.append(("RTO uncertain", summary["rtoUncertain"]))
    facts += [
        ("p50", format_seconds(number(recovery.get("p50")))),
        ("p90", format_seconds(number(recovery.get("p90")))),
        ("p99", format_seconds(number(recovery.get("p99")))),
        ("max", format_seconds(number(recovery.get("max")))),
        ("duration", format_seconds(duration_seconds(header))),
    ]
    states = ", ".join(
        f"{escape(str(state))} {count}" for state, count in (summary.get("byState") or {}).items()
    )
    cells = "".join(
        f'<div class="fact"><span>{escape(str(value))}</span>{escape(label)}</div>'
        for label, value in facts
    )
    return (
        f'<header class="verdict {tone}"><h1><span class="word">{escape(word)}</span> '
        f"drill {escape(str(header.get('drill')))}</h1>"
        f'<p class="run">run {escape(str(header.get("runId")))} · '
        f"{escape(_when(header.get('startedAt')))} → {escape(_when(header.get('finishedAt')))}"
        + (f" · {escape(str(header['endpoint']))}" if header.get("endpoint") else "")
        + "</p>"
        f'<div class="facts">{cells}</div><p class="states">states: {states or "none"}</p>'
        + "".join(f'<p class="states">{escape(line)}</p>' for line in _more_facts(header))
        + "</header>"
    )


def _more_facts(header: Mapping[str, Any]) -> list[str]:
    """The run error, what limited the run, the data checks, how the restore points were
    chosen and the holds, when the report has them."""
    summary = header.get("summary", {})
    lines = []
    if header.get("runError"):
        lines.append(f"run error: {header['runError']}")
    bottleneck = summary.get("bottleneck")
    if isinstance(bottleneck, Mapping) and bottleneck.get("summary"):
        lines.append(f"bottleneck: {bottleneck['summary']}")
    data = summary.get("data")
    if isinstance(data, Mapping) and data.get("verified"):
        rpo = data.get("rpoSeconds") or {}
        lines.append(
            f"data checks: {data.get('checksPassed', 0)} passed, "
            f"{data.get('checksFailed', 0)} failed; RPO p50 "
            f"{format_seconds(number(rpo.get('p50')))}, max "
            f"{format_seconds(number(rpo.get('max')))}, {data.get('rpoMissed', 0)} over target"
        )
    return lines + _rehearsal_facts(summary)


def _rehearsal_facts(summary: Mapping[str, Any]) -> list[str]:
    """How the restore points were chosen, and when held tenants may be cleaned up."""
    lines = []
    points = summary.get("restorePoints")
    if isinstance(points, Mapping):
        chosen = ", ".join(
            f"{points[choice]} {choice}"
            for choice in ("explicit", "latest", "random")
            if points.get(choice)
        )
        seed = points.get("seed")
        if chosen:
            drawn = f" (random ones drawn with seed {seed})" if points.get("random") else ""
            lines.append(f"restore points: {chosen}{drawn if seed is not None else ''}")
    if summary.get("held"):
        lines.append(
            f"held for manual validation: {summary['held']} restored tenant(s), "
            f"clean-up due at {_when(summary.get('cleanupDue'))}"
        )
    return lines


def _when(value: object) -> str:
    when = moment(value)
    return when.strftime("%Y-%m-%d %H:%M:%S %Z").strip() if when else "?"


def notes_block(header: Mapping[str, Any], extent: Extent) -> str:
    """The notes a reader needs to read the rest right, or nothing if none."""
    notes = [str(note) for note in header.get("notes") or ()]
    if header.get("interrupted"):
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
    rebuilt = header.get("rebuiltFrom")
    if rebuilt:
        notes.append(f"Rebuilt from the journal {rebuilt}.")
    if not notes:
        return ""
    items = "".join(f"<li>{escape(note)}</li>" for note in notes)
    return f'<section class="notes"><h2>Notes</h2><ul>{items}</ul></section>'
