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
from ob_async.drill._report.outcome import RunVerdict

logger = logging.getLogger("ob_async.drill")

RECOVERY_BUCKETS = (30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200, 14400)
"""Seconds: around the RTO targets restores are given (minutes to a couple of hours)."""
RPO_BUCKETS = (1, 5, 15, 30, 60, 300, 900, 1800, 3600, 21600, 86400)

LAST_SUCCESS = "ob_restore_last_success_timestamp_seconds"

_RPO_FIGURES = (
    (
        "rpo",
        "Recovery point of the last run's restores: the figure each RPO target applies to.",
        "The worst recovery point measured in the last run (the figure its target applies to).",
    ),
    (
        "data_loss_exposure",
        "Data-loss exposure of the last run's restores: the restore's request time minus "
        "the newest change restored (what a disaster then would have lost).",
        "The largest data-loss exposure measured in the last run.",
    ),
    (
        "restore_point_gap",
        "Restore-point gap of the last run's restores: the restore point minus the newest "
        "change restored (how complete the backup is at the point asked for).",
        "The largest restore-point gap measured in the last run.",
    ),
)
"""The RPO figures: name, the histogram's help, the worst value's help."""


class _Figure:
    """One RPO figure's histogram and worst value, made when first measured."""

    def __init__(self, registry: CollectorRegistry, drill: str, name: str, helps: tuple[str, str]):
        self.registry, self.drill, self.name, self.helps = registry, drill, name, helps
        self.histogram: Histogram | None = None
        self.worst: float | None = None

    def observe(self, value: float | None) -> None:
        if value is None:
            return
        if self.histogram is None:
            self.histogram = Histogram(
                f"ob_restore_{self.name}_seconds",
                self.helps[0],
                ["drill"],
                buckets=RPO_BUCKETS,
                registry=self.registry,
            )
        self.histogram.labels(self.drill).observe(value)
        self.worst = value if self.worst is None else max(self.worst, value)

    def finish(self) -> None:
        if self.worst is not None:
            Gauge(
                f"ob_restore_{self.name}_max_seconds",
                self.helps[1],
                ["drill"],
                registry=self.registry,
            ).labels(self.drill).set(self.worst)


def build_registry(
    report: ReportSource, *, previous_success: float | None = None
) -> CollectorRegistry:
    """The run's metrics in a registry of their own."""
    header = report.header()
    drill = header.drill
    summary = header.summary
    registry = CollectorRegistry(auto_describe=True)
    labels = ["drill"]

    def gauge(name: str, help_text: str, value: float) -> None:
        Gauge(name, help_text, labels, registry=registry).labels(drill).set(value)

    finished = header.finished_at or header.started_at
    finished_at = finished.timestamp()
    passed = header.verdict is RunVerdict.PASSED
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
        1.0 if header.interrupted else 0.0,
    )
    gauge(
        "ob_restore_run_duration_seconds",
        "How long the last run took, from start to finish.",
        header.duration_seconds or 0.0,
    )
    gauge("ob_restore_items", "Restores in the last run's plan reported.", summary.items)
    gauge(
        "ob_restore_failures",
        "Restores of the last run that failed: ran and did not come ONLINE as asked "
        "(the missed RTOs are ob_restore_rto_misses; never-sent ones are not failures).",
        summary.failed,
    )
    gauge("ob_restore_rto_misses", "Restores of the last run over their RTO.", summary.rto_missed)
    gauge("ob_restore_not_started", "Restores of the last run never sent.", summary.not_started)
    by_state = Gauge(
        "ob_restore_restores",
        "Restores of the last run by final state.",
        ["drill", "state"],
        registry=registry,
    )
    for state, count in summary.by_state.items():
        by_state.labels(drill, state).set(count)
    recovery = Histogram(
        "ob_restore_recovery_seconds",
        "Recovery time of the last run's restores, submission to ONLINE.",
        labels,
        buckets=RECOVERY_BUCKETS,
        registry=registry,
    ).labels(drill)
    rpo, exposure, gap = (
        _Figure(registry, drill, name, (help_each, help_worst))
        for name, help_each, help_worst in _RPO_FIGURES
    )
    for entry in report.entries():
        if entry.recovery_seconds is not None:
            recovery.observe(entry.recovery_seconds)
        if entry.data is not None:
            rpo.observe(entry.data.rpo_seconds)
            exposure.observe(entry.data.data_loss_exposure_seconds)
            gap.observe(entry.data.restore_point_gap_seconds)
    for figure in (rpo, exposure, gap):
        figure.finish()
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
