"""The HTML report's timeline: one bar per restore, or restores in progress over time.

Up to :data:`MAX_BARS` submitted restores, each gets a bar (waiting, restoring,
its outcome's colour, the RTO target as a mark or, beyond the right edge, an
arrow); beyond that the bars would be thinner than a pixel, so the chart counts
the restores waiting and restoring in each of :data:`_SLICES` time slices, with
the completions below.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape

from ob_async.drill._renderers.html.extent import Bar, Extent
from ob_async.drill._renderers.html.svg import (
    FAILED,
    LINE,
    MISSED,
    OK,
    WAITING,
    WIDTH,
    count_axis,
    fit,
    rect,
    svg_open,
    time_axis,
)
from ob_async.drill._renderers.words import format_seconds
from ob_async.drill._report.entry import ReportEntry

MAX_BARS = 300
"""Up to this many restores the timeline draws one bar each; beyond, it aggregates."""
_SLICES = 240
_LEFT = 190  # room for the tenant names beside the bars


def timeline(entries: Iterable[ReportEntry], extent: Extent) -> str:
    """The timeline with its legend and notes, or a note that nothing was submitted."""
    if extent.submitted == 0 or extent.start is None or extent.end is None:
        return '<p class="empty">No restore was submitted.</p>'
    notes = []
    if extent.latest_rto is not None and extent.latest_rto > extent.end:
        notes.append(
            "▸ at the right edge: the RTO target lies beyond the timeline "
            "(the restore finished well before it)."
        )
    if extent.items > extent.submitted:
        notes.append(
            f"{extent.items - extent.submitted} item(s) were never submitted (see the table)."
        )
    legend = _legend(
        (WAITING, "submitted, not yet seen"),
        (OK, "restoring → ONLINE"),
        (MISSED, "ONLINE, RTO missed"),
        (FAILED, "failed"),
        ("#222", "RTO target"),
    )
    drawn = _aggregated(entries, extent) if extent.submitted > MAX_BARS else _bars(entries, extent)
    return legend + drawn + "".join(f'<p class="legend-note">{escape(n)}</p>' for n in notes)


def _legend(*keys: tuple[str, str]) -> str:
    return (
        '<p class="legend">'
        + "".join(
            f'<span><i style="background:{colour}"></i>{escape(label)}</span>'
            for colour, label in keys
        )
        + "</p>"
    )


def _bars(entries: Iterable[ReportEntry], extent: Extent) -> str:
    bars = sorted(
        (bar for entry in entries if (bar := Bar.of(entry)) is not None),
        key=lambda bar: (bar.submitted, bar.name),
    )
    row = min(18.0, max(3.0, 900 / len(bars)))  # up to 60 bars are labelled
    labelled = row >= LINE  # the names' boxes must not overlap
    left = _LEFT if labelled else 50
    plot = WIDTH - left - 30  # room on the right for the arrows of RTO targets beyond it
    scale = plot / extent.span
    height = row * len(bars) + 40
    parts = [svg_open(WIDTH, height, "timeline", "one bar per restore")]
    parts.append(time_axis(extent.span, left, plot, row * len(bars) + 4))
    for number_, bar in enumerate(bars):
        y = number_ * row + 2
        h = max(1.5, row - (3 if labelled else 1))
        x0 = left + extent.offset(bar.submitted) * scale
        x_seen = left + extent.offset(bar.seen) * scale if bar.seen else None
        x_end = left + extent.offset(bar.end) * scale
        tip = escape(
            f"{bar.name}: {bar.state}, recovery {format_seconds(bar.recovery)}"
            + (" (RTO missed)" if bar.missed else "")
        )
        parts.append(f"<g><title>{tip}</title>")
        if labelled:
            parts.append(
                f'<text x="{left - 6}" y="{y + h - 2:.1f}" text-anchor="end" '
                f'class="name">{escape(fit(bar.name, left - 12))}</text>'
            )
        if x_seen is not None:
            waiting_end = x_seen
        elif bar.open_ended:
            waiting_end = x_end  # never seen, never finished: it waited all along
        else:
            waiting_end = x0  # finished without ever being seen: all of it in the final colour
        parts.append(rect(x0, y, waiting_end - x0, h, WAITING))
        if x_seen is not None or not bar.open_ended:
            parts.append(rect(waiting_end, y, x_end - waiting_end, h, bar.colour))
        elif not bar.ok:
            parts.append(rect(x_end - 2, y, 2, h, FAILED))
        if bar.rto_at is not None:
            x_rto = left + extent.offset(bar.rto_at) * scale
            if x_rto <= left + plot + 0.5:
                parts.append(
                    f'<line x1="{x_rto:.1f}" x2="{x_rto:.1f}" y1="{y - 1:.1f}" '
                    f'y2="{y + h + 1:.1f}" class="rto"/>'
                )
            else:  # beyond the right edge: an arrow pointing at it
                x, mid = left + plot + 2, y + h / 2
                parts.append(
                    f'<path d="M{x:.1f},{mid - h / 2:.1f} L{x + 6:.1f},{mid:.1f} '
                    f'L{x:.1f},{mid + h / 2:.1f} Z" class="rto-beyond"/>'
                )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _aggregated(entries: Iterable[ReportEntry], extent: Extent) -> str:
    """Restores in progress over time, in :data:`_SLICES` slices, with completions below."""
    slices = _SLICES
    width = extent.span / slices
    waiting = [0] * (slices + 1)
    restoring = [0] * (slices + 1)
    done_ok = [0] * slices
    done_missed = [0] * slices
    done_failed = [0] * slices
    missed_rto = 0

    def slot(when: datetime) -> int:
        return min(slices - 1, max(0, int(extent.offset(when) / width)))

    for entry in entries:
        bar = Bar.of(entry)
        if bar is None:
            continue
        start, seen, end = slot(bar.submitted), slot(bar.seen or bar.end), slot(bar.end)
        waiting[start] += 1
        waiting[seen] -= 1
        restoring[seen] += 1
        restoring[end + 1] -= 1
        if bar.missed:
            missed_rto += 1
            done_missed[end] += 1
        elif bar.ok:
            done_ok[end] += 1
        else:
            done_failed[end] += 1
    waiting_now = _running_sum(waiting)[:slices]
    restoring_now = _running_sum(restoring)[:slices]
    peak = max([w + r for w, r in zip(waiting_now, restoring_now, strict=True)] + [1])
    done_peak = max(
        [sum(done) for done in zip(done_ok, done_missed, done_failed, strict=True)] + [1]
    )
    left, plot, top_h, bottom_h = 60, WIDTH - 80, 260.0, 90.0
    column = plot / slices
    parts = [
        f'<p class="legend-note">{extent.submitted} restores: too many for one bar each, so '
        f"this shows how many were in progress at each moment (top) and how many finished in "
        f"each of {slices} time slices of {format_seconds(width)} (bottom).</p>",
        svg_open(WIDTH, top_h + bottom_h + 60, "timeline aggregated", "restores over time"),
        count_axis(peak, left, top_h, 10),
        count_axis(done_peak, left, bottom_h, top_h + 30),
        time_axis(extent.span, left, plot, top_h + bottom_h + 34),
    ]
    for index in range(slices):
        x = left + index * column
        w_h = waiting_now[index] / peak * top_h
        r_h = restoring_now[index] / peak * top_h
        parts.append(rect(x, 10 + top_h - r_h, column, r_h, OK))
        parts.append(rect(x, 10 + top_h - r_h - w_h, column, w_h, WAITING))
        base = top_h + 30 + bottom_h
        for count, colour in (
            (done_ok[index], OK),
            (done_missed[index], MISSED),
            (done_failed[index], FAILED),
        ):
            if count:
                h = count / done_peak * bottom_h
                base -= h
                parts.append(rect(x, base, column, h, colour))
    parts.append("</svg>")
    if missed_rto:
        parts.append(f'<p class="legend-note">{missed_rto} restore(s) missed their RTO.</p>')
    return "".join(parts)


def _running_sum(deltas: Sequence[int]) -> list[int]:
    total, sums = 0, []
    for delta in deltas:
        total += delta
        sums.append(total)
    return sums
