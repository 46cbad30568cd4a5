"""The JUnit XML report: one test case per restore, as Jenkins and GitLab read it.

A restore that ran and did not pass (failed, or missed its RTO) is a
``<failure>``; one that never ran (``not_started``, or ``planned`` in a dry run)
is ``<skipped>``, so that a CI system shows it as not run, never as passed. The
recovery interval, the RTO and, for a restore whose data was checked, the
restore point, the newest change, both RPO figures and each check are the test
case's properties.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import IO

from ob_async.drill._renderers.source import ReportSource
from ob_async.drill._renderers.words import failure_text
from ob_async.drill._report.convert import to_json
from ob_async.drill._report.entry import SKIPPED_STATES, ReportEntry
from ob_async.drill._report.outcome import NEVER_RAN, Outcome, outcome_of


def write_junit(report: ReportSource, out: IO[bytes]) -> None:
    """Stream the JUnit XML: one test case per restore, failed unless ONLINE within its RTO."""
    header = report.header()
    summary = header.summary
    skipped = sum(summary.by_state.get(state.value, 0) for state in SKIPPED_STATES)
    suite = ET.Element(
        "testsuite",
        {
            "name": f"ob-restore drill {header.drill}",
            "tests": str(summary.items),
            "failures": str(summary.failed + summary.rto_missed),
            "errors": "0",
            "skipped": str(skipped),
            "timestamp": header.started_at.replace(tzinfo=None).isoformat(timespec="seconds"),
            "time": f"{header.duration_seconds or 0.0:.3f}",
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("runId", header.run_id),
        ("plan", header.plan),
        ("endpoint", header.endpoint),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    opening = ET.tostring(suite, encoding="unicode")
    out.write(b'<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n')
    out.write(opening.removesuffix("</testsuite>").encode() + b"\n")
    for entry in report.entries():
        out.write(ET.tostring(_testcase(entry), encoding="utf-8") + b"\n")
    out.write(b"</testsuite>\n</testsuites>\n")


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def properties_of(entry: ReportEntry) -> list[tuple[str, str]]:
    """The entry's figures as JUnit ``<property>`` pairs (those it has)."""
    found = [
        (name, _text(value))
        for name, value in (
            ("recoveryLowerSeconds", entry.recovery_lower_seconds),
            ("recoveryUpperSeconds", entry.recovery_upper_seconds),
            ("rtoSeconds", entry.rto_seconds),
            ("rtoVerdict", entry.rto_verdict),
            ("restorePointChoice", entry.restore_point_choice),
            ("restorePointSeed", entry.restore_point_seed),
            ("cleanupDue", entry.cleanup_due),
        )
        if value is not None
    ]
    data = entry.data
    if data is None:
        return found
    found += [
        (name, "" if value is None else _text(value))
        for name, value in (
            ("rpoSeconds", data.rpo_seconds),
            ("rpoTargetSeconds", data.rpo_target_seconds),
            ("rpoTargetAppliesTo", data.rpo_target_applies_to),
            ("metRpo", data.met_rpo),
            ("restorePoint", data.restore_point),
            ("newestChange", data.newest_change),
            ("dataLossExposureSeconds", data.data_loss_exposure_seconds),
            ("restorePointGapSeconds", data.restore_point_gap_seconds),
        )
    ]
    found += [
        (
            f"check {check.name}",
            ("ok" if check.ok else f"FAILED: {check.error}")
            + f" (value {check.value}, expect {check.expect})",
        )
        for check in data.checks
    ]
    return found


def _testcase(entry: ReportEntry) -> ET.Element:
    case = ET.Element(
        "testcase",
        {
            "classname": f"restore.{entry.target_instance_id}",
            "name": entry.target_tenant_name,
            "time": f"{entry.recovery_seconds or 0.0:.3f}",
        },
    )
    properties = ET.SubElement(case, "properties")
    for name, value in properties_of(entry):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    outcome = outcome_of(entry)
    if outcome in NEVER_RAN:
        ET.SubElement(case, "skipped", {"message": failure_text(entry)})
    elif outcome is not Outcome.RESTORED:
        failure = ET.SubElement(
            case, "failure", {"message": failure_text(entry), "type": entry.state.value}
        )
        failure.text = json.dumps(to_json(entry), indent=2, ensure_ascii=False)
    ET.SubElement(case, "system-out").text = (
        f"source {entry.source_instance_id}/{entry.source_tenant_id}; "
        f"requestId {entry.request_id}; state {entry.state.value}; "
        f"recovery {entry.recovery_seconds}s; rto {entry.rto_seconds}s"
    )
    return case
