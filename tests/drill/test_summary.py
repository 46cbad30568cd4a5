"""The drill's summary adds up: restored + missed RTO + failed = items; clean-up accounted for."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ob_async._cli import main
from ob_async.batch import ItemState
from ob_async.drill._renderers.summary_text import summary_lines
from ob_async.drill._report import Cleanup, DrillReport, ReportEntry
from ob_async.drill._report.convert import to_json


def entry(n: int, state: ItemState, **details: Any) -> ReportEntry:
    return ReportEntry(
        key=f"k{n}",
        index=n,
        source_instance_id="ob-prod-sh",
        source_tenant_id=f"t{n}",
        target_instance_id="ob-dr-east",
        target_tenant_name=f"dr_{n}",
        state=state,
        **details,
    )


LATE: dict[str, Any] = {"recovery_seconds": 1000.0, "rto_seconds": 900.0}


def deleted(tenant: str) -> Cleanup:
    return Cleanup(tenant_id=tenant, deleted=True)


def report_of(entries: list[ReportEntry], *, cleanup: bool) -> DrillReport:
    report = DrillReport(
        drill="weekly",
        run_id="r1",
        plan="p.toml",
        endpoint="sim",
        started_at=datetime(2026, 12, 1, tzinfo=UTC),
        cleanup_requested=cleanup,
    )
    for one in entries:
        report.add(one)
    return report


def test_the_three_counts_add_up_and_are_defined() -> None:
    entries = [
        *(entry(n, ItemState.ONLINE, met_rto=True, tenant_id=f"x{n}") for n in range(14)),
        *(
            entry(n, ItemState.ONLINE, met_rto=False, tenant_id=f"x{n}", **LATE)
            for n in range(14, 18)
        ),
        entry(18, ItemState.RESTORE_FAILED, tenant_id="x18"),
        entry(19, ItemState.CONFLICT),
    ]
    report = report_of(entries, cleanup=False)
    lines = summary_lines(report)
    assert lines[0] == "drill weekly (run r1): 20 restore(s): 14 restored, 4 missed RTO, 2 failed"
    assert lines[1] == "  states: conflict 1, online 18, restore_failed 1"
    assert (
        lines[2] == "  (restored: ONLINE in time, missed RTO: ONLINE late, failed: any other end)"
    )
    assert not any("cleanup" in line for line in lines)
    # The JSON's figures are the same counts, under the same definitions.
    summary = to_json(report.header())["summary"]
    assert summary["ok"] == 14
    assert summary["rtoMissed"] == 4
    assert summary["failed"] == 2
    report.close()


def test_with_cleanup_it_says_how_many_were_deleted_and_which_were_kept_and_why() -> None:
    entries = [
        entry(1, ItemState.ONLINE, met_rto=True, tenant_id="x1", cleanup=deleted("x1")),
        entry(2, ItemState.ONLINE, met_rto=False, tenant_id="x2", cleanup=deleted("x2"), **LATE),
        entry(
            3,
            ItemState.ONLINE,
            met_rto=True,
            tenant_id="x3",
            cleanup=Cleanup(tenant_id="x3", deleted=False, error="503 ServiceUnavailable"),
        ),
        entry(4, ItemState.VALIDATION_FAILED, tenant_id="x4"),
        entry(5, ItemState.RESTORE_FAILED, tenant_id="x5"),
        entry(6, ItemState.SUBMIT_FAILED),  # never created: nothing kept
    ]
    report = report_of(entries, cleanup=True)
    lines = summary_lines(report)
    assert lines[0].endswith("6 restore(s): 2 restored, 1 missed RTO, 3 failed")
    start = lines.index("  cleanup: 2 tenant(s) deleted, 3 kept")
    assert lines[start + 1 : start + 4] == [
        "    kept ob-dr-east/dr_3 (x3): deletion failed: 503 ServiceUnavailable",
        "    kept ob-dr-east/dr_4 (x4): does not match the request; kept for inspection",
        "    kept ob-dr-east/dr_5 (x5): restore_failed; a failed restore's tenant is kept "
        "for diagnosis",
    ]
    report.close()


def test_a_drill_with_cleanup_reports_its_deletions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = Path(__file__).resolve().parents[2] / "examples" / "weekly-drill.toml"
    argv = ["drill", str(plan), "--simulate", "--cleanup", "-q", "--journal", str(tmp_path / "j")]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(": 7 restore(s): 7 restored, 0 missed RTO, 0 failed")
    assert "  cleanup: 7 tenant(s) deleted, 0 kept" in out
