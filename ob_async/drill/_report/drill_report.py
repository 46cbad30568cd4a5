"""The report of one drill run: its facts, its counts, and every entry, spooled to disk.

A drill of 100,000 items keeps only counters, the recovery times, the first
failures and a small sample in memory; every entry is appended to a temporary
spool (private to the process, unlinked at creation) from which the renderers
stream the entries back, as the same typed records.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

import attrs

from ob_async._restore.outcome import RtoVerdict
from ob_async.drill._plan import RestorePointChoice
from ob_async.drill._report.control_facts import ControlsTally
from ob_async.drill._report.controls import ControlsSection
from ob_async.drill._report.convert import to_json
from ob_async.drill._report.data_tally import DataTally, percentiles
from ob_async.drill._report.entry import ReportEntry
from ob_async.drill._report.header import (
    Percentiles,
    ReportSummary,
    RestorePoints,
    RunBottleneck,
    RunHeader,
)
from ob_async.drill._report.outcome import NEVER_RAN
from ob_async.drill._report.verdict import Verdict

_ENTRY_FIELDS = tuple(field.name for field in attrs.fields(ReportEntry))

FAILURES_KEPT = 20
SAMPLE_KEPT = 50


@attrs.define(kw_only=True)
class DrillReport:
    """The run's facts and aggregates in memory; the entries themselves spooled to disk."""

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
    """Entries by final state."""
    rto_uncertain: int = 0
    """Of the missed RTOs, those whose recovery interval contains the RTO."""
    bottleneck: RunBottleneck | None = None
    """What limited the run (:meth:`ob_async.batch.BatchRunner.bottleneck`)."""
    item_count: int = 0
    recovery: list[float] = attrs.field(factory=list)
    first_failures: list[ReportEntry] = attrs.field(factory=list)
    """The first entries that ran and did not pass (failed or missed their RTO)."""
    sample: list[ReportEntry] = attrs.field(factory=list)
    data: DataTally = attrs.field(factory=DataTally)
    seed: int | None = None
    """The seed the run's random restore points were drawn with (None: it drew none)."""
    restore_points: Counter[RestorePointChoice] = attrs.field(factory=Counter)
    held: int = 0
    """Restored tenants held for manual validation (the plan's hold), not cleaned up."""
    cleanup_due: datetime | None = None
    """When the last hold ends: every tenant of the run may be cleaned up from then on."""
    controls: ControlsTally = attrs.field(factory=ControlsTally)
    """The facts controls rest on (its ``scope`` is set from the run's record)."""
    # Closed by close(); a drill's report lives as long as the command.
    _spool: IO[bytes] = attrs.field(factory=lambda: tempfile.TemporaryFile(mode="w+b"))  # noqa: SIM115

    def add(self, entry: ReportEntry) -> None:
        self.item_count += 1
        self.counts[entry.state] += 1
        outcome = self.verdict.add(entry)
        ran_and_failed = outcome not in NEVER_RAN and not entry.ok
        if ran_and_failed and len(self.first_failures) < FAILURES_KEPT:
            self.first_failures.append(entry)
        if entry.met_rto is False and entry.rto_verdict is RtoVerdict.UNCERTAIN:
            self.rto_uncertain += 1
        if entry.recovery_seconds is not None:
            self.recovery.append(entry.recovery_seconds)
        if entry.restore_point_choice is not None:
            self.restore_points[entry.restore_point_choice] += 1
        if entry.cleanup_due is not None:
            self.held += 1
            self.cleanup_due = max(self.cleanup_due or entry.cleanup_due, entry.cleanup_due)
        if len(self.sample) < SAMPLE_KEPT:
            self.sample.append(entry)
        self.data.add(entry.key, entry.data)
        self.controls.add(entry)
        self._spool.seek(0, os.SEEK_END)
        # Its fields' values as a tuple: read back twice as fast as the record itself.
        values = attrs.astuple(entry, recurse=False)
        pickle.dump(values, self._spool, protocol=pickle.HIGHEST_PROTOCOL)

    def entries(self) -> Iterator[ReportEntry]:
        """Every entry, in the order added (read back from the spool); may be called again."""
        self._spool.flush()
        self._spool.seek(0)
        while True:
            try:
                # The spool is this process's own unlinked temporary file: what it reads
                # back is what add() wrote, never input from elsewhere.
                values = pickle.load(self._spool)  # noqa: S301
            except EOFError:
                return
            yield ReportEntry(**dict(zip(_ENTRY_FIELDS, values, strict=True)))

    def close(self) -> None:
        self._spool.close()

    @property
    def not_passed(self) -> int:
        """Restores that ran and did not pass: failed or missed RTO (JUnit's failures)."""
        return self.verdict.not_passed

    def recovery_percentiles(self) -> Percentiles:
        return percentiles(self.recovery)

    def summary(self) -> ReportSummary:
        return ReportSummary(
            items=self.item_count,
            ok=self.verdict.restored,
            failed=self.verdict.failed,
            not_started=self.verdict.not_started,
            rto_missed=self.verdict.missed_rto,
            rto_uncertain=self.rto_uncertain,
            by_state={str(state): n for state, n in sorted(self.counts.items())},
            recovery_seconds=self.recovery_percentiles(),
            bottleneck=self.bottleneck,
            data=self.data.summary(),
            restore_points=RestorePoints(
                explicit=self.restore_points[RestorePointChoice.EXPLICIT],
                latest=self.restore_points[RestorePointChoice.LATEST],
                random=self.restore_points[RestorePointChoice.RANDOM],
                seed=self.seed,
            ),
            held=self.held,
            cleanup_due=self.cleanup_due,
        )

    def header(self) -> RunHeader:
        """The run's facts and summary: the JSON report without its items."""
        return RunHeader(
            drill=self.drill,
            run_id=self.run_id,
            plan=self.plan,
            endpoint=self.endpoint,
            started_at=self.started_at,
            finished_at=self.finished_at,
            dry_run=self.dry_run,
            interrupted=self.interrupted,
            run_error=self.run_error,
            summary=self.summary(),
            notes=tuple(self.notes),
            controls=ControlsSection.of(self.controls.facts(dry_run=self.dry_run)),
        )

    def to_json(self) -> dict[str, Any]:
        """The whole report as one JSON object (for small reports and tests)."""
        return {**to_json(self.header()), "items": [to_json(e) for e in self.entries()]}
