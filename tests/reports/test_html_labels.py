"""The HTML report's chart labels, measured in a real browser: none overlaps another or a mark.

Each case renders a report made to crowd the charts (a long trend with long run
ids, one tall histogram bar, every value equal, p50 equal to p90, markers side by
side, long wide tenant names, an aggregated timeline), loads it in headless
Chromium and reads back every ``<text>`` of every chart with ``getBBox`` (the
box of its glyph cells, in the chart's own units) and every mark: bars, points,
lines, arrows, and the segments of the trend's lines. Checked: each label lies
inside its chart's viewBox (an SVG clips what is outside), no two labels'
boxes intersect, and no label touches a mark (the percentile and RTO lines stop
short of their own labels, so no exception is needed).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ob_async.drill._renderers import write_atomically
from ob_async.drill._renderers.history import RunSummary
from ob_async.drill._renderers.html import MAX_BARS, write_html
from ob_async.drill._renderers.html.marks import Mark, band, draw, place
from ob_async.drill._renderers.html.svg import ASCENT, DESCENT, WIDTH, text_width, tick_labels
from ob_async.drill._report import DrillReport
from ob_async.drill._report.header import Percentiles
from tests.reports.fixtures import START, entry, large_report, mixed_report, report_of
from tests.reports.test_html_browser import ARTIFACTS
from tests.support.browser import chromium

# Every chart's labels and marks, in the chart's own units (getBBox ignores the page's scaling).
CHARTS = """[...document.querySelectorAll('svg')].map(svg => {
  const box = b => { const r = b.getBBox(); return [r.x, r.y, r.width, r.height]; };
  const v = svg.viewBox.baseVal;
  return {
    chart: svg.getAttribute('class'),
    viewBox: [v.x, v.y, v.width, v.height],
    labels: [...svg.querySelectorAll('text')].map(t => ({text: t.textContent, box: box(t)})),
    marks: [...svg.querySelectorAll('rect, line, circle, path')].map(
      m => ({kind: m.tagName, box: box(m)})),
    lines: [...svg.querySelectorAll('polyline')].map(p => [...p.points].map(q => [q.x, q.y])),
  };
})"""

Box = tuple[float, float, float, float]


def _overlap(a: Box, b: Box) -> bool:
    """Whether two boxes share an inner point (a zero-width line inside a label counts)."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    # A vertical or horizontal line is a box without width or height: it must lie strictly inside.
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def _crosses(box: Box, start: tuple[float, float], end: tuple[float, float]) -> bool:
    """Whether the segment from ``start`` to ``end`` passes through ``box`` (Liang-Barsky)."""
    x, y, w, h = box
    (x0, y0), (x1, y1) = start, end
    dx, dy = x1 - x0, y1 - y0
    low, high = 0.0, 1.0
    for p, q in ((-dx, x0 - x), (dx, x + w - x0), (-dy, y0 - y), (dy, y + h - y0)):
        if p == 0:
            if q <= 0:
                return False
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
    return low < high


def label_problems(charts: list[dict[str, Any]]) -> list[str]:
    """Every label outside its chart, on another label, or on a mark, in words."""
    problems = []
    for chart in charts:
        name = chart["chart"]
        vx, vy, vw, vh = chart["viewBox"]
        labels = [(label["text"], tuple(label["box"])) for label in chart["labels"]]
        for text, (x, y, w, h) in labels:
            if x < vx - 0.5 or y < vy - 0.5 or x + w > vx + vw + 0.5 or y + h > vy + vh + 0.5:
                problems.append(f"{name}: {text!r} at {(x, y, w, h)} leaves the viewBox")
        for (one, a), (other, b) in itertools.combinations(labels, 2):
            if _overlap(a, b):
                problems.append(f"{name}: {one!r} at {a} overlaps {other!r} at {b}")
        for text, box in labels:
            for mark in chart["marks"]:
                if _overlap(box, tuple(mark["box"])):
                    problems.append(f"{name}: {text!r} at {box} lies on a {mark['kind']}")
            for points in chart["lines"]:
                if any(_crosses(box, p, q) for p, q in itertools.pairwise(points)):
                    problems.append(f"{name}: {text!r} at {box} lies on a line of the trend")
    return problems


