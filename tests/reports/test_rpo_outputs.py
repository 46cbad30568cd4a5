"""Both RPO figures, the restore point and the newest change reach every output:
the terminal summary, the JSON report, JUnit properties, and the metrics (the HTML's
are checked in a browser, tests/reports/test_html_table.py)."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from ob_async.data import CheckResult, RpoFigure
from ob_async.drill._renderers.json_report import write_json
from ob_async.drill._renderers.junit import write_junit
from ob_async.drill._renderers.metrics import build_registry, write_textfile
from ob_async.drill._renderers.summary_text import summary_lines
from ob_async.drill._report import DataOutcome, DrillReport
from tests.reports.fixtures import START, entry, report_of


def data(exposure: float, gap: float, *, target: float = 600.0) -> DataOutcome:
    """What a data check found for a ``latest`` restore requested at START."""
    newest = START - timedelta(seconds=exposure)
    return DataOutcome(
        ok=exposure <= target,
        rpo_seconds=exposure,
        rpo_target_seconds=target,
        rpo_target_applies_to=RpoFigure.DATA_LOSS_EXPOSURE,
        met_rpo=exposure <= target,
        restore_point=newest + timedelta(seconds=gap),
        requested_at=START,
        newest_change=newest,
        data_loss_exposure_seconds=exposure,
        restore_point_gap_seconds=gap,
        checks=(CheckResult(name="orders", ok=True, expect=">= 1", value="3"),),
    )


def data_report() -> DrillReport:
    return report_of(
        [
            entry(1, "online", data=data(306.0, 6.0)),
            entry(2, "online", data=data(900.0, 24.0)),
        ]
    )


def test_the_terminal_summary_names_both_figures_and_the_moments() -> None:
    report = data_report()
    lines = summary_lines(report)
    report.close()
    assert "  recovery point (RPO): p50 306.0s, p90 900.0s, max 900.0s; target missed by 1" in lines
    assert "    data-loss exposure: p50 306.0s, p90 900.0s, max 900.0s" in lines
    assert "    restore-point gap: p50 6.0s, p90 24.0s, max 24.0s" in lines
    assert (
        "      restore point 2026-11-30T02:55:00+00:00, newest change 2026-11-30T02:54:54+00:00;"
        " data-loss exposure 306.0s, restore-point gap 6.0s"
    ) in lines


def test_the_json_report_has_both_figures_per_restore_and_in_the_summary() -> None:
    report = data_report()
    out = io.BytesIO()
    write_json(report, out)
    report.close()
    document = json.loads(out.getvalue())
    first = document["items"][0]
    assert first["restorePoint"] == "2026-11-30T02:55:00+00:00"
    assert first["newestChange"] == "2026-11-30T02:54:54+00:00"
    assert (first["dataLossExposureSeconds"], first["restorePointGapSeconds"]) == (306.0, 6.0)
    assert first["rpoTargetAppliesTo"] == "data_loss_exposure"
    summary = document["summary"]["data"]
    assert summary["dataLossExposureSeconds"]["max"] == 900.0
    assert summary["restorePointGapSeconds"]["max"] == 24.0
    assert summary["rpoMissed"] == 1


def test_junit_carries_them_as_properties() -> None:
    report = data_report()
    out = io.BytesIO()
    write_junit(report, out)
    report.close()
    case = ET.fromstring(out.getvalue()).find("testsuite/testcase")
    assert case is not None
    found = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert found["restorePoint"] == "2026-11-30T02:55:00+00:00"
    assert found["newestChange"] == "2026-11-30T02:54:54+00:00"
    assert found["dataLossExposureSeconds"] == "306.0"
    assert found["restorePointGapSeconds"] == "6.0"
    assert found["rpoTargetAppliesTo"] == "data_loss_exposure"
    assert found["check orders"] == "ok (value 3, expect >= 1)"


def test_the_metrics_have_a_histogram_and_a_worst_value_of_each_figure(tmp_path: Path) -> None:
    report = data_report()
    path = tmp_path / "drill.prom"
    write_textfile(path, build_registry(report))
    report.close()
    found = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(path.read_text())
        for sample in family.samples
    }
    drill = (("drill", "weekly-dr"),)
    assert found[("ob_restore_data_loss_exposure_max_seconds", drill)] == 900.0
    assert found[("ob_restore_restore_point_gap_max_seconds", drill)] == 24.0
    assert found[("ob_restore_rpo_max_seconds", drill)] == 900.0
    assert found[("ob_restore_restore_point_gap_seconds_count", drill)] == 2
    assert found[("ob_restore_data_loss_exposure_seconds_bucket", (*drill, ("le", "300.0")))] == 0
    assert found[("ob_restore_data_loss_exposure_seconds_bucket", (*drill, ("le", "900.0")))] == 2
