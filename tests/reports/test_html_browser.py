"""The HTML report in a real browser: headless Chromium loads it, and a person can look at it.

Each test writes the report, loads it through the DevTools protocol, and checks
what a reader relies on: no console error or exception, nothing fetched but the
file itself (it must work offline), every restore named in the DOM, the verdict
on top, the timeline's bars (or their aggregate for a big drill). Screenshots
go to ``$OB_ASYNC_TEST_ARTIFACTS`` (default ``build/test-artifacts``).
"""

from __future__ import annotations

import os
from pathlib import Path

from ob_async._restore.outcome import RtoVerdict
from ob_async.drill._renderers import write_atomically
from ob_async.drill._renderers.history import RunSummary
from ob_async.drill._renderers.html import MAX_BARS, write_html
from ob_async.drill._renderers.words import UNCERTAIN
from tests.reports.fixtures import entry, large_report, mixed_report, report_of
from tests.support.browser import chromium

ARTIFACTS = Path(
    os.environ.get("OB_ASYNC_TEST_ARTIFACTS", Path(__file__).parents[2] / "build/test-artifacts")
)

NAMES_IN_TABLE = (
    "[...document.querySelectorAll('#items tbody tr td:nth-child(2) b')].map(b => b.textContent)"
)


def render(report, path: Path, **kwargs) -> Path:  # type: ignore[no-untyped-def]
    write_atomically(path, lambda out: write_html(report, out, **kwargs))
    return path


async def test_the_report_loads_cleanly_and_shows_every_restore(tmp_path: Path) -> None:
    report = mixed_report()
    history = [RunSummary.of(report)]
    path = render(report, tmp_path / "report.html", history=history)
    async with chromium() as page:
        load = await page.open(path)
        assert load.errors == []
        assert load.requests == [path.resolve().as_uri()]  # self-contained: nothing else fetched
        names = await page.evaluate(NAMES_IN_TABLE)
        verdict = await page.evaluate("document.querySelector('header.verdict .word').textContent")
        facts = await page.evaluate("document.querySelector('header.verdict .facts').innerText")
        bars = await page.evaluate("document.querySelectorAll('svg.timeline > g').length")
        tips = await page.evaluate(
            "[...document.querySelectorAll('svg.timeline > g > title')].map(t => t.textContent)"
        )
        recovery = await page.evaluate(
            "[...document.querySelectorAll('#items tbody tr')]"
            ".find(r => r.querySelector('b').textContent === 'tenant_00001')"
            ".cells[4].textContent"
        )
        await page.screenshot(ARTIFACTS / "html-report-mixed.png")
    assert sorted(names) == sorted(f"tenant_{i:05d}" for i in range(1, 9))
    assert verdict == "FAILED"
    # The counts add up to the items, named as the terminal summary names them.
    assert " ".join(facts.split()).startswith("8 restores 2 restored 1 missed RTO 5 failed")
    assert recovery == "5m10s (5m04s-5m10s)"  # the interval ONLINE is known to lie in
    assert bars == 7  # every submitted restore has its bar; the pre-flight failure has none
    assert any("tenant_00002: online" in tip and "RTO missed" in tip for tip in tips)
    assert any(tip.startswith("tenant_00003: restore_failed") for tip in tips)


async def test_the_failures_only_filter_hides_the_restores_that_passed(tmp_path: Path) -> None:
    path = render(mixed_report(), tmp_path / "report.html")
    async with chromium() as page:
        assert (await page.open(path)).errors == []
        await page.evaluate(
            "(() => { const box = document.getElementById('only-failed'); box.checked = true;"
            " box.dispatchEvent(new Event('change')); })()"
        )
        shown = await page.evaluate(
            "[...document.querySelectorAll('#items tbody tr')].filter(r => !r.hidden)"
            ".map(r => r.querySelector('b').textContent)"
        )
    # tenant_00001 and _00008 passed; _00002 came ONLINE but over its RTO, so it failed.
    assert sorted(shown) == [f"tenant_{i:05d}" for i in (2, 3, 4, 5, 6, 7)]


async def test_ten_thousand_restores_aggregate_the_timeline_and_still_list_each(
    tmp_path: Path,
) -> None:
    count = 10_000
    path = render(large_report(count), tmp_path / "big.html")
    async with chromium() as page:
        load = await page.open(path)
        rows = await page.evaluate("document.querySelectorAll('#items tbody tr').length")
        names = await page.evaluate(NAMES_IN_TABLE)
        shapes = await page.evaluate("document.querySelectorAll('svg.timeline *').length")
        per_restore = await page.evaluate("document.querySelectorAll('svg.timeline > g').length")
        await page.screenshot(ARTIFACTS / "html-report-10000.png", max_height=1400)
    assert load.errors == []
    assert rows == count
    assert set(names) == {f"tenant_{i:05d}" for i in range(1, count + 1)}
    assert per_restore == 0  # aggregated: no bar per restore ...
    assert shapes < 3 * MAX_BARS * 4  # ... and a bounded number of shapes whatever the count


async def test_the_browser_check_does_catch_errors_and_outside_requests(tmp_path: Path) -> None:
    # The same checks against a page that breaks the rules: they must fail it.
    page_file = tmp_path / "bad.html"
    page_file.write_text(
        "<!DOCTYPE html><html><head><script src='http://127.0.0.1:9/x.js'></script></head>"
        "<body><script>console.error('broken'); undefined_function();</script></body></html>"
    )
    async with chromium() as page:
        load = await page.open(page_file)
    assert any("broken" in error for error in load.errors)
    assert any("undefined_function" in error for error in load.errors)
    assert "http://127.0.0.1:9/x.js" in load.requests


def test_an_uncertain_rto_verdict_is_marked_as_such(tmp_path: Path) -> None:
    report = report_of(
        [
            entry(
                1,
                "online",
                finished=300,
                rto=298,
                met_rto=True,
                rto_verdict=RtoVerdict.UNCERTAIN,
                recovery_lower_seconds=295.0,
                recovery_upper_seconds=300.0,
            )
        ]
    )
    html = render(report, tmp_path / "r.html").read_text()
    assert f'class="maybe" title="{UNCERTAIN}">?' in html