def test_the_check_finds_labels_that_collide() -> None:
    # Two labels on each other, one on a bar, one outside the chart, one on a trend's line.
    chart = {
        "chart": "c",
        "viewBox": [0, 0, 100, 50],
        "labels": [
            {"text": "p50", "box": [10, 10, 20, 13]},
            {"text": "p90", "box": [25, 15, 20, 13]},
            {"text": "bar", "box": [60, 30, 10, 13]},
            {"text": "out", "box": [95, 2, 10, 13]},
            {"text": "free", "box": [60, 0, 20, 10]},
        ],
        "marks": [
            {"kind": "rect", "box": [65, 40, 10, 10]},
            {"kind": "line", "box": [88, 20, 0, 30]},
        ],
        "lines": [[[50, 12], [62, 2]]],
    }
    problems = label_problems([chart])
    assert [problem.split(" at ")[0] for problem in problems] == [
        "c: 'out'",
        "c: 'p50'",
        "c: 'bar'",
        "c: 'free'",
    ]
    assert problems[0].endswith("leaves the viewBox")
    assert "overlaps 'p90'" in problems[1]
    assert problems[2].endswith("lies on a rect")
    assert problems[3].endswith("lies on a line of the trend")
    # A line beside a label, and a label beside another, touch nothing.
    chart["labels"] = [
        {"text": "a", "box": [10, 10, 20, 13]},
        {"text": "b", "box": [30, 10, 20, 13]},
    ]
    chart["marks"] = [{"kind": "line", "box": [50, 0, 0, 50]}]
    chart["lines"] = []
    assert label_problems([chart]) == []


_MARK_TEXTS = st.builds(
    "{} {}".format,
    st.sampled_from(["p50", "p90", "RTO"]),
    st.sampled_from(["0.0s", "8m32s", "999h59m"]),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(60, WIDTH - 40), _MARK_TEXTS, st.sampled_from(["pct", "rto"])),
        max_size=3,
    )
)
def test_marks_are_placed_so_that_no_label_meets_a_line_or_a_label(
    drawn: list[tuple[float, str, str]],
) -> None:
    # The labels' boxes as the placement estimates them (the browser cases measure them).
    placed = place([Mark(x, text, css) for x, text, css in drawn], 0, WIDTH)
    top = band(placed)
    svg = ElementTree.fromstring(f"<svg>{draw(placed, top, top + 200)}</svg>")
    labels = [
        {
            "text": text.text,
            "box": [
                float(text.get("x", 0)),
                float(text.get("y", 0)) - ASCENT,
                text_width(text.text or ""),
                ASCENT + DESCENT,
            ],
        }
        for text in svg.iter("text")
    ]
    marks = [
        {
            "kind": "line",
            "box": [
                float(line.get("x1", 0)),
                float(line.get("y1", 0)),
                0,
                top + 200 - float(line.get("y1", 0)),
            ],
        }
        for line in svg.iter("line")
    ]
    chart = {
        "chart": "marks",
        "viewBox": [0, 0, WIDTH, top + 200],
        "labels": labels,
        "marks": marks,
        "lines": [],
    }
    assert label_problems([chart]) == []
    assert len(labels) == len(drawn)
    assert all(box["box"][1] + ASCENT + DESCENT < top for box in labels)  # above the plot


def test_an_axis_labels_every_kth_tick_that_fits_counting_from_the_newest() -> None:
    ticks = [(20 + 15 * i, f"Nov {i + 1:02d} 03:00") for i in range(30)]
    svg = ElementTree.fromstring(f"<svg>{tick_labels(ticks, 100, 0, 480, newest=True)}</svg>")
    shown = [(float(text.get("x", 0)), text.text or "") for text in svg.iter("text")]
    assert shown[-1][1] == "Nov 30 03:00"  # the newest run is always named
    assert 3 <= len(shown) < 30
    assert all(
        x + text_width(text) < next_x for (x, text), (next_x, _) in itertools.pairwise(shown)
    )
    assert all(x >= 0 and x + text_width(text) <= 480 for x, text in shown)
    assert tick_labels([], 100, 0, 480) == ""


