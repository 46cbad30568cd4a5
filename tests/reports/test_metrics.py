"""The Prometheus textfile, read back with prometheus-client's own parser."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from ob_async.drill._renderers.metrics import build_registry, previous_success, push, write_textfile
from ob_async.drill._report import DataOutcome
from tests.reports.fixtures import START, entry, mixed_report, report_of
from tests.reports.test_notify import receiver


def samples(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def write(report, path: Path) -> dict:  # type: ignore[no-untyped-def]
    registry = build_registry(report, previous_success=previous_success(path, report.drill))
    write_textfile(path, registry)
    return samples(path)


DRILL = (("drill", "weekly-dr"),)


def test_a_passing_run_sets_last_run_and_last_success(tmp_path: Path) -> None:
    report = report_of([entry(1, "online", finished=100), entry(2, "online", finished=700)])
    found = write(report, tmp_path / "drill.prom")
    finished = report.finished_at.timestamp()  # type: ignore[union-attr]
    assert found[("ob_restore_last_run_timestamp_seconds", DRILL)] == finished
    assert found[("ob_restore_last_success_timestamp_seconds", DRILL)] == finished
    assert found[("ob_restore_last_run_success", DRILL)] == 1
    assert found[("ob_restore_run_duration_seconds", DRILL)] == 702
    assert found[("ob_restore_restores", (("drill", "weekly-dr"), ("state", "online")))] == 2
    assert found[("ob_restore_rto_misses", DRILL)] == 0
    # The histogram: 100 s and 700 s against the buckets.
    assert found[("ob_restore_recovery_seconds_count", DRILL)] == 2
    assert found[("ob_restore_recovery_seconds_sum", DRILL)] == 800
    assert found[("ob_restore_recovery_seconds_bucket", (*DRILL, ("le", "120.0")))] == 1
    assert found[("ob_restore_recovery_seconds_bucket", (*DRILL, ("le", "900.0")))] == 2
    assert not any(name.startswith("ob_restore_rpo") for name, _ in found)  # not measured
    assert [p.name for p in tmp_path.iterdir()] == ["drill.prom"]  # no temporary file left


def test_a_failed_run_keeps_the_previous_success_and_counts_by_state(tmp_path: Path) -> None:
    path = tmp_path / "drill.prom"
    passed = report_of([entry(1, "online", finished=100)])
    write(passed, path)
    success = passed.finished_at.timestamp()  # type: ignore[union-attr]
    failed = mixed_report()
    found = write(failed, path)
    assert found[("ob_restore_last_success_timestamp_seconds", DRILL)] == success
    assert found[("ob_restore_last_run_timestamp_seconds", DRILL)] > success
    assert found[("ob_restore_last_run_success", DRILL)] == 0
    assert found[("ob_restore_failures", DRILL)] == 5  # the missed RTO apart
    assert found[("ob_restore_rto_misses", DRILL)] == 1
    by_state = {
        dict(labels)["state"]: value
        for (name, labels), value in found.items()
        if name == "ob_restore_restores"
    }
    assert by_state == {
        "online": 3,
        "restore_failed": 1,
        "timed_out": 1,
        "submit_failed": 1,
        "preflight_failed": 1,
        "interrupted": 1,
    }


def test_a_run_that_never_passed_has_no_last_success(tmp_path: Path) -> None:
    found = write(mixed_report(), tmp_path / "drill.prom")
    assert ("ob_restore_last_success_timestamp_seconds", DRILL) not in found
    assert found[("ob_restore_last_run_interrupted", DRILL)] == 0


def test_measured_rpo_is_a_histogram_and_a_worst_value(tmp_path: Path) -> None:
    report = report_of(
        [
            entry(1, "online", data=DataOutcome(ok=True, rpo_seconds=4.0)),
            entry(2, "online", data=DataOutcome(ok=True, rpo_seconds=40.0)),
        ]
    )
    path = tmp_path / "drill.prom"
    write_textfile(path, build_registry(report))
    found = samples(path)
    assert found[("ob_restore_rpo_seconds_count", DRILL)] == 2
    assert found[("ob_restore_rpo_seconds_bucket", (*DRILL, ("le", "5.0")))] == 1
    assert found[("ob_restore_rpo_max_seconds", DRILL)] == 40


def test_an_unreadable_previous_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "drill.prom"
    path.write_text("this is { not metrics\n")
    assert previous_success(path, "weekly-dr") is None
    found = write(report_of([entry(1, "online")], started_at=START), path)
    assert ("ob_restore_last_success_timestamp_seconds", DRILL) in found


def test_the_metrics_are_pushed_to_a_pushgateway_grouped_by_drill() -> None:
    with receiver(200) as gateway:
        base = gateway.url.split("/services/")[0]
        push(build_registry(mixed_report()), base, drill="weekly-dr")
    ((path, body),) = gateway.puts
    assert path == "/metrics/job/ob_restore/drill/weekly-dr"
    names = {family.name for family in text_string_to_metric_families(body.decode())}
    assert {"ob_restore_last_run_timestamp_seconds", "ob_restore_recovery_seconds"} <= names
