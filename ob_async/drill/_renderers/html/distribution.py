"""The HTML report's distribution of recovery times: a stacked histogram by outcome.

Each bin stacks the restores that came ONLINE in time, those that missed their
RTO, and those that failed after a measured recovery; p50 and p90 are drawn as
dashed lines, and the most common RTO target as a solid one, labelled above the
bars (:mod:`~ob_async.drill._renderers.html.marks`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from html import escape

from ob_async.drill._renderers.html.extent import Extent
from ob_async.drill._renderers.html.marks import Mark, band, draw, place
from ob_async.drill._renderers.html.svg import (
    FAILED,
    MISSED,
    OK,
    WIDTH,
    count_axis,
    nice_step,
    rect,
    seconds_axis,
    svg_open,
)
from ob_async.drill._renderers.words import format_seconds
from ob_async.drill._report.entry import ReportEntry


def distribution(entries: Iterable[ReportEntry], extent: Extent) -> str:
    """The histogram of recovery times, or a note that none was measured."""
    values: list[tuple[float, str]] = []
    for entry in entries:
        recovery = entry.recovery_seconds
        if recovery is None:
            continue
        colour = MISSED if entry.met_rto is False else (OK if entry.ok else FAILED)
        values.append((recovery, colour))
    if not values:
        return '<p class="empty">No recovery time was measured.</p>'
    step = nice_step(max(extent.longest, 1.0), 24)
    bins = max(1, math.ceil(max(extent.longest, step) / step))
    counts: list[Counter[str]] = [Counter() for _ in range(bins)]
    for value, colour in values:
        counts[min(bins - 1, int(value / step))][colour] += 1
    peak = max(sum(c.values()) for c in counts)
    left, plot, height = 60, WIDTH - 100, 200.0
    column = plot / bins
    scale = plot / (bins * step)
    ordered = sorted(value for value, _ in values)
    marks = []
    for label, fraction in (("p50", 0.5), ("p90", 0.9)):
        value = ordered[max(1, math.ceil(fraction * len(ordered))) - 1]
        marks.append(Mark(left + value * scale, f"{label} {format_seconds(value)}", "pct"))
    if extent.rto:
        rto, _ = extent.rto.most_common(1)[0]
        if rto <= bins * step:
            marks.append(Mark(left + rto * scale, f"RTO {format_seconds(rto)}", "rto"))
    placed = place(marks, 0, WIDTH)
    top = max(10.0, band(placed))
    parts = [
        svg_open(WIDTH, top + height + 40, "distribution", "recovery times"),
        count_axis(peak, left, height, top),
    ]
    for index, bucket in enumerate(counts):
        base = top + height
        x = left + index * column
        for colour in (OK, MISSED, FAILED):
            if bucket[colour]:
                h = bucket[colour] / peak * height
                base -= h
                tip = f"{format_seconds(index * step)}-{format_seconds((index + 1) * step)}"
                parts.append(
                    f"<g><title>{escape(tip)}: {bucket[colour]}</title>"
                    + rect(x + 1, base, column - 2, h, colour)
                    + "</g>"
                )
    parts.append(draw(placed, top, top + height))
    parts.append(seconds_axis(bins * step, step, left, plot, top + height + 4))
    parts.append("</svg>")
    return "".join(parts)
