"""The HTML report's table explains every row, in a real browser (headless Chromium).

Failures come first; a click on a heading sorts by it; every state's detail says
what happened in words; an item never sent shows no requestId; a reason is shown
whole; the uncertain ``?`` is explained where it appears; a data row shows the
restore point, the newest change and both RPO figures.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from ob_async._restore.outcome import RtoVerdict
from ob_async.data import CheckResult, RpoFigure
from ob_async.drill._renderers import write_atomically
from ob_async.drill._renderers.html import write_html
from ob_async.drill._renderers.words import UNCERTAIN
from ob_async.drill._report import DataOutcome, DrillReport
from tests.reports.fixtures import START, entry, mixed_report, report_of
from tests.support.browser import chromium

LONG_REASON = (
    "pre-flight check failed: the source tenant t00009 has no restorable window covering "
    + "2026-11-29T03:00:00+00:00; "
    + "the newest window ends at 2026-11-28T22:14:09+00:00, and the log archive of this "
    "tenant has been paused since then, so no point after it can be restored; "
    "resume the archive or choose an earlier restore_time"
)

ROWS = """[...document.querySelectorAll('#items tbody tr')].filter(r => !r.hidden).map(r => ({
    name: r.querySelector('b').textContent,
    kind: r.className,
    cells: Object.fromEntries([...r.cells].map((c, i) =>
        [document.querySelectorAll('#items thead th')[i].dataset.column, c.innerText.trim()])),
}))"""


def explained_report() -> DrillReport:
    """Every kind of row: mixed outcomes, an uncertain RTO, a data check, never-sent items."""
    rows = list(mixed_report().entries())
    rows[5] = entry(
        6, "preflight_failed", submitted=None, seen=None, finished=None, error=LONG_REASON
    )
    rows += [
        entry(
            9,
            "online",
            submitted=20,
            seen=25,
            finished=318,
            rto=300,
            met_rto=False,
            rto_verdict=RtoVerdict.UNCERTAIN,
            recovery_lower_seconds=296.0,
            recovery_upper_seconds=298.0,
        ),
        entry(
            10,
            "online",
            submitted=30,
            seen=35,
            finished=130,
            data=DataOutcome(
                ok=True,
                rpo_seconds=306.0,
                rpo_target_seconds=600.0,
                rpo_target_applies_to=RpoFigure.DATA_LOSS_EXPOSURE,
                met_rpo=True,
                restore_point=START - timedelta(minutes=5),
                requested_at=START + timedelta(seconds=30),
                newest_change=START - timedelta(seconds=276),
                data_loss_exposure_seconds=306.0,
                restore_point_gap_seconds=24.0,
                checks=(CheckResult(name="orders", ok=True, expect=">= 1", value="12"),),
            ),
        ),
        entry(
            11,
            "not_started",
            submitted=None,
            seen=None,
            finished=None,
            error="the run stopped before reaching it",
        ),
    ]
    return report_of(rows)


async def _rows(tmp_path: Path, *clicks: str) -> list[dict[str, Any]]:
    path = tmp_path / "report.html"
    write_atomically(path, lambda out: write_html(explained_report(), out))
    async with chromium() as page:
        load = await page.open(path)
        assert load.errors == []
        for column in clicks:
            await page.click(f"#items th[data-column={column}] button")
        rows: list[dict[str, Any]] = await page.evaluate(ROWS)
    return rows


def _row(rows: list[dict[str, Any]], number: int) -> dict[str, str]:
    found: dict[str, str] = next(r for r in rows if r["name"] == f"tenant_{number:05d}")["cells"]
    return found


async def test_failures_come_first_then_missed_rto_then_never_sent_then_restored(
    tmp_path: Path,
) -> None:
    rows = await _rows(tmp_path)
    names = [int(row["name"].rsplit("_", 1)[1]) for row in rows]
    # failed (in the order they ended), missed RTO, never sent, restored
    assert names == [3, 4, 5, 6, 7, 2, 9, 11, 1, 8, 10]
    assert [row["kind"] for row in rows] == ["bad"] * 7 + ["skipped"] + ["ok"] * 3


async def test_clicking_a_heading_sorts_by_it_and_again_reverses(tmp_path: Path) -> None:
    ascending = await _rows(tmp_path, "recovery")
    descending = await _rows(tmp_path, "recovery", "recovery")

    def recoveries(rows: list[dict[str, Any]]) -> list[str]:
        return [row["cells"]["recovery"].split(" ")[0] for row in rows]

    # Restores with a measured recovery in order; those without one last, either way.
    measured = ["1m40s", "4m00s", "4m58s", "5m10s", "6m58s", "16m35s"]
    assert recoveries(ascending) == [*measured, "-", "-", "-", "-", "-"]
    assert recoveries(descending) == [*reversed(measured), "-", "-", "-", "-", "-"]
    by_name = await _rows(tmp_path, "target")
    assert [row["name"] for row in by_name] == sorted(row["name"] for row in by_name)


async def test_every_rows_detail_says_what_happened_in_words(tmp_path: Path) -> None:
    rows = await _rows(tmp_path)
    assert all(row["cells"]["detail"] for row in rows)
    assert _row(rows, 1)["detail"] == "ONLINE after 5 min 10 s, within the RTO of 15 min"
    assert _row(rows, 2)["detail"] == "ONLINE after 6 min 58 s, 1 min 58 s over the RTO of 5 min"
    assert _row(rows, 3)["detail"] == "the restore failed after 3 min 17 s: RESTORE_FAILED"
    assert _row(rows, 4)["detail"] == (
        "not ONLINE when the wait ran out after 16 min 35 s: not ONLINE in 1000s"
    )
    assert _row(rows, 5)["detail"] == "the restore request was not accepted after 1 s: HTTP 400 bad"
    assert _row(rows, 6)["detail"] == f"never sent: {LONG_REASON}"
    assert _row(rows, 7)["detail"].startswith("interrupted by the run's stop")
    assert _row(rows, 9)["detail"].startswith(
        "ONLINE between 4 min 56 s and 4 min 58 s after submission; the RTO of 5 min falls "
        "in between, so it cannot be shown to be met"
    )
    assert _row(rows, 10)["detail"] == (
        "ONLINE after 1 min 40 s, within the RTO of 15 min; its data passed 1 check(s)"
    )
    assert _row(rows, 11)["detail"] == "never sent: the run stopped before reaching it"


async def test_an_item_never_sent_shows_no_request_id(tmp_path: Path) -> None:
    rows = await _rows(tmp_path)
    assert _row(rows, 6)["request"] == "-"  # the pre-flight refused it: nothing was sent
    assert _row(rows, 11)["request"] == "-"
    assert _row(rows, 3)["request"] == "req-00003"
    assert _row(rows, 5)["request"] == "req-00005"  # sent, and refused by the server


async def test_a_reason_is_shown_whole_and_wrapped_never_cut(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_atomically(path, lambda out: write_html(explained_report(), out))
    async with chromium() as page:
        assert (await page.open(path)).errors == []
        cell = await page.evaluate(
            "(() => { const row = [...document.querySelectorAll('#items tbody tr')]"
            ".find(r => r.querySelector('b').textContent === 'tenant_00006');"
            " const cell = row.querySelector('td.detail');"
            " return {text: cell.innerText, scroll: cell.scrollWidth, width: cell.clientWidth,"
            " height: cell.clientHeight}; })()"
        )
    assert cell["text"] == f"never sent: {LONG_REASON}"
    assert "…" not in cell["text"]
    assert cell["scroll"] <= cell["width"]  # wrapped inside its cell, nothing hidden
    assert cell["height"] > 40  # over several lines


async def test_the_uncertain_verdict_is_explained_where_it_appears(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_atomically(path, lambda out: write_html(explained_report(), out))
    async with chromium() as page:
        assert (await page.open(path)).errors == []
        rows = await page.evaluate(ROWS)
        note = await page.evaluate("document.getElementById('uncertain-note').innerText")
        mark = await page.evaluate("document.querySelector('#items b.maybe').getAttribute('title')")
    assert "uncertain: the RTO falls inside the recovery interval" in _row(rows, 9)["rto"]
    assert note == f"? {UNCERTAIN}."
    assert mark == UNCERTAIN


async def test_a_data_row_shows_the_restore_point_newest_change_and_both_figures(
    tmp_path: Path,
) -> None:
    rows = await _rows(tmp_path)
    rpo = _row(rows, 10)["rpo"]
    assert rpo.splitlines() == [
        "RPO 5m06s ✓ (target 10m00s, data-loss exposure)",
        "restore point 2026-11-30T02:55:00+00:00",
        "newest change 2026-11-30T02:55:24+00:00",
        "data-loss exposure 5m06s",
        "restore-point gap 24.0s",
    ]
    assert _row(rows, 10)["checks"].splitlines() == ["1/1", "orders: ok"]
    assert _row(rows, 1)["rpo"] == "-"
