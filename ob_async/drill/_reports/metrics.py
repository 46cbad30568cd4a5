"""Prometheus metrics of a drill: a textfile for node_exporter, and an optional Pushgateway push.

Every metric is ``ob_restore_``-prefixed, labelled by drill name, and lives in
a registry of its own (never the process-wide default), so that nothing else
of the process ends up in the file. The file is written atomically
(prometheus-client's ``write_to_textfile`` writes a temporary file and renames
it), so the collector never reads half of it.

``ob_restore_last_success_timestamp_seconds`` must survive a failed run (an
alert asks "when did it last pass?"), so a run that did not pass carries the
previous value over from the file it replaces.
"""

from __future__ import annotations

import logging
from pathlib import Path

from prometheus_client import (
    CollectorRegistry,
    Gauge,
    Histogram,
    push_to_gateway,
    write_to_textfile,
)
from prometheus_client.parser import text_string_to_metric_families

from ob_async.drill._renderers.source import ReportSource
from ob_async.drill._reports.source import (
    duration_seconds,
    entries_json,
    header_json,
    moment,
    number,
    rpo_seconds,
    verdict,
)

logger = logging.getLogger("ob_async.drill")

RECOVERY_BUCKETS = (30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 14400)
"""Seconds: around the RTO targets restores are given (minutes to a couple of hours)."""
RPO_BUCKETS = (1, 5, 15, 30, 60, 300, 900, 1800, 3600, 21600, 86400)

LAST_SUCCESS = "ob_restore_last_success_timestamp_seconds"


def build_registry(
    report: ReportSource, *, previous_success: float | None = None
) -> CollectorRegistry:
    """The run's metrics in a registry of their own."""
    header = header_json(report)
    drill = str(header.get("drill"))
    summary = header.get("summary", {})
    registry = CollectorRegistry(auto_describe=True)
    labels = ["drill"]

    def gauge(name: str, help_text: str, value: float) -> None:
        Gauge(name, help_text, labels, registry=registry).labels(drill).set(value)

    finished = moment(header.get("finishedAt")) or moment(header.get("startedAt"))
    finished_at = finished.timestamp() if finished else 0.0
    passed = verdict(header) == "PASSED"
    gauge("ob_restore_last_run_timestamp_seconds", "When the last drill run finished.", finished_at)
    last_success = finished_at if passed else previous_success
    if last_success is not None:
        gauge(LAST_SUCCESS, "When the last drill run that passed finished.", last_success)
    gauge(
        "ob_restore_last_run_success", "1 if the last run passed, else 0.", 1.0 if passed else 0.0
    )
    gauge(
        "ob_restore_last_run_interrupted",
        "1 if the last run was interrupted, else 0.",
        1.0 if header.get("interrupted") else 0.0,
    )
    gauge(
        "ob_restore_run_duration_seconds",
        "How long the last run took, from start to finish.",
        duration_seconds(header) or 0.0,
    )
    gauge("ob_restore_items", "Restores in the last run's plan reported.", summary.get("items", 0))
    gauge("ob_restore_failures", "Restores of the last run that failed.", summary.get("failed", 0))
    gauge(
        "ob_restore_rto_misses",
        "Restores of the last run over their RTO.",
        summary.get("rtoMissed", 0),
    )
    by_state = Gauge(
        "ob_restore_restores",
        "Restores of the last run by final state.",
        ["drill", "state"],
        registry=registry,
    )
    for state, count in (summary.get("byState") or {}).items():
        by_state.labels(drill, str(state)).set(count)
    recovery = Histogram(
        "ob_restore_recovery_seconds",
        "Recovery time of the last run's restores, submission to ONLINE.",
        labels,
        buckets=RECOVERY_BUCKETS,
        registry=registry,
    ).labels(drill)
    rpo: Histogram | None = None
    worst_rpo: float | None = None
    for entry in entries_json(report):
        seconds = number(entry.get("recoverySeconds"))
        if seconds is not None:
            recovery.observe(seconds)
        measured = rpo_seconds(entry)
        if measured is not None:
            if rpo is None:
                rpo = Histogram(
                    "ob_restore_rpo_seconds",
                    "Recovery point of the last run's restores: seconds of data missing.",
                    labels,
                    buckets=RPO_BUCKETS,
                    registry=registry,
                ).labels(drill)
            rpo.observe(measured)
            worst_rpo = measured if worst_rpo is None else max(worst_rpo, measured)
    if worst_rpo is not None:
        gauge(
            "ob_restore_rpo_max_seconds",
            "The worst recovery point measured in the last run.",
            worst_rpo,
        )
    return registry


def previous_success(path: Path, drill: str) -> float | None:
    """The last-success timestamp the existing file holds for ``drill``, if any."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        for family in text_string_to_metric_families(text):
            if family.name != LAST_SUCCESS:
                continue
            for sample in family.samples:
                if sample.labels.get("drill") == drill:
                    return float(sample.value)
    except ValueError:  # not a metrics file we can read: start afresh
        return None
    return None


def write_textfile(path: Path, registry: CollectorRegistry) -> None:
    """Write (atomically replace) the Prometheus textfile ``path``."""
    write_to_textfile(str(path), registry)


def push(registry: CollectorRegistry, gateway: str, *, drill: str, timeout: float = 10.0) -> None:
    """Push the metrics to a Pushgateway (job ``ob_restore``, grouped by drill)."""
    push_to_gateway(
        gateway, job="ob_restore", registry=registry, grouping_key={"drill": drill}, timeout=timeout
    )
