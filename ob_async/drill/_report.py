"""Drill reports: one entry per restore, written as JSON, JUnit XML, and a terminal summary.

A :class:`ReportEntry` is the flat, serialisable record of one item: source,
target, requestId, attempts, timestamps, recovery seconds against the RTO
target, clean-up, and the error if any. Entries come from live results
(:func:`entry_from_result`) or, for items settled by an earlier run of a
resumed drill, from the journal. :class:`DrillReport` holds the entries and the
run's facts and renders them:

- JSON (:meth:`DrillReport.to_json`): everything, for machines;
- JUnit XML (:meth:`DrillReport.to_junit`): one test case per restore, failed
  unless ONLINE within its RTO target, as Jenkins and GitLab read it; a restore
  never sent (``not_started``, or ``planned`` in a dry run) is ``<skipped>``,
  so that a CI system shows it as not run, never as passed;
- a terminal summary with recovery-time percentiles (:meth:`DrillReport.summary_lines`).

No credential is ever part of a report.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import attrs

from ob_async._restore.outcome import RtoVerdict
from ob_async._stats import nearest_rank
from ob_async.batch._item import GOOD_STATES, ItemResult, ItemState
from ob_async.drill._data_report import (
    DataTally,
    data_failure_text,
    data_fields,
    junit_properties,
)
from ob_async.drill._plan import PlanItem
from ob_async.drill._plan.restore_point import RestorePointChoice
from ob_async.drill._summary import LEGEND, Verdict

OK_STATES = frozenset({*GOOD_STATES, ItemState.PLANNED})
SKIPPED_STATES = frozenset({ItemState.PLANNED, ItemState.NOT_STARTED})
"""States of items that did not run: neither passed nor failed, in JUnit ``<skipped>``."""

REPORT_VERSION = 1


@attrs.frozen(kw_only=True)
class ReportEntry:
    key: str
    index: int | None
    source_instance_id: str
    source_tenant_id: str
    target_instance_id: str
    target_tenant_name: str
    state: ItemState
    request_id: str | None = None
    restore_time: str | None = None
    tenant_id: str | None = None
    submission: str | None = None
    attempts: tuple[dict[str, Any], ...] = ()
    submitted_at: str | None = None
    first_seen_at: str | None = None
    finished_at: str | None = None
    recovery_seconds: float | None = None
    recovery_lower_seconds: float | None = None
    """The earliest it can have come ONLINE: last seen otherwise this long after submission."""
    recovery_upper_seconds: float | None = None
    """The latest: first seen ONLINE this long after submission (= ``recovery_seconds``)."""
    rto_seconds: float | None = None
    met_rto: bool | None = None
    rto_verdict: str | None = None
    """``met``, ``missed``, or ``uncertain`` (the RTO falls inside the recovery interval)."""
    last_status: str | None = None
    cleanup: dict[str, Any] | None = None
    error: str | None = None
    resumed: bool = False
    """Settled by an earlier run of this drill (read back from the journal)."""
    recovery_note: str | None = None
    """What the recovery time includes beyond the restore itself (a resume's outage)."""
    data: dict[str, Any] | None = None
    """The data verdict (DataVerdict.to_json): checks and measured RPO, if verified."""
    restore_point: RestorePointChoice | None = None
    """How the restore point (``restore_time``) was chosen: explicit, latest or random."""
    restore_seed: int | None = None
    """For a random restore point: the run's seed it was drawn with."""
    cleanup_due: datetime | None = None
    """The restored tenant is held for validation until then: clean it up after."""

    def with_restore_point(self, choice: RestorePointChoice, seed: int | None) -> ReportEntry:
        """This entry, saying how its restore point was chosen."""
        random = choice is RestorePointChoice.RANDOM
        return attrs.evolve(self, restore_point=choice, restore_seed=seed if random else None)

    @classmethod
    def of_plan_item(cls, plan_item: PlanItem, state: ItemState, **details: Any) -> ReportEntry:
        """The entry of a plan item that did not run in this run's batch (a dry run, a
        refused pre-flight, one settled by an earlier run): its identity from the plan."""
        return cls(
            key=plan_item.key,
            index=plan_item.index,
            source_instance_id=plan_item.source_instance_id,
            source_tenant_id=plan_item.source_tenant_id,
            target_instance_id=plan_item.target_instance_id,
            target_tenant_name=plan_item.target_tenant_name,
            state=state,
            rto_seconds=plan_item.rto_seconds,
            **{"restore_point": plan_item.restore_point_choice, **details},
        )

    @property
    def ok(self) -> bool:
        return (
            self.state in OK_STATES
            and self.met_rto is not False
            and (self.data is None or bool(self.data.get("ok")))
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "index": self.index,
            "source": {"instanceId": self.source_instance_id, "tenantId": self.source_tenant_id},
            "target": {
                "instanceId": self.target_instance_id,
                "tenantName": self.target_tenant_name,
                "tenantId": self.tenant_id,
            },
            "requestId": self.request_id,
            "restoreTime": self.restore_time,
            "state": self.state.value,
            "ok": self.ok,
            "submission": self.submission,
            "attempts": list(self.attempts),
            "submittedAt": self.submitted_at,
            "firstSeenAt": self.first_seen_at,
            "finishedAt": self.finished_at,
            "recoverySeconds": self.recovery_seconds,
            "recoveryLowerSeconds": self.recovery_lower_seconds,
            "recoveryUpperSeconds": self.recovery_upper_seconds,
            "rtoSeconds": self.rto_seconds,
            "metRto": self.met_rto,
            "rtoVerdict": self.rto_verdict,
            "lastStatus": self.last_status,
            "cleanup": self.cleanup,
            "error": self.error,
            "resumed": self.resumed,
            "recoveryNote": self.recovery_note,
            "restorePoint": self.restore_point.value if self.restore_point else None,
            "restoreSeed": self.restore_seed,
            "cleanupDue": _iso(self.cleanup_due),
            **data_fields(self.data),
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _value(verdict: RtoVerdict | None) -> str | None:
    return verdict.value if verdict is not None else None


def entry_from_result(result: ItemResult, *, index: int | None = None) -> ReportEntry:
    """The report entry of a live batch result."""
    item = result.item
    request = item.request
    submission = result.submission
    restore = result.restore
    attempts: tuple[dict[str, Any], ...] = ()
    if submission is not None:
        attempts = tuple(
            {
                "number": attempt.number,
                "startedAt": _iso(attempt.started_at),
                "finishedAt": _iso(attempt.finished_at),
                "result": attempt.result,
                "status": attempt.status,
                "ambiguous": attempt.ambiguous,
                "lookedUp": attempt.looked_up,
                "sent": attempt.sent,
                "waitAfter": attempt.wait_after,
                "error": attempt.error,
            }
            for attempt in submission.attempts
        )
    cleanup = None
    if result.cleanup is not None:
        cleanup = {
            "tenantId": result.cleanup.tenant_id,
            "deleted": result.cleanup.deleted,
            "at": _iso(result.cleanup.at),
            "error": result.cleanup.error,
        }
    return ReportEntry(
        key=item.key,
        index=index,
        source_instance_id=request.source_instance_id,
        source_tenant_id=request.source_tenant_id,
        target_instance_id=request.target_instance_id,
        target_tenant_name=request.target_tenant_name,
        state=result.state,
        request_id=submission.request_id if submission else item.request_id,
        restore_time=request.restore_time.isoformat(),
        tenant_id=(restore.tenant_id if restore else None)
        or (submission.tenant_id if submission else None),
        submission=submission.outcome.value if submission else None,
        attempts=attempts,
        submitted_at=_iso(submission.first_attempt_at) if submission else None,
        first_seen_at=_iso(restore.first_seen_at) if restore else None,
        finished_at=_iso(restore.finished_at) if restore else None,
        recovery_seconds=result.recovery_seconds,
        recovery_lower_seconds=restore.recovery_lower_seconds if restore else None,
        recovery_upper_seconds=restore.recovery_upper_seconds if restore else None,
        rto_seconds=item.rto_seconds,
        met_rto=result.met_rto,
        rto_verdict=_value(result.rto_verdict),
        last_status=restore.last_status if restore else None,
        cleanup=cleanup,
        error=result.error,
        data=result.data.to_json() if result.data else None,
        recovery_note=_resumed_note(result),
    )


def _resumed_note(result: ItemResult) -> str | None:
    """A restore first submitted by the run a resume continues is timed from that first
    submission, so its recovery time (and RTO verdict) includes the outage between the
    crash and the resume: say so, next to the figure."""
    if not result.item.reconcile_first or result.recovery_seconds is None:
        return None
    return (
        "first submitted by the interrupted run this resume continues: the recovery "
        "time counts from that submission and includes the outage before the resume"
    )


_FAILURES_KEPT = 20
_SAMPLE_KEPT = 50


@attrs.define(kw_only=True)
class DrillReport:
    """The run's facts and aggregates in memory; the entries themselves spooled to disk.

    A drill of 100,000 items keeps only counters, the recovery times, the first
    failures and a small sample in memory; every entry is appended to a
    temporary JSON-lines spool from which the report files are streamed.
    """

    drill: str
    run_id: str
    plan: str
    endpoint: str
    started_at: datetime
    finished_at: datetime | None = None
    dry_run: bool = False
    interrupted: bool = False
    run_error: str | None = None
    """A run-wide failure that ended the drill (refused credentials, an unreadable plan)."""
    notes: list[str] = attrs.field(factory=list)
    cleanup_requested: bool = False
    """The run deletes what it restored: the summary says what was deleted and kept."""
    verdict: Verdict = attrs.field(factory=Verdict)
    counts: Counter[str] = attrs.field(factory=Counter)
    failures: int = 0
    rto_misses: int = 0
    rto_uncertain: int = 0
    """Of the RTO misses, those whose recovery interval contains the RTO."""
    bottleneck: dict[str, Any] | None = None
    """What limited the run (:meth:`ob_async.batch.BatchRunner.bottleneck`)."""
    item_count: int = 0
    recovery: list[float] = attrs.field(factory=list)
    first_failures: list[ReportEntry] = attrs.field(factory=list)
    sample: list[ReportEntry] = attrs.field(factory=list)
    data: DataTally = attrs.field(factory=DataTally)
    seed: int | None = None
    """The seed the run's random restore points were drawn with (None: it drew none)."""
    restore_points: Counter[RestorePointChoice] = attrs.field(factory=Counter)
    held: int = 0
    """Restored tenants kept for validation (a hold), not cleaned up by the run."""
    cleanup_due: datetime | None = None
    """When the last hold ends: the run's tenants may all be cleaned up from then on."""
    # Closed by close(); a drill's report lives as long as the command.
    _spool: Any = attrs.field(factory=lambda: tempfile.TemporaryFile(mode="w+b"))  # noqa: SIM115

    def add(self, entry: ReportEntry) -> None:
        self.item_count += 1
        self.counts[entry.state] += 1
        self.verdict.add(entry)
        if entry.state in SKIPPED_STATES:
            pass  # did not run: neither a success nor a failure
        elif not entry.ok:
            self.failures += 1
            if len(self.first_failures) < _FAILURES_KEPT:
                self.first_failures.append(entry)
        if entry.met_rto is False:
            self.rto_misses += 1
            self.rto_uncertain += entry.rto_verdict == RtoVerdict.UNCERTAIN.value
        if entry.recovery_seconds is not None:
            self.recovery.append(entry.recovery_seconds)
        if entry.restore_point is not None:
            self.restore_points[entry.restore_point] += 1
        if entry.cleanup_due is not None:
            self.held += 1
            self.cleanup_due = max(self.cleanup_due or entry.cleanup_due, entry.cleanup_due)
        if len(self.sample) < _SAMPLE_KEPT:
            self.sample.append(entry)
        item = entry.to_json()
        self.data.add(entry.key, item)
        self._spool.seek(0, os.SEEK_END)
        self._spool.write(json.dumps(item, ensure_ascii=False).encode() + b"\n")

    def entries(self) -> Iterator[dict[str, Any]]:
        """Every entry as its JSON object, in the order added (read back from the spool)."""
        self._spool.flush()
        self._spool.seek(0)
        for line in self._spool:
            yield json.loads(line)

    def close(self) -> None:
        self._spool.close()

    def recovery_percentiles(self) -> dict[str, float | None]:
        values = sorted(self.recovery)
        return {
            "p50": nearest_rank(values, 0.50),
            "p90": nearest_rank(values, 0.90),
            "p99": nearest_rank(values, 0.99),
            "max": values[-1] if values else None,
        }

    def header(self) -> dict[str, Any]:
        return {
            "version": REPORT_VERSION,
            "drill": self.drill,
            "runId": self.run_id,
            "plan": self.plan,
            "endpoint": self.endpoint,
            "startedAt": _iso(self.started_at),
            "finishedAt": _iso(self.finished_at),
            "dryRun": self.dry_run,
            "interrupted": self.interrupted,
            "runError": self.run_error,
            "summary": {
                "items": self.item_count,
                "ok": self.item_count - self.failures - self.skipped,
                "failed": self.failures,
                "notStarted": self.counts[ItemState.NOT_STARTED],
                "rtoMissed": self.rto_misses,
                "rtoUncertain": self.rto_uncertain,
                "byState": dict(sorted(self.counts.items())),
                "recoverySeconds": self.recovery_percentiles(),
                "bottleneck": self.bottleneck,
                "restorePoints": {
                    **{choice.value: self.restore_points[choice] for choice in RestorePointChoice},
                    "seed": self.seed,
                },
                "held": self.held,
                "cleanupDue": _iso(self.cleanup_due),
                **({"data": self.data.summary_json()} if self.data.verified else {}),
            },
            "notes": self.notes,
        }

    def to_json(self) -> dict[str, Any]:
        """The whole report as one object (for small reports and tests)."""
        return {**self.header(), "items": list(self.entries())}

    def write_json(self, out: IO[bytes]) -> None:
        """Stream the JSON report: the header, then the items one by one."""
        head = json.dumps(self.header(), indent=2, ensure_ascii=False)
        out.write(head[: head.rfind("}")].rstrip().encode() + b',\n  "items": [')
        for number, item in enumerate(self.entries()):
            out.write((",\n    " if number else "\n    ").encode())
            out.write(json.dumps(item, ensure_ascii=False).encode())
        out.write(b"\n  ]\n}\n")

    def write_junit(self, out: IO[bytes]) -> None:
        """Stream the JUnit XML: one test case per restore, failed unless ONLINE within its RTO."""
        suite = ET.Element(
            "testsuite",
            {
                "name": f"ob-restore drill {self.drill}",
                "tests": str(self.item_count),
                "failures": str(self.failures),
                "errors": "0",
                "skipped": str(self.skipped),
                "timestamp": self.started_at.replace(tzinfo=None).isoformat(timespec="seconds"),
                "time": f"{self._elapsed():.3f}",
            },
        )
        properties = ET.SubElement(suite, "properties")
        for name, value in (
            ("runId", self.run_id),
            ("plan", self.plan),
            ("endpoint", self.endpoint),
        ):
            ET.SubElement(properties, "property", {"name": name, "value": value})
        opening = ET.tostring(suite, encoding="unicode")
        out.write(b'<?xml version="1.0" encoding="utf-8"?>\n<testsuites>\n')
        out.write(opening.removesuffix("</testsuite>").encode() + b"\n")
        for item in self.entries():
            out.write(ET.tostring(_testcase(item), encoding="utf-8") + b"\n")
        out.write(b"</testsuite>\n</testsuites>\n")

    @property
    def skipped(self) -> int:
        """Items that did not run (JUnit ``<skipped>``)."""
        return sum(self.counts[state] for state in SKIPPED_STATES)

    def _elapsed(self) -> float:
        if self.finished_at is None:
            return 0.0
        return (self.finished_at - self.started_at).total_seconds()

    def summary_lines(self) -> list[str]:
        percentiles = self.recovery_percentiles()
        head = "DRY RUN " if self.dry_run else ""
        lines = [
            f"{head}drill {self.drill} (run {self.run_id}): {self.item_count} restore(s): "
            f"{self.verdict.headline()}" + (", INTERRUPTED" if self.interrupted else ""),
            "  states: " + ", ".join(f"{state} {n}" for state, n in sorted(self.counts.items())),
        ]
        if not self.dry_run:
            lines.append(f"  ({LEGEND})")
        if self.cleanup_requested:
            lines.extend(self.verdict.cleanup_lines())
        if percentiles["max"] is not None:
            lines.append(
                "  recovery time: "
                + ", ".join(f"{name} {_seconds(value)}" for name, value in percentiles.items())
            )
        if self.rto_uncertain:
            lines.append(
                f"  of the missed RTOs, {self.rto_uncertain} uncertain: the RTO falls inside "
                "the interval between the last poll that saw it restoring and the first that "
                "saw it ONLINE"
            )
        if self.bottleneck is not None:
            lines.append(f"  bottleneck: {self.bottleneck['summary']}")
        lines.extend(self._restore_point_lines())
        lines.extend(self.data.summary_lines())
        lines.extend(f"  FAILED {e.key}: {_failure_message(e)}" for e in self.first_failures)
        if self.failures > len(self.first_failures):
            lines.append(
                f"  ... and {self.failures - len(self.first_failures)} more failures "
                "(see the JSON report)"
            )
        lines.extend(f"  note: {note}" for note in self.notes)
        return lines

    def _restore_point_lines(self) -> list[str]:
        """How the restore points were chosen, and when held tenants may be cleaned up."""
        lines = []
        parts = []
        for choice in RestorePointChoice:
            if not self.restore_points[choice]:
                continue
            part = f"{self.restore_points[choice]} {choice.value}"
            if choice is RestorePointChoice.RANDOM and self.seed is not None:
                part += f" (seed {self.seed}: --seed {self.seed} draws them again)"
            parts.append(part)
        if parts:
            lines.append(f"  restore points: {', '.join(parts)}")
        if self.cleanup_due is not None:
            lines.append(
                f"  held for validation: {self.held} restored tenant(s), not cleaned up; "
                f"clean-up due at {_iso(self.cleanup_due)} "
                "(ob-restore cleanup --journal <this run's journal>)"
            )
        return lines


def _testcase(item: Mapping[str, Any]) -> ET.Element:
    target = item["target"]
    recovery = item.get("recoverySeconds")
    case = ET.Element(
        "testcase",
        {
            "classname": f"restore.{target['instanceId']}",
            "name": str(target["tenantName"]),
            "time": f"{recovery or 0.0:.3f}",
        },
    )
    properties = ET.SubElement(case, "properties")
    for name in ("recoveryLowerSeconds", "recoveryUpperSeconds", "rtoSeconds", "rtoVerdict"):
        value = item.get(name)
        if value is not None:
            ET.SubElement(properties, "property", {"name": name, "value": str(value)})
    for name, value in junit_properties(item):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    if item.get("state") in SKIPPED_STATES:
        ET.SubElement(case, "skipped", {"message": _failure_text(item)})
    elif not item.get("ok"):
        failure = ET.SubElement(
            case, "failure", {"message": _failure_text(item), "type": str(item.get("state"))}
        )
        failure.text = json.dumps(item, indent=2, ensure_ascii=False)
    source = item["source"]
    ET.SubElement(case, "system-out").text = (
        f"source {source['instanceId']}/{source['tenantId']}; requestId {item.get('requestId')}; "
        f"state {item.get('state')}; recovery {recovery}s; rto {item.get('rtoSeconds')}s"
    )
    return case


def _failure_text(item: Mapping[str, Any]) -> str:
    data_problem = data_failure_text(item)
    if item.get("state") == ItemState.ONLINE.value and data_problem is not None:
        return f"ONLINE, but its data failed: {data_problem}"
    if item.get("rtoVerdict") == RtoVerdict.UNCERTAIN.value:
        return (
            f"ONLINE between {item['recoveryLowerSeconds']:.1f}s and "
            f"{item['recoveryUpperSeconds']:.1f}s after submission: the RTO target of "
            f"{item['rtoSeconds']:.0f}s falls inside, so it cannot be shown to be met"
        )
    if item.get("state") == ItemState.ONLINE.value and item.get("metRto") is False:
        note = item.get("recoveryNote")
        return (
            f"ONLINE after {item['recoverySeconds']:.1f}s, over the RTO target of "
            f"{item['rtoSeconds']:.0f}s" + (f" ({note})" if note else "")
        )
    return f"{item.get('state')}: {item.get('error') or 'no further detail'}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"


def _failure_message(entry: ReportEntry) -> str:
    return _failure_text(entry.to_json())


def write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write a file via a temporary file and a rename: a crash never leaves half a file,
    and a failed write leaves neither half a file nor the temporary one."""
    directory = path.parent if str(path.parent) else Path(".")
    temp = tempfile.NamedTemporaryFile(dir=directory, delete=False, prefix=f".{path.name}.")  # noqa: SIM115
    try:
        with temp:
            write(temp)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp.name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp.name)
        raise


def write_reports(report: DrillReport, *, json_path: Path | None, junit_path: Path | None) -> None:
    if json_path is not None:
        write_atomically(json_path, report.write_json)
    if junit_path is not None:
        write_atomically(junit_path, report.write_junit)
