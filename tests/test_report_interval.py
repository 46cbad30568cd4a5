"""The recovery interval and the RTO verdict in the drill's reports: JSON, JUnit, summary."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from ob_async._restore.outcome import RtoVerdict
from ob_async.batch import ItemState
from ob_async.drill._renderers.junit import write_junit
from ob_async.drill._renderers.summary_text import summary_lines
from ob_async.drill._report import DrillReport, ReportEntry
from ob_async.drill._report.header import RunBottleneck


def entry(key: str, lower: float, upper: float, verdict: str, met: bool) -> ReportEntry:
    return ReportEntry(
        key=key,
        index=1,
        source_instance_id="ob-prod",
        source_tenant_id="t1",
        target_instance_id="ob-dr",
        target_tenant_name=f"{key}_dr",
        state=ItemState.ONLINE,
        recovery_seconds=upper,
        recovery_lower_seconds=lower,
        recovery_upper_seconds=upper,
        rto_seconds=600.0,
        met_rto=met,
        rto_verdict=RtoVerdict(verdict),
    )


def report_of(*entries: ReportEntry) -> DrillReport:
    report = DrillReport(
        drill="weekly",
        run_id="r1",
        plan="plan.toml",
        endpoint="sim",
        started_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        finished_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
    )
    for item in entries:
        report.add(item)
    report.bottleneck = RunBottleneck(limit="api_rate_limit", summary="the API's rate limit: 90%")
    return report


def test_the_json_report_carries_the_interval_and_the_verdict() -> None:
    report = report_of(
        entry("a", 590.0, 604.0, "uncertain", False), entry("b", 300, 310, "met", True)
    )
    document = report.to_json()
    first = document["items"][0]
    assert (first["recoveryLowerSeconds"], first["recoveryUpperSeconds"]) == (590.0, 604.0)
    assert first["recoverySeconds"] == 604.0
    assert first["rtoVerdict"] == "uncertain"
    assert first["ok"] is False
    assert document["summary"]["rtoMissed"] == 1
    assert document["summary"]["rtoUncertain"] == 1
    assert document["summary"]["bottleneck"]["limit"] == "api_rate_limit"
    report.close()


def test_junit_has_the_interval_as_properties_and_says_why_uncertain_fails() -> None:
    report = report_of(
        entry("a", 590.0, 604.0, "uncertain", False), entry("b", 300, 310, "met", True)
    )
    out = io.BytesIO()
    write_junit(report, out)
    cases = ET.fromstring(out.getvalue()).findall(".//testcase")
    properties = {
        prop.get("name"): prop.get("value") for prop in cases[0].findall("properties/property")
    }
    assert properties == {
        "recoveryLowerSeconds": "590.0",
        "recoveryUpperSeconds": "604.0",
        "rtoSeconds": "600.0",
        "rtoVerdict": "uncertain",
    }
    failure = cases[0].find("failure")
    assert failure is not None
    assert "between 590.0s and 604.0s" in str(failure.get("message"))
    assert "cannot be shown to be met" in str(failure.get("message"))
    assert cases[1].find("failure") is None
    report.close()


def test_the_summary_says_how_many_misses_are_uncertain_and_what_limited_the_run() -> None:
    report = report_of(
        entry("a", 590.0, 604.0, "uncertain", False), entry("c", 700.0, 705.0, "missed", False)
    )
    lines = summary_lines(report)
    assert any("2 missed RTO" in line for line in lines)
    assert any("of the missed RTOs, 1 uncertain" in line for line in lines)
    assert "  bottleneck: the API's rate limit: 90%" in lines
    report.close()
