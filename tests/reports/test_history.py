"""Run history: a summary per run in a directory, read back as a trend."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from ob_async.drill._renderers.history import RunSummary, history_table, read_history, record_run
from ob_async.drill._renderers.html import write_html
from tests.reports.fixtures import START, entry, mixed_report, report_of


def run_at(day: int, recovery: float, *, run_id: str | None = None, drill: str = "weekly-dr"):  # type: ignore[no-untyped-def]
    return report_of(
        [entry(1, "online", finished=recovery), entry(2, "online", finished=recovery * 2)],
        drill=drill,
        run_id=run_id or f"run-{day}",
        started_at=START + timedelta(days=day),
    )


def test_runs_come_back_oldest_first_and_a_resumed_run_replaces_itself(tmp_path: Path) -> None:
    for day, recovery in ((14, 300.0), (0, 100.0), (7, 200.0)):
        record_run(tmp_path, RunSummary.of(run_at(day, recovery)))
    record_run(tmp_path, RunSummary.of(run_at(7, 250.0)))  # run-7 resumed and finished later
    runs = read_history(tmp_path)
    assert [run.run_id for run in runs] == ["run-0", "run-7", "run-14"]
    assert [run.p50 for run in runs] == [100.0, 250.0, 300.0]
    assert [run.p90 for run in runs] == [200.0, 500.0, 600.0]


def test_other_drills_and_damaged_files_do_not_spoil_the_trend(tmp_path: Path) -> None:
    record_run(tmp_path, RunSummary.of(run_at(0, 100.0)))
    record_run(tmp_path, RunSummary.of(run_at(1, 100.0, drill="other")))
    (tmp_path / "run-broken.json").write_text("{not json")
    assert [run.drill for run in read_history(tmp_path)] == ["weekly-dr", "other"]
    assert [run.run_id for run in read_history(tmp_path, drill="weekly-dr")] == ["run-0"]


def test_a_failed_run_counts_its_failures_and_rto_misses(tmp_path: Path) -> None:
    summary = RunSummary.of(mixed_report())
    # failed as every output counts it: the missed RTO apart, as in the JSON report.
    assert (summary.verdict, summary.failed, summary.rto_missed, summary.items) == (
        "FAILED",
        5,
        1,
        8,
    )
    assert RunSummary.from_json(json.loads(json.dumps(summary.to_json()))) == summary


def test_a_version_1_summary_is_read_with_its_failures_counted_as_now(tmp_path: Path) -> None:
    written = RunSummary.of(mixed_report()).to_json()
    (tmp_path / "run-old.json").write_text(json.dumps({**written, "version": 1, "failed": 6}))
    (old,) = read_history(tmp_path)
    assert (old.failed, old.rto_missed) == (5, 1)


def test_a_summary_with_a_bad_field_is_skipped_naming_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    written = RunSummary.of(mixed_report()).to_json()
    (tmp_path / "run-bad.json").write_text(json.dumps({**written, "items": "eight"}))
    assert read_history(tmp_path) == []
    assert "run-bad.json" in caplog.text
    assert "$.items" in caplog.text


def test_the_history_command_prints_the_trend(tmp_path: Path) -> None:
    for day in range(3):
        record_run(tmp_path, RunSummary.of(run_at(day, 100.0 * (day + 1))))
    record_run(tmp_path, RunSummary.of(mixed_report()))
    done = subprocess.run(
        [sys.executable, "-m", "ob_async", "history", str(tmp_path), "--drill", "weekly-dr"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split()[:3] == ["started", "(UTC)", "drill"]
    # Oldest first; the failed run started with run-0 and sorts before it by its run id.
    assert [row.split()[3] for row in rows] == ["FAILED", "PASSED", "PASSED", "PASSED"]
    assert rows[0].split()[-1] == "20261130T030000Z-abcdef"
    # restored, missed RTO, failed: the terminal summary's counts, which add up to the items
    assert header.split()[5:9] == ["restored", "missed", "RTO", "failed"]
    assert rows[0].split()[4:8] == ["8", "2", "1", "5"]
    assert rows == history_table(read_history(tmp_path, drill="weekly-dr"))[1:]
    as_json = subprocess.run(
        [sys.executable, "-m", "ob_async", "history", str(tmp_path), "--last", "2", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [line["drill"] for line in lines] == ["weekly-dr"] * 2
    # --json counts failed as the table does (and as the JSON report does).
    (failed_run,) = [run.to_json() for run in read_history(tmp_path) if run.verdict == "FAILED"]
    as_printed = subprocess.run(
        [sys.executable, "-m", "ob_async", "history", str(tmp_path), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert json.loads(as_printed.stdout.splitlines()[0]) == json.loads(json.dumps(failed_run))
    assert (failed_run["failed"], failed_run["rtoMissed"]) == (5, 1)


def test_the_history_command_refuses_a_file(tmp_path: Path) -> None:
    file = tmp_path / "f"
    file.write_text("")
    done = subprocess.run(
        [sys.executable, "-m", "ob_async", "history", str(file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "is not a directory" in done.stderr


def test_the_html_report_draws_the_trend_of_the_runs(tmp_path: Path) -> None:
    runs = [RunSummary.of(run_at(day, 100.0 * (day + 1))) for day in range(5)]
    out = tmp_path / "r.html"
    with out.open("wb") as file:
        write_html(run_at(5, 600.0), file, history=runs)
    html = out.read_text()
    assert "Trend over past runs" in html
    trend = html.split('class="trend"', 1)[1]
    assert trend.count("<circle") == 10  # p50 and p90 of five runs
    assert all(f"run-{day}" in html for day in range(5))
