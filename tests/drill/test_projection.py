"""The live run, a resume and a rebuild (``ob-restore report``) are one projection of
the journal: they give the same entries, attempts included, wherever the run stopped.

In process, against the embedded simulator: a small drill runs to its end; then its
journal is cut after every line (as a crash would leave it), and each cut journal is
both rebuilt and resumed (against a fresh simulator that knows nothing of the first
run, as after losing the server's state too).
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

from ob_async import ObClient, PollConfig
from ob_async._cli.progress import LineProgress
from ob_async.batch._item import ItemState
from ob_async.drill._journal import JournalState, read_journal
from ob_async.drill._journal_record import ItemRecord, JournalEvent, RunRecord
from ob_async.drill._plan import DrillPlan, RunContext, load_plan
from ob_async.drill._projection import project
from ob_async.drill._rebuild import report_from_journal
from ob_async.drill._renderers.junit import write_junit
from ob_async.drill._report import ReportEntry
from ob_async.drill._report.outcome import Outcome, outcome_of
from ob_async.drill._runner import DrillOptions, DrillRunner
from ob_async.simulator import Simulator
from tests.cli.support import write_plan

FAST_POLL = PollConfig(initial_interval=0.05, max_interval=0.1)


class _StopAfter:
    """Progress events; asks the runner to stop after ``count`` events of ``kind``."""

    def __init__(self, count: int, kind: str = "submitted", *, abort: bool = False) -> None:
        self.count = count
        self.kind = kind
        self.abort = abort
        self.runner: DrillRunner | None = None
        self.events: list[tuple[str, dict[str, Any]]] = []

    def emit(self, event: str, **fields: Any) -> None:
        self.events.append((event, fields))
        seen = sum(kind == self.kind for kind, _ in self.events)
        if seen == self.count and event == self.kind and self.runner is not None:
            (self.runner.abort if self.abort else self.runner.stop)("stopped by the test")


async def _run(
    plan: DrillPlan,
    journal: Path,
    *,
    resume: bool = False,
    events: Any = None,
    seed: int = 5,
) -> tuple[list[ReportEntry], Any]:
    async with Simulator(restore_seconds=(0.05, 0.15), seed=seed) as sim:
        async with ObClient(sim.url, sim.credentials, "p1", poll=FAST_POLL) as client:
            runner = DrillRunner(
                client, plan, DrillOptions(journal_path=journal, resume=resume), events=events
            )
            if isinstance(events, _StopAfter):
                events.runner = runner
            report = await runner.run()
    try:
        return list(report.entries()), report
    finally:
        report.close()


def _rebuilt(journal: Path, plan: DrillPlan) -> list[ReportEntry]:
    report = report_from_journal(journal, plan=plan)
    try:
        return list(report.entries())
    finally:
        report.close()


def _projected(journal: Path, plan: DrillPlan) -> list[ReportEntry]:
    state = read_journal(journal)
    assert state.run.run_id is not None
    assert state.run.started_at is not None
    context = RunContext(run_id=state.run.run_id, started_at=state.run.started_at)
    return list(project(state, plan.items(context), context, item_count=plan.item_count))


def _settled_by(journal: Path) -> set[str]:
    return {key for key, item in read_journal(journal).items.items() if item.final is not None}


@pytest.mark.timeout(240)
async def test_live_resume_and_rebuild_agree_at_every_line_of_the_journal(tmp_path: Path) -> None:
    plan = load_plan(write_plan(tmp_path / "plan.toml", 3, drill="concurrency = 2"))
    journal = tmp_path / "full.jsonl"
    live, _ = await _run(plan, journal)
    assert [entry.state for entry in live] == [ItemState.ONLINE] * 3
    assert all(entry.attempts for entry in live)
    # The live report is the projection of its journal, and the rebuild is too.
    assert live == _rebuilt(journal, plan) == _projected(journal, plan)

    lines = journal.read_bytes().splitlines(keepends=True)
    assert len(lines) > 8
    for cut in range(1, len(lines) + 1):
        partial = tmp_path / f"cut-{cut}.jsonl"
        partial.write_bytes(b"".join(lines[:cut]))
        before = _projected(partial, plan)
        assert before == _rebuilt(partial, plan), f"cut after line {cut}"
        assert [entry.key for entry in before] == [entry.key for entry in live]
        settled = _settled_by(partial)

        resumed, report = await _run(plan, partial, resume=True, seed=cut)
        where = f"resumed after line {cut}"
        assert [entry.key for entry in resumed] == [entry.key for entry in live], where
        assert report.verdict.failed == 0, where
        assert {entry.state for entry in resumed} == {ItemState.ONLINE}, where
        # What the cut journal settled comes back as it settled, attempts and all.
        for old, new in zip(before, resumed, strict=True):
            if old.key in settled:
                assert new == attrs.evolve(old, resumed=True), where
                assert new.attempts == next(e for e in live if e.key == old.key).attempts
        # The resume's report is the rebuild of the journal it leaves.
        assert resumed == _rebuilt(partial, plan) == _projected(partial, plan), where


@pytest.mark.timeout(240)
async def test_never_sent_items_are_not_started_everywhere_and_never_failed(
    tmp_path: Path,
) -> None:
    # Many items, few sent: the run is stopped once three are submitted, and twice more
    # on resume; two items fail their pre-flight (no such source tenant): the only failures.
    plan_path = write_plan(tmp_path / "plan.toml", 30, drill="concurrency = 2\nrate = 20.0")
    text = plan_path.read_text()
    for wrong in ("tsh004", "tsh009"):
        text = text.replace(f'source_tenant_id = "{wrong}"', 'source_tenant_id = "gone"', 1)
    plan_path.write_text(text)
    plan = load_plan(plan_path)
    journal = tmp_path / "j.jsonl"

    first = _StopAfter(3)
    entries, report = await _run(plan, journal, events=first)
    assert report.interrupted
    assert len(entries) == 30
    counts = Counter(outcome_of(entry) for entry in entries)
    failed = [entry for entry in entries if outcome_of(entry) is Outcome.FAILED]
    assert all(entry.state is ItemState.PREFLIGHT_FAILED for entry in failed), failed
    assert counts[Outcome.NOT_STARTED] >= 20
    assert report.verdict.failed == len(failed) <= 2
    for entry in entries:
        if entry.state is ItemState.NOT_STARTED:
            assert (entry.error or "").startswith("not started: stopped by"), entry
            assert not entry.attempts
            assert entry.submitted_at is None
    # The rebuild counts alike: never sent is not started, not unknown and not failed.
    rebuilt = report_from_journal(journal, plan=plan)
    try:
        assert list(rebuilt.entries()) == entries
        assert rebuilt.verdict.failed == report.verdict.failed
        assert rebuilt.counts == report.counts
        junit = io.BytesIO()
        write_junit(rebuilt, junit)
        suite = junit.getvalue().decode()
        assert f'skipped="{counts[Outcome.NOT_STARTED]}"' in suite
        assert f'failures="{len(failed)}"' in suite
    finally:
        rebuilt.close()
    # The live view never called a not-started item failed.
    items = [fields for kind, fields in first.events if kind == "item"]
    shown_failed = [f for f in items if f["state"] not in ("online", "not_started")]
    assert len(shown_failed) == len(failed)

    # Interrupted twice more (the second time at once: in flight is interrupted) ...
    await _run(plan, journal, resume=True, events=_StopAfter(3))
    await _run(plan, journal, resume=True, events=_StopAfter(1, abort=True))
    state = read_journal(journal)
    settled = state.settled()
    assert 0 < settled < 30
    # ... then the resume's live line starts at what the runs before it settled.
    stream = io.StringIO()
    line = LineProgress(stream, heartbeat=3600)
    final_entries, final = await _run(plan, journal, resume=True, events=line)
    first_line = stream.getvalue().splitlines()[0]
    assert f"{settled}/30 done" in first_line, first_line
    assert "30/30 done" in stream.getvalue().splitlines()[-1]
    assert not final.interrupted
    assert Counter(e.state for e in final_entries)[ItemState.NOT_STARTED] == 0
    assert final.verdict.failed == 2  # the two pre-flight refusals, nothing else
    assert final_entries == _rebuilt(journal, plan)


def _item(event: JournalEvent, **fields: Any) -> ItemRecord:
    return ItemRecord(event=event, key="ob-dr/a", **fields)


SUBMITTING = _item(JournalEvent.SUBMITTING, request_id="rid")
QUEUED_AT_THE_STOP = _item(
    JournalEvent.NOT_STARTED, state=ItemState.NOT_STARTED, error="not started: stopped"
)


@pytest.mark.parametrize(
    ("runs", "state", "resumed"),
    [
        # Its submitting was written, then the stop kept the request from leaving.
        ([[SUBMITTING, QUEUED_AT_THE_STOP]], ItemState.NOT_STARTED, False),
        ([[SUBMITTING, QUEUED_AT_THE_STOP], []], ItemState.NOT_STARTED, False),
        # Sent by the first run; the resume stopped before looking it up: it may exist.
        ([[SUBMITTING], [SUBMITTING, QUEUED_AT_THE_STOP]], ItemState.UNKNOWN, True),
        ([[SUBMITTING], []], ItemState.UNKNOWN, True),
        # Refused by a pre-flight of an earlier run, not checked again since.
        (
            [[_item(JournalEvent.PREFLIGHT_FAILED, state=ItemState.PREFLIGHT_FAILED)], []],
            ItemState.NOT_STARTED,
            False,
        ),
        (
            [[SUBMITTING, _item(JournalEvent.ONLINE, state=ItemState.ONLINE)], []],
            ItemState.ONLINE,
            True,
        ),
    ],
)
def test_what_an_items_events_come_to(
    runs: list[list[ItemRecord]], state: ItemState, resumed: bool
) -> None:
    context = RunContext(run_id="r", started_at=datetime(2026, 12, 1, tzinfo=UTC))
    journal = JournalState(path=None, run=RunRecord(run_id="r"), items={}, segment=-1)
    for records in runs:
        journal = journal.extended(records, stop_reason="stopped")
    (entry,) = project(journal, None, context)
    assert entry.state is state
    assert entry.resumed is resumed
    if state is ItemState.NOT_STARTED:
        assert entry.submitted_at is None
        assert outcome_of(entry) is Outcome.NOT_STARTED
