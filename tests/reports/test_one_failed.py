"""'Failed' is one count, the same in every output: the terminal summary, the JSON
summary, the HTML's tile, the history and history --json, the metrics and the
notification. The missed RTOs are apart; the never-sent are never failed."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from ob_async.drill._renderers.history import RunSummary
from ob_async.drill._renderers.html import write_html
from ob_async.drill._renderers.json_report import write_json
from ob_async.drill._renderers.metrics import build_registry, write_textfile
from ob_async.drill._renderers.notify import build_message
from ob_async.drill._renderers.summary_text import summary_lines
from ob_async.drill._report import DrillReport
from tests.reports.fixtures import entry, mixed_report, report_of

FAILED, MISSED, NOT_STARTED = 5, 1, 3


def with_never_sent() -> DrillReport:
    """mixed_report (5 failed, 1 missed RTO) and three restores never sent."""
    never_sent = [
        entry(20 + n, "not_started", submitted=None, seen=None, finished=None, error="stopped")
        for n in range(NOT_STARTED)
    ]
    return report_of([*mixed_report().entries(), *never_sent])


def test_every_output_counts_the_same_failures(tmp_path: Path) -> None:
    report = with_never_sent()
    headline = summary_lines(report)[0]
    assert headline.endswith(f"2 restored, {MISSED} missed RTO, {FAILED} failed, 3 not started")
    lines = summary_lines(report)
    assert sum(line.startswith("  FAILED ") for line in lines) == FAILED
    assert sum(line.startswith("  MISSED RTO ") for line in lines) == MISSED
    assert not any("tenant_0002" in line for line in lines)  # never sent: never listed

    out = io.BytesIO()
    write_json(report, out)
    summary = json.loads(out.getvalue())["summary"]
    assert (summary["failed"], summary["rtoMissed"], summary["notStarted"]) == (
        FAILED,
        MISSED,
        NOT_STARTED,
    )

    html = io.BytesIO()
    write_html(report, html)
    tile = re.compile(r'<div class="fact"><span>([^<]*)</span>([^<]*)</div>')
    facts = {label: value for value, label in tile.findall(html.getvalue().decode())}
    assert facts["failed"] == str(FAILED)
    assert facts["missed RTO"] == str(MISSED)

    run = RunSummary.of(report)
    assert (run.failed, run.rto_missed, run.not_started) == (FAILED, MISSED, NOT_STARTED)
    assert run.to_json()["failed"] == FAILED  # what history --json prints

    path = tmp_path / "drill.prom"
    write_textfile(path, build_registry(report))
    metrics = {
        sample.name: sample.value
        for family in text_string_to_metric_families(path.read_text())
        for sample in family.samples
    }
    assert metrics["ob_restore_failures"] == FAILED
    assert metrics["ob_restore_rto_misses"] == MISSED
    assert metrics["ob_restore_not_started"] == NOT_STARTED

    message = build_message(report)
    assert message["obRestore"]["summary"]["failed"] == FAILED
    assert len(message["obRestore"]["failures"]) == FAILED + MISSED  # never the never-sent
    report.close()
