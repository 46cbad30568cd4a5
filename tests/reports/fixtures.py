"""Synthetic drill reports for the renderers' tests: every kind of outcome, or very many."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from ob_async.batch import ItemState
from ob_async.drill._report import DrillReport, ReportEntry

START = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def entry(
    index: int,
    state: str,
    *,
    submitted: float | None = 0.0,
    seen: float | None = 5.0,
    finished: float | None = 60.0,
    rto: float | None = 900.0,
    met_rto: bool | None = None,
    error: str | None = None,
    **extra: Any,
) -> ReportEntry:
    """One entry; times are seconds after :data:`START`."""

    def at(offset: float | None) -> datetime | None:
        return None if offset is None else START + timedelta(seconds=offset)

    recovery = None
    if submitted is not None and finished is not None and state in {"online", "timed_out"}:
        recovery = finished - submitted
    if met_rto is None and recovery is not None and rto is not None and state == "online":
        met_rto = recovery <= rto
    return ReportEntry(
        key=f"ob-dr-east/tenant_{index:05d}",
        index=index,
        source_instance_id="ob-prod-sh",
        source_tenant_id=f"t{index:05d}",
        target_instance_id="ob-dr-east",
        target_tenant_name=f"tenant_{index:05d}",
        state=ItemState(state),
        request_id=f"req-{index:05d}",
        submitted_at=at(submitted),
        first_seen_at=at(seen),
        finished_at=at(finished),
        recovery_seconds=recovery,
        rto_seconds=rto,
        met_rto=met_rto,
        error=error,
        **extra,
    )


def report_of(entries: list[ReportEntry], *, drill: str = "weekly-dr", **facts: Any) -> DrillReport:
    report = DrillReport(
        drill=drill,
        run_id=facts.pop("run_id", "20261130T030000Z-abcdef"),
        plan="weekly.toml",
        endpoint="embedded simulator",
        started_at=facts.pop("started_at", START),
        **facts,
    )
    for one in entries:
        report.add(one)
    latest = max((e.finished_at for e in entries if e.finished_at), default=START)
    report.finished_at = report.finished_at or latest + timedelta(seconds=2)
    return report


def mixed_report() -> DrillReport:
    """A failed run with one restore of every outcome the report draws differently."""
    return report_of(
        [
            entry(
                1,
                "online",
                submitted=0,
                seen=4,
                finished=310,
                recovery_lower_seconds=304.0,
                recovery_upper_seconds=310.0,
            ),
            entry(2, "online", submitted=2, seen=6, finished=420, rto=300),  # RTO missed
            entry(3, "restore_failed", submitted=3, seen=8, finished=200, error="RESTORE_FAILED"),
            entry(4, "timed_out", submitted=5, seen=9, finished=1000, error="not ONLINE in 1000s"),
            entry(5, "submit_failed", submitted=6, seen=None, finished=7, error="HTTP 400 bad"),
            entry(6, "preflight_failed", submitted=None, seen=None, finished=None, error="no win"),
            entry(7, "interrupted", submitted=9, seen=12, finished=None, error="interrupted"),
            entry(8, "online", submitted=10, seen=15, finished=250),
        ]
    )


def large_report(count: int, *, seed: int = 1) -> DrillReport:
    """``count`` restores over a few hours, one in fifty failing."""
    rng = random.Random(seed)
    entries = []
    for index in range(1, count + 1):
        submitted = index * 1.5
        seen = submitted + rng.uniform(1, 20)
        finished = seen + rng.uniform(200, 1200)
        state = "restore_failed" if index % 50 == 0 else "online"
        entries.append(entry(index, state, submitted=submitted, seen=seen, finished=finished))
    return report_of(entries)
