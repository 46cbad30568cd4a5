"""How the HTML report scales: the time to write it and for a browser to open it.

    python -m benchmarks.html_report [--sizes 1000,10000] [--no-browser]

Issue 16: a report of 10,000 restores must still open quickly (the timeline is
aggregated beyond a few hundred bars, so the page's SVG stays bounded and only
the table grows). Prints, per size, the time to write the file, its size, and
the time headless Chromium takes from navigation to the load event (the page's
own script included) with the DOM's element count. Run from the repository root
(the browser driver is the test suite's, ``tests/support/browser.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ob_async.batch import ItemState
from ob_async.drill._renderers import write_atomically
from ob_async.drill._renderers.html import write_html
from ob_async.drill._report import DrillReport, ReportEntry
from tests.support.browser import chromium

START = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def synthetic_report(size: int, *, seed: int = 1) -> DrillReport:
    """``size`` restores over a few hours, one in fifty failing, some over their RTO."""
    rng = random.Random(seed)
    report = DrillReport(
        drill="bench", run_id="bench-run", plan="bench.toml", endpoint="", started_at=START
    )
    latest = START
    for index in range(1, size + 1):
        submitted = START + timedelta(seconds=index * 1.5)
        seen = submitted + timedelta(seconds=rng.uniform(1, 20))
        finished = seen + timedelta(seconds=rng.uniform(200, 1200))
        latest = max(latest, finished)
        failed = index % 50 == 0
        recovery = (finished - submitted).total_seconds()
        report.add(
            ReportEntry(
                key=f"ob-dr/t{index}",
                index=index,
                source_instance_id="ob-src",
                source_tenant_id=f"t{index}",
                target_instance_id="ob-dr",
                target_tenant_name=f"t{index}_dr",
                state=ItemState.RESTORE_FAILED if failed else ItemState.ONLINE,
                request_id=f"req-{index}",
                submitted_at=submitted,
                first_seen_at=seen,
                finished_at=finished,
                recovery_seconds=None if failed else recovery,
                rto_seconds=900.0,
                met_rto=None if failed else recovery <= 900,
            )
        )
    report.finished_at = latest
    return report


async def open_in_browser(path: Path) -> dict[str, Any]:
    async with chromium() as page:
        started = time.perf_counter()
        load = await page.open(path)
        seconds = time.perf_counter() - started - 0.2  # page.open waits 0.2 s after the load
        elements = await page.evaluate("document.getElementsByTagName('*').length")
    return {"loadSeconds": seconds, "elements": elements, "errors": load.errors}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.html_report")
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated restore counts")
    parser.add_argument("--no-browser", action="store_true", help="only write the files")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(text) for text in args.sizes.split(",")):
            report = synthetic_report(size)
            path = Path(folder) / f"report-{size}.html"
            started = time.perf_counter()
            write_atomically(path, lambda out, report=report: write_html(report, out))
            result: dict[str, Any] = {
                "restores": size,
                "writeSeconds": time.perf_counter() - started,
                "bytes": path.stat().st_size,
            }
            report.close()
            if not args.no_browser:
                result.update(asyncio.run(open_in_browser(path)))
            results.append(result)
            print(
                f"{size:>7} restores: written in {result['writeSeconds']:.2f} s, "
                f"{result['bytes'] / 1e6:.1f} MB"
                + (
                    f", opened by Chromium in {result['loadSeconds']:.2f} s "
                    f"({result['elements']} elements, {len(result['errors'])} errors)"
                    if "loadSeconds" in result
                    else ""
                ),
                file=sys.stderr,
            )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
