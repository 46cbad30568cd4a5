"""The journal: durable appends in groups, and reading back after a crash."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from ob_async.drill.journal import Journal, read_journal
from ob_async.errors import InvalidInputError


async def test_events_are_on_disk_when_record_returns_and_fsyncs_are_grouped(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    await journal.open({"runId": "r1"}, resume=False)
    await asyncio.gather(
        *(journal.record("submitting", f"k{i}", requestId=f"id{i}") for i in range(200))
    )
    lines = path.read_text().splitlines()  # read while still open: already durable
    assert len(lines) == 201
    assert journal.fsyncs < 50  # 201 events, a handful of group commits
    await journal.close()
    state = read_journal(path)
    assert state.run["runId"] == "r1"
    assert state.items["k7"].request_id == "id7"
    assert state.items["k7"].was_sent
    assert state.items["k7"].final is None


async def test_a_new_journal_never_overwrites_an_old_one(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text('{"event":"run","runId":"old"}\n')
    with pytest.raises(InvalidInputError, match="already exists; pass --resume"):
        await Journal(path).open({"runId": "new"}, resume=False)
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
    assert state.items["a"].final == events[2]
    assert "b" not in state.items
    path.write_text(body.replace('"online"', '"onl') + json.dumps(events[1]) + "\n")
    with pytest.raises(InvalidInputError, match="line 3: is not valid JSON"):
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
