"""What every renderer reads: the run's header and its entries, plus small readers of both."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from ob_async.drill._renderers.source import ReportSource
from ob_async.drill._report.convert import to_json


def header_json(report: ReportSource) -> dict[str, Any]:
    """The header as its JSON object."""
    found: dict[str, Any] = to_json(report.header())
    return found


def entries_json(report: ReportSource) -> Iterator[dict[str, Any]]:
    """Every entry as its JSON object."""
    return (to_json(entry) for entry in report.entries())


def moment(value: object) -> datetime | None:
    """An ISO-8601 time of a report, or None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def number(value: object) -> float | None:
    """A number of a report (bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def recovery_interval(entry: Mapping[str, Any]) -> tuple[float, float] | None:
    """The interval the recovery time is known to lie in, when the entry has one.

    ONLINE is only noticed at a poll, so the true recovery time lies between the
    last read that did not see it (``recoveryLowerSeconds``) and the first that
    did (``recoveryUpperSeconds``).
    """
    low = number(entry.get("recoveryLowerSeconds"))
    high = number(entry.get("recoveryUpperSeconds"))
    if high is None:
        high = number(entry.get("recoverySeconds"))
    if low is None or high is None:
        return None
    return low, high


def rpo_seconds(entry: Mapping[str, Any]) -> float | None:
    """The measured recovery point (seconds of data the restore lacks), when measured."""
    for name in ("rpoSeconds", "rpo"):
        value = entry.get(name)
        if isinstance(value, Mapping):
            value = value.get("seconds")
        found = number(value)
        if found is not None:
            return found
    return None


def checks_summary(entry: Mapping[str, Any]) -> tuple[int, int] | None:
    """(passed, total) of the data checks run on the restored tenant, when any were.

    ``checks`` may be a list of objects with ``ok`` (or ``passed``), or an object
    of name to such an object or to a bool.
    """
    checks = entry.get("checks")
    if isinstance(checks, Mapping):
        results = list(checks.values())
    elif isinstance(checks, list):
        results = checks
    else:
        return None
    if not results:
        return None
    passed = sum(1 for result in results if _passed(result))
    return passed, len(results)


def _passed(result: object) -> bool:
    if isinstance(result, bool):
        return result
    if isinstance(result, Mapping):
        for name in ("ok", "passed"):
            if isinstance(result.get(name), bool):
                return bool(result[name])
        return str(result.get("status", "")).lower() in {"ok", "passed", "pass"}
    return False


def verdict(header: Mapping[str, Any]) -> str:
    """PASSED, FAILED, INTERRUPTED or DRY RUN: the one word a report starts with."""
    summary = header.get("summary", {})
    if header.get("interrupted"):
        return "INTERRUPTED"
    if (
        summary.get("failed")
        or summary.get("rtoMissed")
        or summary.get("notStarted")
        or header.get("runError")
    ):
        return "FAILED"
    if header.get("dryRun"):
        return "DRY RUN"
    return "PASSED"


def counts(header: Mapping[str, Any]) -> dict[str, int]:
    """The summary's counts that add up to the items, as the terminal summary names them:
    restored (ONLINE in time), missed RTO (ONLINE late), failed (any other end), not started."""
    summary = header.get("summary", {})
    missed = int(summary.get("rtoMissed") or 0)
    return {
        "restored": int(summary.get("ok") or 0),
        "missed RTO": missed,
        "failed": int(summary.get("failed") or 0),
        "not started": int(summary.get("notStarted") or 0),
    }


def duration_seconds(header: Mapping[str, Any]) -> float | None:
    started, finished = moment(header.get("startedAt")), moment(header.get("finishedAt"))
    if started is None or finished is None:
        return None
    return max(0.0, (finished - started).total_seconds())


def format_seconds(value: float | None) -> str:
    """90.0 -> '1m30s'; short and readable in a table cell."""
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.1f}s"
    minutes, seconds = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
