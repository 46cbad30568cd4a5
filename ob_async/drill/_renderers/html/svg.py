"""SVG primitives every chart of the HTML report draws with: the canvas, bars, axes, labels.

Also the palette and width the charts share, so that a restore's colour means the
same in the timeline, the distribution and the trend (``report.css`` repeats the
colours for the page's badges).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape

from ob_async.drill._renderers.words import format_seconds

WIDTH = 1100
"""The width of every chart's viewBox; the page scales it to the window."""

OK = "#2e9e5b"
FAILED = "#d64545"
MISSED = "#e69b1c"
WAITING = "#a9bdd6"


def svg_open(width: float, height: float, css: str, label: str) -> str:
    """The opening tag of a chart ``width`` by ``height``, labelled for screen readers."""
    return (
        f'<svg class="{css}" viewBox="0 0 {width:.0f} {height:.0f}" width="100%" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
    )


def rect(x: float, y: float, w: float, h: float, colour: str) -> str:
    """A filled rectangle, nothing if it has no area, at least 0.8 wide so it shows."""
    if w <= 0 or h <= 0:
        return ""
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0.8):.1f}" height="{h:.1f}" '
        f'fill="{colour}"/>'
    )


_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400)


def nice_step(span: float, ticks: int) -> float:
    """A round step (1, 2, 5 x 10^n, or whole minutes and hours) giving about ``ticks`` steps."""
    raw = span / max(1, ticks)
    for step in _STEPS:
        if raw <= step:
            return step
    magnitude = 10 ** math.floor(math.log10(raw))
    return float(next(m * magnitude for m in (1, 2, 5, 10) if raw <= m * magnitude))


def time_axis(span: float, left: float, plot: float, y: float) -> str:
    """A horizontal axis of seconds since the start, ``+`` before each tick."""
    step = nice_step(span, 10)
    return seconds_axis(span, step, left, plot, y, prefix="+")


def seconds_axis(
    span: float, step: float, left: float, plot: float, y: float, *, prefix: str = ""
) -> str:
    """A horizontal axis of durations every ``step``, at most about 12 labelled ticks."""
    parts = [f'<line x1="{left}" x2="{left + plot:.1f}" y1="{y:.1f}" y2="{y:.1f}" class="axis"/>']
    count = int(span / step)
    every = max(1, math.ceil(count / 12))
    for index in range(0, count + 1, every):
        x = left + index * step / span * plot
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y:.1f}" y2="{y + 4:.1f}" class="axis"/>'
            f'<text x="{x:.1f}" y="{y + 16:.1f}" text-anchor="middle" class="tick">'
            f"{prefix}{format_seconds(index * step)}</text>"
        )
    return "".join(parts)


def count_axis(peak: float, left: float, height: float, top: float) -> str:
    """A vertical axis of counts: 0, half ``peak``, ``peak``."""
    return _vertical_axis(peak, left, height, top, lambda value: f"{value:g}")


def seconds_count_axis(peak: float, left: float, height: float, top: float) -> str:
    """A vertical axis of durations: 0, half ``peak``, ``peak``."""
    return _vertical_axis(peak, left, height, top, format_seconds)


def _vertical_axis(
    peak: float, left: float, height: float, top: float, label: Callable[[float], str]
) -> str:
    parts = [f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + height}" class="axis"/>']
    for value in (0, peak / 2, peak):
        y = top + height - value / peak * height
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(label(value))}</text>"
        )
    return "".join(parts)


def line_label(x: float, y: float, text: str, css: str, right: float) -> str:
    """A label beside a vertical line: to its right, or to its left near the right edge."""
    anchor, dx = ("end", -4) if x > right - 90 else ("start", 4)
    return (
        f'<text x="{x + dx:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="{css}">'
        f"{escape(text)}</text>"
    )


def short(text: str, limit: int = 26) -> str:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
