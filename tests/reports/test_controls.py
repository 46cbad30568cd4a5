"""Each control's status follows from the run's facts, with the reason in words, and the
section survives the JSON report's round trip."""

from __future__ import annotations

import json
from pathlib import Path

from ob_async.data._results import CheckResult
from ob_async.drill._plan.item import InstancePair
from ob_async.drill._renderers.json_report import write_json
from ob_async.drill._report import DataOutcome, DrillReport, ReportEntry
from ob_async.drill._report.control_facts import RunScope
from ob_async.drill._report.controls import CONTROLS, ControlStatus
from ob_async.drill._report.convert import read_report
from tests.reports.fixtures import entry, report_of

SEGREGATED = RunScope(
    restore_points={"latest": 2},
    instances=(InstancePair(source="ob-prod-sh", target="ob-dr-east", restores=2),),
    require_segregation=True,
)


def checked(index: int, *, ok: bool = True, rpo_error: str | None = None) -> ReportEntry:
    data = DataOutcome(
        ok=ok and rpo_error is None,
        rpo_seconds=None if rpo_error else 30.0,
        rpo_target_seconds=600.0,
        met_rpo=not rpo_error,
        rpo_error=rpo_error,
        checks=(CheckResult(name="orders", ok=ok, expect=">= 1", value="5" if ok else "0"),),
    )
    return entry(index, "online", restore_time="2026-11-30T02:00:00+00:00", data=data)


def statuses(report: DrillReport) -> dict[str, tuple[ControlStatus, str]]:
    header = report.header()
    assert header.controls is not None
    return {item.control.id: (item.status, item.reason) for item in header.controls.assessments}


def test_a_clean_run_meets_every_control() -> None:
    report = report_of([checked(1), checked(2)])
    report.controls.scope = SEGREGATED
    found = statuses(report)
    assert {key: status for key, (status, _) in found.items()} == {
        control.id: ControlStatus.MET for control in CONTROLS
    }
    assert found["soc2-a1.3"][1] == (
        "all 2 restore(s) came ONLINE; 2 of 2 with a target met it (RTO 900s, worst 60s)"
    )
    assert found["dora-12.3"][1] == (
        "every target instance differs from its source (the plan requires it): "
        "ob-prod-sh -> ob-dr-east"
    )


def test_failures_and_missing_evidence_are_told_apart() -> None:
    report = report_of(
        [checked(1, ok=False), checked(2, rpo_error="the query failed"), entry(3, "restore_failed")]
    )
    found = statuses(report)
    assert found["soc2-a1.3"] == (
        ControlStatus.NOT_MET,
        "1 of 3 planned restore(s) did not come ONLINE (failed, refused or not started); "
        "the RPO of 1 restore(s) could not be measured",
    )
    assert found["iso27001-a.8.13"] == (
        ControlStatus.NOT_MET,
        "1 of 3 planned restore(s) did not come ONLINE (failed, refused or not started); "
        "1 data check(s) failed",
    )
    assert found["dora-12.3"] == (
        ControlStatus.NOT_EVIDENCED,
        "the run's record does not say which instances restored into which",
    )


def test_without_targets_or_checks_a_passing_run_evidences_less() -> None:
    report = report_of([entry(1, "online", rto=None), entry(2, "online", rto=None)])
    found = statuses(report)
    assert found["soc2-a1.3"][0] is ControlStatus.NOT_EVIDENCED
    assert "no RTO target was set" in found["soc2-a1.3"][1]
    assert found["iso27001-a.8.13"] == (
        ControlStatus.NOT_EVIDENCED,
        "2 backup(s) restored, but no restored data was checked: add [[check]] queries to the plan",
    )


def test_a_dry_run_evidences_nothing() -> None:
    report = report_of([entry(1, "planned", submitted=None, seen=None, finished=None)])
    report.dry_run = True
    report.controls.scope = SEGREGATED
    found = statuses(report)
    assert [status for status, _ in found.values()][:3] == [ControlStatus.NOT_EVIDENCED] * 3
    assert found["soc2-a1.3"][1] == "a dry run restores nothing"


def test_a_restore_into_its_own_instance_fails_segregation() -> None:
    report = report_of([checked(1)])
    report.controls.scope = RunScope(
        instances=(
            InstancePair(source="ob-prod-sh", target="ob-dr-east", restores=3),
            InstancePair(source="obxxx", target="obxxx", restores=2),
        )
    )
    assert statuses(report)["dora-12.3"] == (
        ControlStatus.NOT_MET,
        "restored into the source instance: obxxx into itself (2 restore(s))",
    )


def test_the_controls_survive_the_json_reports_round_trip(tmp_path: Path) -> None:
    report = report_of([checked(1), checked(2)])
    report.controls.scope = SEGREGATED
    path = tmp_path / "report.json"
    with path.open("wb") as out:
        write_json(report, out)
    written = json.loads(path.read_text())["controls"]
    assert written["facts"]["segregation"]["instances"] == [
        {"source": "ob-prod-sh", "target": "ob-dr-east", "restores": 2, "segregated": True}
    ]
    assert written["facts"]["restorePoints"] == {
        "byChoice": {"latest": 2},
        "earliest": "2026-11-30T02:00:00+00:00",
        "latest": "2026-11-30T02:00:00+00:00",
        "seed": None,
    }
    assert read_report(path).header.controls == report.header().controls
