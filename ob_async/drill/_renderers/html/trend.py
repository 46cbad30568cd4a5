"""The HTML report's trend over past runs: p50/p90 recovery time, failures and RTO misses.

Drawn from the run history (:mod:`ob_async.drill._renderers.history`), oldest on
the left, followed by a table of the same runs, newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from ob_async.drill._renderers.history import RunSummary
from ob_async.drill._renderers.html.svg import (
    FAILED,
    MISSED,
    WIDTH,
    count_axis,
    rect,
    seconds_count_axis,
    svg_open,
)
from ob_async.drill._renderers.words import format_seconds

TREND_RUNS = 30
"""How many of the latest runs the trend shows."""


def trend(runs: Sequence[RunSummary]) -> str:
    """The two trend charts over ``runs`` (oldest first) and their table."""
    left, plot, height = 60, WIDTH / 2 - 90, 160.0
    slot = plot / max(10, len(runs))  # a few runs keep narrow slots, filled from the left
    peak = max([run.p90 or 0.0 for run in runs] + [run.p50 or 0.0 for run in runs] + [1.0])
    lines = [svg_open(WIDTH, height + 60, "trend", "trend over past runs")]
    lines.append(f'<text x="{left}" y="12" class="axis-title">recovery time p50 / p90</text>')
    lines.append(seconds_count_axis(peak, left, height, 20))
    for label, colour in (("p50", "#3b6fb6"), ("p90", "#8a4fb8")):
        points = [
            (left + (i + 0.5) * slot, 20 + height - value / peak * height)
            for i, run in enumerate(runs)
            if (value := getattr(run, label)) is not None
        ]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            lines.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
            lines.extend(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points
            )
            x, y = points[-1]
            lines.append(
                f'<text x="{x + 6:.1f}" y="{y + (12 if label == "p50" else -4):.1f}" '
                f'fill="{colour}">{label}</text>'
            )
    offset = WIDTH / 2 + 30
    most = max([run.failed + run.rto_missed for run in runs] + [1])
    lines.append(f'<text x="{offset}" y="12" class="axis-title">failed and missed RTO</text>')
    lines.append(count_axis(most, offset, height, 20))
    for i, run in enumerate(runs):
        x = offset + i * slot + slot * 0.15
        base = 20 + height
        for count, colour in ((run.failed, FAILED), (run.rto_missed, MISSED)):
            if count:
                h = count / most * height
                base -= h
                lines.append(rect(x, base, slot * 0.7, h, colour))
    first, last = runs[0], runs[-1]
    lines.append(
        f'<text x="{left}" y="{height + 44}" class="tick">{escape(_day(first.started_at))}</text>'
    )
    if len(runs) > 1:
        lines.append(
            f'<text x="{left + max(len(runs) * slot, 200):.1f}" y="{height + 44}" '
            f'text-anchor="end" class="tick">{escape(_day(last.started_at))}</text>'
        )
    lines.append("</svg>")
    rows = "".join(
        f"<tr><td>{escape(_day(run.started_at))}</td><td>{escape(run.verdict)}</td>"
        f"<td>{run.items}</td><td>{run.ok}</td><td>{run.rto_missed}</td>"
        f"<td>{run.failed}</td>"
        f"<td>{format_seconds(run.p50)}</td><td>{format_seconds(run.p90)}</td>"
        f"<td class=mono>{escape(run.run_id)}</td></tr>"
        for run in reversed(runs)
    )
    table = (
        '<table class="trend"><thead><tr><th>started</th><th>verdict</th><th>items</th>'
        "<th>restored</th><th>missed RTO</th><th>failed</th><th>p50</th><th>p90</th><th>run</th>"
        "</tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    return "".join(lines) + table


def _day(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M") if when else "?"
