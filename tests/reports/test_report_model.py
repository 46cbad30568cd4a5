"""The report model: typed records written as the report's camelCase JSON and read back."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ob_async._restore.outcome import RtoVerdict
from ob_async._restore.submit import SubmissionOutcome
from ob_async.batch import ItemState
from ob_async.data import CheckResult, RpoFigure
from ob_async.drill._renderers.json_report import write_json
from ob_async.drill._report import Attempt, Cleanup, DataOutcome, ReportEntry
from ob_async.drill._report.convert import from_json, read_report, to_json
from ob_async.errors import InvalidInputError
from tests.reports.fixtures import START, entry, mixed_report, report_of


def full_entry() -> ReportEntry:
    """An entry with every record set: attempts, clean-up, data."""
    return entry(
        1,
        "online",
        tenant_id="t-restored",
        submission=SubmissionOutcome.SUBMITTED,
        attempts=(
            Attempt(number=1, started_at=START, result="ServerError", status=503, sent=True),
            Attempt(number=2, started_at=START + timedelta(seconds=2), result="accepted"),
        ),
        rto_verdict=RtoVerdict.MET,
        cleanup=Cleanup(tenant_id="t-restored", deleted=True, at=START + timedelta(hours=1)),
        data=DataOutcome(
            ok=False,
            rpo_seconds=306.0,
            rpo_target_seconds=120.0,
            rpo_target_applies_to=RpoFigure.DATA_LOSS_EXPOSURE,
            met_rpo=False,
            restore_point=START - timedelta(minutes=5),
            requested_at=START,
            newest_change=START - timedelta(seconds=306),
            data_loss_exposure_seconds=306.0,
            restore_point_gap_seconds=6.0,
            checks=(CheckResult(name="orders", ok=True, expect=">= 1", value="12"),),
        ),
    )


def test_an_entry_is_written_in_the_reports_layout_and_read_back_equal() -> None:
    original = full_entry()
    written = to_json(original)
    assert written["source"] == {"instanceId": "ob-prod-sh", "tenantId": "t00001"}
    assert written["target"] == {
        "instanceId": "ob-dr-east",
        "tenantName": "tenant_00001",
        "tenantId": "t-restored",
    }
    assert written["ok"] is False  # its data missed the RPO target
    assert written["attempts"][0] == {
        "number": 1,
        "startedAt": START.isoformat(),
        "finishedAt": None,
        "result": "ServerError",
        "status": 503,
        "ambiguous": False,
        "lookedUp": False,
        "sent": True,
        "waitAfter": None,
        "error": None,
    }
    assert written["cleanup"]["tenantId"] == "t-restored"
    # The data checks' fields sit beside the others, as the report has always had them.
    assert written["dataOk"] is False
    assert written["rpoSeconds"] == 306.0
    assert written["dataLossExposureSeconds"] == 306.0
    assert written["restorePointGapSeconds"] == 6.0
    assert written["checks"] == [
        {"name": "orders", "ok": True, "expect": ">= 1", "value": "12", "error": None}
    ]
    back = from_json(json.loads(json.dumps(written)), ReportEntry, where="test")
    assert back == original
    # The same types, not merely equal values (a StrEnum equals its text).
    assert back.state is ItemState.ONLINE
    assert back.submission is SubmissionOutcome.SUBMITTED
    assert back.rto_verdict is RtoVerdict.MET
    assert back.data is not None
    assert back.data.rpo_target_applies_to is RpoFigure.DATA_LOSS_EXPOSURE
    assert back.data.target_label == "data-loss exposure"


def test_a_whole_report_file_reads_back_into_the_same_records(tmp_path: Path) -> None:
    report = report_of([full_entry(), *mixed_report().entries()])
    out = io.BytesIO()
    write_json(report, out)
    path = tmp_path / "r.json"
    path.write_bytes(out.getvalue())
    document = read_report(path)
    assert document.header == report.header()
    assert document.items == tuple(report.entries())
    report.close()


def test_reading_is_tolerant_of_unknown_and_missing_optional_fields() -> None:
    written = to_json(entry(3, "restore_failed", error="RESTORE_FAILED"))
    written["someFutureField"] = {"x": 1}
    for optional in ("attempts", "cleanup", "recoveryNote", "resumed"):
        del written[optional]
    back = from_json(written, ReportEntry, where="test")
    assert back.state is ItemState.RESTORE_FAILED
    assert back.error == "RESTORE_FAILED"


def test_a_bad_field_is_named_with_its_path_and_the_file(tmp_path: Path) -> None:
    report = report_of([entry(1, "online"), entry(2, "online")])
    document = report.to_json()
    report.close()
    document["items"][1]["target"]["tenantName"] = 7
    document["items"][1]["attempts"] = [{"number": "first"}]
    document["items"][1]["state"] = "exploded"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(document))
    with pytest.raises(InvalidInputError) as caught:
        read_report(path)
    message = str(caught.value)
    assert f"report {path}, items[1]" in message
    assert "$.target.tenantName" in message
    assert "$.attempts[0].number" in message
    assert "$.state: 'exploded' is not a valid ItemState" in message


def test_a_version_1_report_reads_back_with_failed_meaning_what_it_means_now() -> None:
    report = report_of([entry(1, "online", finished=400, rto=300), entry(2, "timed_out")])
    header = to_json(report.header())
    report.close()
    assert (header["summary"]["failed"], header["summary"]["rtoMissed"]) == (1, 1)
    old = {**header, "version": 1, "summary": {**header["summary"], "failed": 2}}
    assert from_json(old, type(report.header()), where="old").summary.failed == 1


def test_a_time_that_is_not_a_time_is_refused() -> None:
    written = to_json(entry(1, "online"))
    written["submittedAt"] = 1733000000
    with pytest.raises(InvalidInputError, match=r"\$\.submittedAt"):
        from_json(written, ReportEntry, where="test")
    written["submittedAt"] = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
    assert from_json(written, ReportEntry, where="test").submitted_at == datetime(
        2026, 1, 1, tzinfo=UTC
    )
