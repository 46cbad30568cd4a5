"""Run history: one summary file per run in a directory, and the trend read back from it.

``--history DIR`` writes ``DIR/run-<run id>.json`` (atomically) at the end of a
run; a resumed run has the same run id and so replaces its own earlier
summary instead of counting twice. :func:`read_history` returns the summaries
oldest first; the HTML report draws the trend of p50/p90 recovery time,
failures and RTO misses from them, and ``ob-restore history DIR`` prints it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import attrs

from ob_async.drill._renderers.files import write_atomically
from ob_async.drill._renderers.source import ReportSource
from ob_async.drill._renderers.words import format_seconds
from ob_async.drill._report.convert import from_json, to_json
from ob_async.drill._report.header import Percentiles
from ob_async.errors import InvalidInputError

logger = logging.getLogger("ob_async.drill")

HISTORY_VERSION = 2
"""2: ``failed`` no longer counts the missed RTOs (``rtoMissed`` does), as in the report;
a version 1 summary is read with them taken out."""
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_NEVER = datetime.min.replace(tzinfo=UTC)


@attrs.frozen(kw_only=True)
class RunSummary:
    """What the history keeps of one run (written and read by the report's converter)."""

    version: int = HISTORY_VERSION
    drill: str
    run_id: str
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_seconds: float | None = None
    verdict: str = "?"
    items: int = 0
    ok: int = 0
    """Restored (see docs/reports.md for the counts)."""
    failed: int = 0
    rto_missed: int = 0
    not_started: int = 0
    interrupted: bool = False
    by_state: dict[str, int] = attrs.field(factory=dict)
    recovery_seconds: Percentiles = attrs.field(factory=Percentiles)
    rpo_max_seconds: float | None = None
    """The worst RPO figure a target applies to."""
    data_loss_exposure_max_seconds: float | None = None
    restore_point_gap_max_seconds: float | None = None

    @classmethod
    def of(cls, report: ReportSource) -> RunSummary:
        header = report.header()
        summary = header.summary
        data = summary.data  # its percentiles' max are the worst figures of the run
        return cls(
            drill=header.drill,
            run_id=header.run_id,
            started_at=header.started_at,
            finished_at=header.finished_at,
            duration_seconds=header.duration_seconds,
            verdict=header.verdict.value,
            items=summary.items,
            ok=summary.ok,
            failed=summary.failed,
            rto_missed=summary.rto_missed,
            not_started=summary.not_started,
            interrupted=header.interrupted,
            by_state=dict(summary.by_state),
            recovery_seconds=summary.recovery_seconds,
            rpo_max_seconds=data.rpo_seconds.max if data else None,
            data_loss_exposure_max_seconds=data.data_loss_exposure_seconds.max if data else None,
            restore_point_gap_max_seconds=data.restore_point_gap_seconds.max if data else None,
        )

    @property
    def p50(self) -> float | None:
        return self.recovery_seconds.p50

    @property
    def p90(self) -> float | None:
        return self.recovery_seconds.p90

    @property
    def max(self) -> float | None:
        return self.recovery_seconds.max

    def to_json(self) -> dict[str, object]:
        written: dict[str, object] = to_json(self)
        return written

    @classmethod
    def from_json(cls, data: object, *, where: str = "history") -> RunSummary:
        """A summary as the history holds it; InvalidInputError naming the bad field."""
        run = from_json(data, cls, where=where)
        if run.version < 2:  # version 1 counted the missed RTOs among the failed
            run = attrs.evolve(
                run, version=HISTORY_VERSION, failed=max(0, run.failed - run.rto_missed)
            )
        return run


def check_history_dir(directory: Path) -> str | None:
    """Why ``directory`` cannot hold the history (None if it can, or can be created)."""
    if directory.exists() and not directory.is_dir():
        return f"--history {directory}: is not a directory"
    if not directory.exists() and not directory.parent.is_dir():
        return f"--history {directory}: no such directory: {directory.parent}"
    return None


def summary_path(directory: Path, run_id: str) -> Path:
    return directory / f"run-{_UNSAFE.sub('_', run_id)}.json"


def record_run(directory: Path, summary: RunSummary) -> Path:
    """Add (or, for a resumed run, replace) the run's summary in the history."""
    directory.mkdir(exist_ok=True)
    path = summary_path(directory, summary.run_id)
    body = json.dumps(to_json(summary), indent=2, ensure_ascii=False).encode() + b"\n"
    write_atomically(path, lambda out: _write(out, body))
    return path


def _write(out: IO[bytes], body: bytes) -> None:
    out.write(body)


def read_history(directory: Path, *, drill: str | None = None) -> list[RunSummary]:
    """Every run summary in ``directory`` (of one drill, if named), oldest first.

    A summary that cannot be read is skipped with a warning: one damaged file
    must not hide the trend.
    """
    if not directory.is_dir():
        raise InvalidInputError("is not a directory", where=f"history {directory}")
    runs = []
    for path in sorted(directory.glob("run-*.json")):
        try:
            run = RunSummary.from_json(json.loads(path.read_bytes()), where=f"history {path}")
        except (OSError, ValueError, InvalidInputError) as error:
            logger.warning("history: skipping %s: %s", path, error)
            continue
        if drill is None or run.drill == drill:
            runs.append(run)
    runs.sort(key=lambda run: (run.started_at or _NEVER, run.run_id))
    return runs


_COLUMNS = (
    "started (UTC)",
    "drill",
    "verdict",
    "items",
    "restored",
    "missed RTO",
    "failed",
    "p50",
    "p90",
    "max",
    "duration",
    "run",
)


def history_table(runs: Sequence[RunSummary]) -> list[str]:
    """The trend as text lines: one row per run, oldest first, columns aligned."""
    rows = [
        (
            run.started_at.strftime("%Y-%m-%d %H:%M:%S") if run.started_at else "?",
            run.drill,
            run.verdict,
            str(run.items),
            str(run.ok),
            str(run.rto_missed),
            str(run.failed),
            format_seconds(run.p50),
            format_seconds(run.p90),
            format_seconds(run.max),
            format_seconds(run.duration_seconds),
            run.run_id,
        )
        for run in runs
    ]
    widths = [max(len(row[i]) for row in [_COLUMNS, *rows]) for i in range(len(_COLUMNS))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [_COLUMNS, *rows]
    ]
