"""SVG primitives every chart of the HTML report draws with: the canvas, bars, axes, labels.

Also the palette and width the charts share, so that a restore's colour means the
same in the timeline, the distribution and the trend (``report.css`` repeats the
colours for the page's badges).

Labels are laid out here, before the browser sees them, so that none overlaps
another or a mark: the file has no layout script (it must read the same with
scripts off), so a label's size is estimated by :func:`text_width` from the
advance widths of DejaVu Sans, the widest of the usual ``system-ui`` fonts
(Segoe UI, San Francisco, Cantarell and Noto Sans are narrower), rounded up.
No library estimates text without the font file at hand, which a report
cannot count on.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from html import escape

from ob_async.drill._renderers.words import format_seconds

WIDTH = 1100
"""The width of every chart's viewBox; the page scales it to the window."""

OK = "#2e9e5b"
FAILED = "#d64545"
MISSED = "#e69b1c"
WAITING = "#a9bdd6"


FONT_SIZE = 11
"""The size of every chart label (``report.css``: ``svg text``)."""
ASCENT = 0.93 * FONT_SIZE
"""How far a label's box reaches above its baseline."""
DESCENT = 0.24 * FONT_SIZE
"""How far a label's box reaches below its baseline."""
LINE = 15.0
"""The distance between the baselines of stacked labels: their boxes do not touch (1.17 em
in DejaVu Sans, up to 1.36 em in Noto Sans: 15 pixels)."""

# Advance widths in em, rounded up from DejaVu Sans; others are 0.64 em, any non-ASCII 1 em.
_EM = {
    **dict.fromkeys(" ',.", 0.32),
    **dict.fromkeys("!()-/:;IJ[\\]fijlrt|", 0.42),
    **dict.fromkeys("ABCDGHKNOQRUVXZ&", 0.79),
    **dict.fromkeys("#%+<=>@MW^mw~", 1.0),
}


def text_width(text: str, size: float = FONT_SIZE, *, bold: bool = False) -> float:
    """An upper estimate of the width of ``text`` drawn at ``size`` pixels (semi-bold or bold:
    DejaVu Sans Bold is up to 11% wider)."""
    em = sum(_EM.get(char, 0.64 if char.isascii() else 1.0) for char in text)
    return size * em * (1.12 if bold else 1.0)


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
    """A horizontal axis of durations every ``step``, labelled as often as the labels fit."""
    count = int(span / step)
    ticks = [
        (left + index * step / span * plot, f"{prefix}{format_seconds(index * step)}")
        for index in range(count + 1)
    ]
    return (
        f'<line x1="{left}" x2="{left + plot:.1f}" y1="{y:.1f}" y2="{y:.1f}" class="axis"/>'
        + tick_labels(ticks, y, 0, WIDTH)
    )


def tick_labels(
    ticks: Sequence[tuple[float, str]], y: float, low: float, high: float, *, newest: bool = False
) -> str:
    """Tick marks below an axis at ``y`` and their labels, centred, between ``low`` and ``high``.

    Every k-th tick is labelled, k the smallest that keeps the labels apart (counted
    from the first tick, or from the last if ``newest``); a label that would leave
    ``[low, high]`` is pushed back inside, which the choice of k allows for.
    """
    spans = [_centred(x, text_width(text), low, high) for x, text in ticks]
    order = range(len(ticks) - 1, -1, -1) if newest else range(len(ticks))
    every = next(
        (k for k in range(1, len(ticks)) if _apart([spans[i] for i in sorted(order[::k])])),
        max(1, len(ticks)),  # one label alone is apart from every other
    )
    parts = []
    for index in sorted(order[::every]):
        (x, text), (start, _) = ticks[index], spans[index]
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y:.1f}" y2="{y + 4:.1f}" class="axis"/>'
            f'<text x="{start:.1f}" y="{y + 16:.1f}" class="tick">{escape(text)}</text>'
        )
    return "".join(parts)


def _apart(spans: Sequence[tuple[float, float]]) -> bool:
    """Whether labels spanning ``spans`` (left to right) keep a gap between neighbours."""
    return all(end + _GAP <= start for (_, end), (start, _) in itertools.pairwise(spans))


_GAP = 8.0  # between neighbouring labels of an axis


def _centred(x: float, width: float, low: float, high: float) -> tuple[float, float]:
    """The span of a label of ``width`` centred on ``x``, moved inside ``[low, high]``."""
    start = min(max(x - width / 2, low), high - width)
    return start, start + width


def count_axis(peak: float, left: float, height: float, top: float) -> str:
    """A vertical axis of counts: 0, half ``peak`` if that is a whole count, ``peak``."""
    values = (0, peak / 2, peak) if (peak / 2).is_integer() else (0, peak)
    return _vertical_axis(values, left, height, top, lambda value: f"{value:g}")


def seconds_count_axis(peak: float, left: float, height: float, top: float) -> str:
    """A vertical axis of durations: 0, half ``peak``, ``peak``."""
    return _vertical_axis((0, peak / 2, peak), left, height, top, format_seconds)


def _vertical_axis(
    values: Sequence[float], left: float, height: float, top: float, label: Callable[[float], str]
) -> str:
    """Labels at ``values``, the last of them the ``peak`` at the ``top``, right of ``left``.

    The labels are at least 45 apart (the plots are at least 90 high), more than a label's
    height; their width must fit the room left of ``left`` (60: seven digits or ``999h59m``).
    """
    peak = values[-1]
    parts = [f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + height}" class="axis"/>']
    for value in values:
        y = top + height - value / peak * height
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(label(value))}</text>"
        )
    return "".join(parts)


def fit(text: str, width: float) -> str:
    """``text`` cut to fit ``width`` pixels as a label, an ellipsis marking the cut."""
    if text_width(text) <= width:
        return text
    room = width - text_width("…")
    widths = itertools.accumulate(text_width(char) for char in text)
    return text[: next(end for end, used in enumerate(widths) if used > room)] + "…"
