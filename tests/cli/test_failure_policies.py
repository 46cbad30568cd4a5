"""`drill --fail-fast` and `--max-failures N` stop submitting once failures reach the limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.support import read_report, run_drill, simulator, write_plan


@pytest.mark.parametrize(
    ("flags", "failures"),
    [(("--fail-fast",), 1), (("--max-failures", "2"), 2)],
)
def test_failures_stop_the_drill_from_submitting(
    tmp_path: Path, flags: tuple[str, ...], failures: int
) -> None:
    plan = write_plan(tmp_path / "plan.toml", 8)
    report_path = tmp_path / "report.json"
    # Every restore fails within a second; submits are spaced 2 s apart, so the
    # failures are known long before the plan could be exhausted.
    with simulator("--failure-rate", "1", "--restore-seconds", "0.1") as sim:
        result = run_drill(plan, sim, "--rate", "0.5", "--report-json", str(report_path), *flags)
    assert result.returncode == 1, result.stderr
    report = read_report(report_path)
    states = [item["state"] for item in report["items"]]
    sent = states.count("restore_failed")
    assert failures <= sent < 8, states
    # Every planned restore is reported: those never sent as not_started.
    assert len(states) == 8
    assert set(states) <= {"restore_failed", "not_started"}, states
    (note,) = [n for n in report["notes"] if n.startswith("stopped submitting")]
    assert note.startswith(f"stopped submitting after {failures} failure(s)")
    assert note.endswith(f"; {8 - sent} restore(s) not submitted")


def test_without_a_policy_every_restore_is_tried(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 4)
    report_path = tmp_path / "report.json"
    with simulator("--failure-rate", "1", "--restore-seconds", "0.1") as sim:
        result = run_drill(plan, sim, "--report-json", str(report_path))
    assert result.returncode == 1
    states = [item["state"] for item in read_report(report_path)["items"]]
    assert states == ["restore_failed"] * 4