def _run(index: int, p50: float | None, p90: float | None, **facts: Any) -> RunSummary:
    started = START + timedelta(days=index, minutes=7 * index)
    return RunSummary(
        drill="weekly-dr",
        run_id=facts.pop("run_id", f"run-{index}"),
        started_at=started,
        finished_at=started + timedelta(hours=1),
        duration_seconds=3600.0,
        verdict=facts.pop("verdict", "PASSED"),
        items=facts.pop("items", 20),
        ok=facts.pop("ok", 20),
        failed=facts.pop("failed", 0),
        rto_missed=facts.pop("rto_missed", 0),
        interrupted=False,
        by_state={"online": 20},
        recovery_seconds=Percentiles(p50=p50, p90=p90, p99=p90, max=p90),
    )


def _long_trend() -> tuple[DrillReport, list[RunSummary]]:
    """60 runs with long ids; the newest p90 is the peak (its label once hit the title)."""
    runs = [
        _run(
            i,
            300.0 + 5 * i,
            600.0 + 10 * i,
            run_id=f"20261130T030000Z-{'x' * 60}-{i:03d}",
            failed=i % 7,
            rto_missed=i % 3,
        )
        for i in range(60)
    ]
    return mixed_report(), runs


def _tall_bar() -> tuple[DrillReport, list[RunSummary]]:
    """One bin holds nearly every restore; p50 and p90 fall on it, the RTO just beside."""
    entries = [entry(i, "online", submitted=i, seen=i + 2, finished=i + 300) for i in range(1, 200)]
    entries.append(entry(200, "online", submitted=0, seen=2, finished=905, rto=600))
    return report_of(entries), [_run(0, 300.0, 300.0)]


def _all_equal() -> tuple[DrillReport, list[RunSummary]]:
    """Every recovery 120 s and every RTO 120 s: p50, p90 and the RTO are one line."""
    entries = [entry(i, "online", submitted=0, seen=2, finished=120, rto=120) for i in range(1, 21)]
    return report_of(entries), [_run(i, 120.0, 120.0) for i in range(2)]


def _zero() -> tuple[DrillReport, list[RunSummary]]:
    """A recovery of no time at all, at the chart's left edge; one run in the history."""
    entries = [entry(1, "online", submitted=0, seen=0, finished=0, rto=0)]
    return report_of(entries), [_run(0, 0.0, 0.0)]


def _side_by_side() -> tuple[DrillReport, list[RunSummary]]:
    """p50 and p90 a few pixels apart in the middle of the chart, the RTO between them."""
    entries = [
        entry(i, "online", submitted=0, seen=1, finished=490 + 3 * i, rto=506) for i in range(1, 11)
    ]
    entries.append(entry(11, "online", submitted=0, seen=1, finished=1000))
    return report_of(entries), [_run(0, None, None, verdict="FAILED", failed=20)]


def _wide_names() -> tuple[DrillReport, list[RunSummary]]:
    """60 bars whose tenant names are long and of the widest letters; hours of recovery."""
    entries = [
        attrs.evolve(
            entry(i, "online", submitted=i, seen=i + 3, finished=i + 3600 * (1 + i % 5)),
            target_tenant_name=("W" if i % 2 else "m") * 60 + f"_{i}",
        )
        for i in range(1, 61)
    ]
    return report_of(entries), []


def _aggregated() -> tuple[DrillReport, list[RunSummary]]:
    """More restores than :data:`MAX_BARS`: the timeline counts them instead."""
    return large_report(MAX_BARS + 100), [_run(i, 600.0, 900.0 + i) for i in range(3)]


CASES: dict[str, Callable[[], tuple[DrillReport, list[RunSummary]]]] = {
    "long-trend": _long_trend,
    "tall-bar": _tall_bar,
    "all-equal": _all_equal,
    "zero": _zero,
    "side-by-side": _side_by_side,
    "wide-names": _wide_names,
    "aggregated": _aggregated,
}


@pytest.mark.parametrize("case", CASES)
async def test_no_chart_label_overlaps_another_or_a_mark_or_leaves_its_chart(
    case: str, tmp_path: Path
) -> None:
    report, history = CASES[case]()
    path = tmp_path / f"{case}.html"
    write_atomically(path, lambda out: write_html(report, out, history=history))
    async with chromium() as page:
        assert (await page.open(path)).errors == []
        charts = await page.evaluate(CHARTS)
        await page.screenshot(ARTIFACTS / f"html-labels-{case}.png")
    drawn = {chart["chart"] for chart in charts}
    assert "distribution" in drawn
    assert ("trend" in drawn) == bool(history)
    assert sum(len(chart["labels"]) for chart in charts) > 10  # the check has labels to check
    assert label_problems(charts) == []
