"""Labelled vertical marks across a chart (p50, p90, the RTO), their labels clear of everything.

A mark is a line through the plot from its bottom up into a band above it, where
its label stands beside the line's top, to the right or to the left. The labels
are stacked in rows of that band (row 0 nearest the plot) so that none overlaps
another, none leaves the chart, and no line passes through a label not its own:
a line reaches up to its own label's row, so every label of that row and the
rows below keeps clear of it. With a handful of marks (the distribution has
three) every choice of row and side is tried, and the one with the fewest rows,
then the fewest labels on the left, wins; the bars, lines and axes below the band
never meet a label.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from html import escape

import attrs

from ob_async.drill._renderers.html.svg import ASCENT, LINE, text_width

_PAD = 3.0  # between a line and its label
_GAP = 6.0  # between two labels of a row
_ABOVE = 12.0  # from the plot's top up to the baseline of row 0, clear of the axis labels


@attrs.frozen
class Mark:
    """A vertical line at ``x`` labelled ``text``, styled by the CSS class ``css``."""

    x: float
    text: str
    css: str


@attrs.frozen
class Placed:
    """A mark with its label's row and side."""

    mark: Mark
    row: int
    right: bool

    @property
    def span(self) -> tuple[float, float]:
        """From where to where its label reaches horizontally."""
        width = text_width(self.mark.text)
        if self.right:
            return self.mark.x + _PAD, self.mark.x + _PAD + width
        return self.mark.x - _PAD - width, self.mark.x - _PAD


def place(marks: Sequence[Mark], low: float, high: float) -> list[Placed]:
    """Each mark's row and side: labels within ``[low, high]`` that meet nothing."""
    options = itertools.product(range(len(marks)), (True, False))
    return min(
        (
            [Placed(mark, row, right) for mark, (row, right) in zip(marks, choice, strict=True)]
            for choice in itertools.product(options, repeat=len(marks))
        ),
        key=lambda placed: (
            _clashes(placed, low, high),
            max((p.row for p in placed), default=0),
            sum(not p.right for p in placed),
            sum(p.row for p in placed),
        ),
    )


def band(placed: Sequence[Placed]) -> float:
    """How far above the plot the labels reach: where the plot's top must be."""
    rows = max((p.row for p in placed), default=-1) + 1
    return _ABOVE + LINE * (rows - 1) + ASCENT + 3 if rows else 0.0


def draw(placed: Sequence[Placed], top: float, bottom: float) -> str:
    """The marks' lines from ``bottom`` up past the plot's ``top``, and their labels."""
    parts = []
    for p in placed:
        baseline = top - _ABOVE - LINE * p.row
        start, _ = p.span
        parts.append(
            f'<line x1="{p.mark.x:.1f}" x2="{p.mark.x:.1f}" y1="{baseline - ASCENT / 2:.1f}" '
            f'y2="{bottom:.1f}" class="{p.mark.css}"/>'
            f'<text x="{start:.1f}" y="{baseline:.1f}" class="{p.mark.css}">'
            f"{escape(p.mark.text)}</text>"
        )
    return "".join(parts)


def _clashes(placed: Sequence[Placed], low: float, high: float) -> int:
    """How many rules the placement breaks (0: every label is clear)."""
    clashes = sum(p.span[0] < low or p.span[1] > high for p in placed)
    for one, other in itertools.permutations(placed, 2):
        (start, end), (other_start, _) = one.span, other.span
        if one.row == other.row and start <= other_start < end + _GAP:
            clashes += 1  # the two labels overlap, or come too close
        if one.row <= other.row and start - 1 < other.mark.x < end + 1:
            clashes += 1  # the other's line passes through this label
    return clashes
