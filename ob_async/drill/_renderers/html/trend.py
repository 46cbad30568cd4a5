"""The HTML report's trend over past runs: p50/p90 recovery time, failures and RTO misses.

Drawn from the run history (:mod:`ob_async.drill._renderers.history`), oldest on
the left, followed by a table of the same runs, newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

import attrs

from ob_async.drill._renderers.history import RunSummary
from ob_async.drill._renderers.html.svg import (
    ASCENT,
    FAILED,
    LINE,
    MISSED,
    WIDTH,
    count_axis,
    rect,
    seconds_count_axis,
    svg_open,
    text_width,
    tick_labels,
)
from ob_async.drill._renderers.words import format_seconds

TREND_RUNS = 30
"""How many of the latest runs the trend shows."""


def trend(runs: Sequence[RunSummary]) -> str:
    """The two trend charts over ``runs`` (oldest first) and their table."""
    half = WIDTH / 2
    recovery = _Panel(0, half - _APART / 2, "recovery time", (("p50", P50), ("p90", P90)))
    failures = _Panel(half + _APART / 2, WIDTH, "failed and missed RTO", _FAILURE_KEYS)
    top = LINE + 16  # below the panels' headers, room for the axes' top labels
    bottom = top + _HEIGHT
    slot = recovery.plot / max(10, len(runs))  # a few runs keep narrow slots, filled from the left
    peak = max([run.p90 or 0.0 for run in runs] + [run.p50 or 0.0 for run in runs] + [1.0])
    most = max([run.failed + run.rto_missed for run in runs] + [1])
    lines = [svg_open(WIDTH, bottom + 28, "trend", "trend over past runs")]
    for panel in (recovery, failures):
        lines.append(panel.header())
        ticks = [
            (panel.left + (i + 0.5) * slot, _tick(run.started_at)) for i, run in enumerate(runs)
        ]
        lines.append(
            f'<line x1="{panel.left}" x2="{panel.left + panel.plot:.1f}" y1="{bottom + 4}" '
            f'y2="{bottom + 4}" class="axis"/>'
            + tick_labels(ticks, bottom + 4, panel.start, panel.end, newest=True)
        )
    lines.append(seconds_count_axis(peak, recovery.left, _HEIGHT, top))
    for label, colour, radius in (("p90", P90, 4.5), ("p50", P50, 3)):  # equal: a dot in a ring
        points = [
            (recovery.left + (i + 0.5) * slot, bottom - value / peak * _HEIGHT, run)
            for i, run in enumerate(runs)
            if (value := getattr(run, label)) is not None
        ]
        if points:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
            lines.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
            lines.extend(
                f"<g><title>{escape(_tip(run))}</title>"
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{colour}"/></g>'
                for x, y, run in points
            )
    lines.append(count_axis(most, failures.left, _HEIGHT, top))
    for i, run in enumerate(runs):
        x = failures.left + i * slot + slot * 0.15
        base = bottom
        for count, colour in ((run.failed, FAILED), (run.rto_missed, MISSED)):
            if count:
                h = count / most * _HEIGHT
                base -= h
                lines.append(rect(x, base, slot * 0.7, h, colour))
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


P50 = "#3b6fb6"
P90 = "#8a4fb8"
_FAILURE_KEYS = (("failed", FAILED), ("missed RTO", MISSED))
_HEIGHT = 160.0  # of each plot
_APART = 20.0  # between the two panels
_AXIS = 60.0  # left of each plot, for its axis's labels
_RIGHT = 40.0  # right of each plot, for half the newest run's label
_SWATCH = 10  # the side of a key's colour square


@attrs.frozen
class _Panel:
    """One of the two charts side by side: its extent, and its title with a key of its colours.

    The title and the key form a header above the plot (both are short: they fit a
    panel's width); nothing is labelled inside the plot.
    """

    start: float
    end: float
    title: str
    keys: tuple[tuple[str, str], ...]

    @property
    def left(self) -> float:
        return self.start + _AXIS

    @property
    def plot(self) -> float:
        return self.end - self.start - _AXIS - _RIGHT

    def header(self) -> str:
        parts = [
            f'<text x="{self.start:.1f}" y="{LINE:.1f}" class="axis-title">'
            f"{escape(self.title)}</text>"
        ]
        x = self.start + text_width(self.title, bold=True) + 16  # .axis-title is semi-bold
        for label, colour in self.keys:
            middle = LINE - ASCENT / 2 + 1
            parts.append(
                f'<rect x="{x:.1f}" y="{middle - _SWATCH / 2:.1f}" width="{_SWATCH}" '
                f'height="{_SWATCH}" fill="{colour}"/>'
                f'<text x="{x + _SWATCH + 4:.1f}" y="{LINE:.1f}">{escape(label)}</text>'
            )
            x += _SWATCH + 4 + text_width(label) + 12
        return "".join(parts)


def _tip(run: RunSummary) -> str:
    return (
        f"{run.run_id} ({_day(run.started_at)}): p50 {format_seconds(run.p50)}, "
        f"p90 {format_seconds(run.p90)}"
    )


def _tick(when: datetime | None) -> str:
    return when.strftime("%b %d %H:%M") if when else "?"


def _day(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M") if when else "?"
