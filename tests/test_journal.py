"""The journal: durable appends in groups, reading back after a crash, and failures
that are reported rather than lost (a failed write, a stopped writer, a close during
a write)."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pytest

from ob_async.batch._item import ItemState
from ob_async.drill._journal import Journal, read_journal
from ob_async.drill._journal_record import AttemptRecord, ItemRecord, JournalEvent, RunRecord
from ob_async.drill._rebuild import report_from_journal
from ob_async.errors import InvalidInputError, JournalWriteError


def submitting(key: str, request_id: str) -> ItemRecord:
    return ItemRecord(event=JournalEvent.SUBMITTING, key=key, request_id=request_id)


async def opened(path: Path) -> Journal:
    journal = Journal(path)
    await journal.open(RunRecord(run_id="r"), resume=False)
    return journal


async def test_events_are_on_disk_when_record_returns_and_fsyncs_are_grouped(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    await journal.open(RunRecord(run_id="r1"), resume=False)
    await asyncio.gather(*(journal.record(submitting(f"k{i}", f"id{i}")) for i in range(200)))
    lines = path.read_text().splitlines()  # read while still open: already durable
    assert len(lines) == 201
    assert journal.fsyncs < 50  # 201 events, a handful of group commits
    await journal.close()
    state = read_journal(path)
    assert state.run.run_id == "r1"
    assert state.items["k7"].request_id == "id7"
    assert state.items["k7"].was_sent
    assert state.items["k7"].final is None
    assert json.loads(lines[8]) == {
        "event": "submitting",
        "key": "k7",
        "t": json.loads(lines[8])["t"],
        "requestId": "id7",
    }


async def test_a_new_journal_never_overwrites_an_old_one(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text('{"event":"run","runId":"old"}\n')
    with pytest.raises(InvalidInputError, match="already exists; pass --resume"):
        await Journal(path).open(RunRecord(run_id="new"), resume=False)
    assert "old" in path.read_text()


def test_a_torn_last_line_is_ignored_and_a_damaged_one_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    events = [
        {"event": "run", "runId": "r"},
        {"event": "submitting", "key": "a", "requestId": "x"},
        {"event": "online", "key": "a", "tenantId": "t"},
    ]
    body = "".join(json.dumps(e) + "\n" for e in events)
    path.write_text(body + '{"event":"submitting","key":"b","req')  # crash mid-write
    state = read_journal(path)
    assert state.torn_lines == 1
    final = state.items["a"].final
    assert final is not None
    assert (final.event, final.tenant_id, final.line) == (JournalEvent.ONLINE, "t", 3)
    assert "b" not in state.items
    path.write_text(body.replace('"online"', '"onl') + json.dumps(events[1]) + "\n")
    with pytest.raises(InvalidInputError, match="line 3: is not valid JSON"):
        read_journal(path)


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ({"event": "submitting", "key": "a", "restoreTime": 5}, r"\$\.restoreTime: expected"),
        ({"event": "online", "key": "a", "state": "green"}, r"\$\.state: 'green' is not a valid"),
        ({"event": "exploded", "key": "a"}, r"\$\.event: 'exploded' is not a valid"),
    ],
)
def test_a_line_with_a_wrong_value_is_named_with_its_field(
    tmp_path: Path, line: dict[str, object], named: str
) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text(json.dumps({"event": "run", "runId": "r"}) + "\n" + json.dumps(line) + "\n")
    expected = rf"line 2: is not a readable journal event: {named}"
    with pytest.raises(InvalidInputError, match=expected):
        read_journal(path)


def test_unknown_and_interrupted_items_are_not_final(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    events = [
        {"event": "run", "runId": "r"},
        {"event": "submitting", "key": "a", "requestId": "x"},
        {"event": "unknown", "key": "a"},
        {"event": "submitting", "key": "b", "requestId": "y"},
        {"event": "interrupted", "key": "b"},
    ]
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    state = read_journal(path)
    assert state.items["a"].final is None
    assert state.items["b"].final is None
    assert state.items["a"].was_sent


async def test_a_full_disk_is_a_journal_write_error_not_bad_input() -> None:
    """/dev/full takes the open and refuses every write with ENOSPC, as a full disk."""
    journal = Journal(Path("/dev/full"))
    with pytest.raises(JournalWriteError, match="journal /dev/full: write failed: No space") as e:
        await journal.open(RunRecord(run_id="r"), resume=True)
    assert not isinstance(e.value, InvalidInputError)  # bad input means "nothing was sent"
    await journal.close()


async def test_an_unexpected_write_error_fails_its_group_and_the_writer_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = await opened(tmp_path / "j.jsonl")
    write = journal._write_and_sync
    failures = iter([ValueError("not an OSError")])

    def flaky(data: bytes) -> None:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        write(data)

    monkeypatch.setattr(journal, "_write_and_sync", flaky)
    with pytest.raises(JournalWriteError, match="write failed: ValueError"):
        await asyncio.wait_for(journal.record(submitting("a", "x")), 30)
    # The writer survived: the next event is written (before the fix it waited forever).
    await asyncio.wait_for(journal.record(submitting("b", "y")), 30)
    await journal.close()
    assert set(read_journal(journal.path).items) == {"b"}


async def test_close_waits_for_the_group_being_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = await opened(tmp_path / "j.jsonl")
    write = journal._write_and_sync
    started, release = threading.Event(), threading.Event()

    def slow(data: bytes) -> None:
        started.set()
        release.wait(30)
        write(data)

    monkeypatch.setattr(journal, "_write_and_sync", slow)
    journal.note(submitting("a", "x"))
    await asyncio.to_thread(started.wait, 30)  # the writer took the group: none pending
    closing = asyncio.create_task(journal.close())
    await asyncio.sleep(0.05)
    release.set()
    await asyncio.wait_for(closing, 30)
    assert read_journal(journal.path).items["a"].request_id == "x"


async def test_a_stopped_writer_fails_every_later_event_instead_of_hanging(
    tmp_path: Path,
) -> None:
    journal = await opened(tmp_path / "j.jsonl")
    assert journal._writer is not None
    journal._writer.cancel()
    await asyncio.gather(journal._writer, return_exceptions=True)
    with pytest.raises(JournalWriteError, match="the journal writer stopped"):
        await asyncio.wait_for(journal.record(submitting("a", "x")), 30)
    await journal.close()


OLD_JOURNAL = [
    # As the journal was written before attempts, first-request times and stop reasons
    # were recorded: it still reads, and projects to what it holds.
    {
        "event": "run",
        "t": "2026-11-01T10:00:00+00:00",
        "runId": "old-run",
        "startedAt": "2026-11-01T10:00:00+00:00",
        "plan": "p.toml",
        "drill": "d",
        "items": 3,
    },
    {
        "event": "submitting",
        "key": "ob-dr/a",
        "t": "2026-11-01T10:00:01+00:00",
        "requestId": "rid-a",
        "restoreTime": "2026-11-01T09:00:00+00:00",
        "reconcile": False,
    },
    {
        "event": "submitted",
        "key": "ob-dr/a",
        "t": "2026-11-01T10:00:02+00:00",
        "requestId": "rid-a",
        "outcome": "submitted",
        "attempts": 2,
        "tenantId": "t-a",
    },
    {
        "event": "online",
        "key": "ob-dr/a",
        "t": "2026-11-01T10:01:00+00:00",
        "state": "online",
        "tenantId": "t-a",
        "recoverySeconds": 59.0,
        "recoveryLowerSeconds": 50.0,
    },
    {
        "event": "submitting",
        "key": "ob-dr/b",
        "t": "2026-11-01T10:00:01+00:00",
        "requestId": "rid-b",
        "restoreTime": "2026-11-01T09:00:00+00:00",
    },
]


def test_a_journal_written_before_the_new_fields_still_reads_and_projects(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in OLD_JOURNAL))
    report = report_from_journal(path)
    try:
        entries = {entry.key: entry for entry in report.entries()}
    finally:
        report.close()
    assert entries["ob-dr/a"].state is ItemState.ONLINE
    assert entries["ob-dr/a"].attempts == ()  # not recorded then; nothing is made up
    assert entries["ob-dr/a"].recovery_seconds == 59.0
    assert entries["ob-dr/a"].submitted_at == datetime(2026, 11, 1, 10, 0, 1, tzinfo=UTC)
    assert entries["ob-dr/b"].state is ItemState.UNKNOWN  # sent, never settled
    assert report.interrupted


async def test_attempts_and_the_stop_reason_are_journaled_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = await opened(path)
    attempt = AttemptRecord(
        number=1,
        started_at=datetime(2026, 11, 1, 10, 0, 1, tzinfo=UTC),
        result="ServerError",
        status=503,
        wait_after=0.5,
    )
    await journal.record(
        ItemRecord(
            event=JournalEvent.FAILED,
            key="k",
            state=ItemState.SUBMIT_FAILED,
            submit_attempts=(attempt, attrs.evolve(attempt, number=2)),
        )
    )
    await journal.stopped("the drill was interrupted")
    await journal.close()
    state = read_journal(path)
    final = state.items["k"].final
    assert final is not None
    assert final.submit_attempts == (attempt, attrs.evolve(attempt, number=2))
    assert state.stop_reason == "the drill was interrupted"
    assert '"waitAfter":0.5' in path.read_text()  # the journal's camelCase, as every line
