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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import attrs

from ob_async.drill._renderers.files import write_atomically
from ob_async.drill._renderers.source import ReportSource
from ob_async.drill._reports.source import (
    duration_seconds,
    entries_json,
    format_seconds,
    header_json,
    number,
    rpo_seconds,
    verdict,
)
from ob_async.errors import InvalidInputError

logger = logging.getLogger("ob_async.drill")

HISTORY_VERSION = 1
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@attrs.frozen(kw_only=True)
class RunSummary:
    """What the history keeps of one run."""

    drill: str
    run_id: str
    started_at: str | None
    finished_at: str | None
    duration_seconds: float | None
    verdict: str
    items: int
    ok: int
    failed: int
    rto_missed: int
    interrupted: bool
    by_state: dict[str, int]
    p50: float | None
    p90: float | None
    p99: float | None
    max: float | None
    rpo_max_seconds: float | None

    @classmethod
    def of(cls, report: ReportSource) -> RunSummary:
        header = header_json(report)
        summary = header.get("summary", {})
        recovery = summary.get("recoverySeconds", {})
        rpos = [
            value for entry in entries_json(report) if (value := rpo_seconds(entry)) is not None
        ]
        return cls(
            drill=str(header.get("drill")),
            run_id=str(header.get("runId")),
            started_at=header.get("startedAt"),
            finished_at=header.get("finishedAt"),
            duration_seconds=duration_seconds(header),
            verdict=verdict(header),
            items=int(summary.get("items", 0)),
            ok=int(summary.get("ok", 0)),
            failed=int(summary.get("failed", 0)) + int(summary.get("rtoMissed", 0)),
            rto_missed=int(summary.get("rtoMissed", 0)),
            interrupted=bool(header.get("interrupted")),
            by_state=dict(summary.get("byState", {})),
            p50=number(recovery.get("p50")),
            p90=number(recovery.get("p90")),
            p99=number(recovery.get("p99")),
            max=number(recovery.get("max")),
            rpo_max_seconds=max(rpos) if rpos else None,
        )

    @property
    def other_failures(self) -> int:
        """Failed for any reason but a missed RTO (``failed`` counts the misses too, as the
        JSON report's summary does; the terminal summary shows them apart)."""
        return self.failed - self.rto_missed

    def to_json(self) -> dict[str, Any]:
        return {
            "version": HISTORY_VERSION,
            "drill": self.drill,
            "runId": self.run_id,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
            "durationSeconds": self.duration_seconds,
            "verdict": self.verdict,
            "items": self.items,
            "ok": self.ok,
            "failed": self.failed,
            "rtoMissed": self.rto_missed,
            "interrupted": self.interrupted,
            "byState": self.by_state,
            "recoverySeconds": {"p50": self.p50, "p90": self.p90, "p99": self.p99, "max": self.max},
            "rpoMaxSeconds": self.rpo_max_seconds,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunSummary:
        recovery = data.get("recoverySeconds") or {}
        return cls(
            drill=str(data["drill"]),
            run_id=str(data["runId"]),
            started_at=data.get("startedAt"),
            finished_at=data.get("finishedAt"),
            duration_seconds=number(data.get("durationSeconds")),
            verdict=str(data.get("verdict", "?")),
            items=int(data.get("items", 0)),
            ok=int(data.get("ok", 0)),
            failed=int(data.get("failed", 0)),
            rto_missed=int(data.get("rtoMissed", 0)),
            interrupted=bool(data.get("interrupted")),
            by_state={str(k): int(v) for k, v in (data.get("byState") or {}).items()},
            p50=number(recovery.get("p50")),
            p90=number(recovery.get("p90")),
            p99=number(recovery.get("p99")),
            max=number(recovery.get("max")),
            rpo_max_seconds=number(data.get("rpoMaxSeconds")),
        )


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
    body = json.dumps(summary.to_json(), indent=2, ensure_ascii=False).encode() + b"\n"
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
            run = RunSummary.from_json(json.loads(path.read_bytes()))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            logger.warning("history: skipping %s: %s", path, error)
            continue
        if drill is None or run.drill == drill:
            runs.append(run)
    runs.sort(key=lambda run: (run.started_at or "", run.run_id))
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
            (run.started_at or "?")[:19].replace("T", " "),
            run.drill,
            run.verdict,
            str(run.items),
            str(run.ok),
            str(run.rto_missed),
            str(run.other_failures),
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
