"""The drill's progress sinks render what happened (checked on captured output)."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from rich.console import Console

from ob_async._cli import main
from ob_async._cli.progress import JsonEvents, LineProgress, LiveProgress


def feed(sink: LiveProgress | LineProgress | JsonEvents) -> None:
    sink.emit("start", drill="d", runId="r", items=3)
    for key in ("a", "b", "c"):
        sink.emit("submitting", key=key)
    sink.emit("submitted", key="a", outcome="submitted")
    sink.emit("submitted", key="b", outcome="adopted")
    sink.emit("submitted", key="c", outcome="failed")
    sink.emit("item", key="c", state="submit_failed", error="refused: no such zone")
    sink.emit("item", key="a", state="online", recoverySeconds=4.2, metRto=True)
    sink.note("stopping: no new restores")


def test_live_display_on_a_terminal() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160, color_system=None)
    with LiveProgress(console) as live:
        feed(live)
        assert live.tally.done == 2
        assert live.tally.restoring == {"b"}
        assert not live.tally.submitting
    text = out.getvalue()
    assert "2/3 done" in text
    assert "online 1" in text
    assert "failed 1" in text
    assert "restoring 1" in text
    assert "FAILED c: submit_failed: refused: no such zone" in text
    assert "stopping: no new restores" in text


def test_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    with LineProgress(out, heartbeat=0.0) as lines:
        feed(lines)
    text = out.getvalue()
    assert "c submit_failed: refused: no such zone" in text
    assert "a online" not in text  # only failures, unless verbose
    assert "2/3 done: online 1, failed 1, restoring 1" in text


def test_a_resume_starts_at_the_settled_count_and_never_sent_is_not_failed() -> None:
    # 170 of 200 settled by the runs before; of the 30 left, one ends, one fails, and
    # the run stops before sending the next: not started, neither done nor failed.
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160, color_system=None)
    with LiveProgress(console, total=200) as live:
        live.emit("start", drill="d", runId="r", items=200, settled=170)
        assert "170/200 done" in live.status.fields()[0].full
        live.emit("item", key="a", state="online", recoverySeconds=1.0, metRto=True)
        live.emit("item", key="b", state="restore_failed", error="the restore failed")
        live.emit("item", key="c", state="not_started", error="not started: stopped")
        texts = [field.full for field in live.status.fields()]
    assert texts[0] == "172/200 done"
    assert "failed 1" in texts
    assert "not started 1" in texts
    text = out.getvalue()
    assert "FAILED b: restore_failed" in text
    assert "FAILED c" not in text
    assert "not_started" not in text


def test_json_events_are_one_object_per_line() -> None:
    out = io.StringIO()
    feed(JsonEvents(out))
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["event"] for e in events][:2] == ["start", "submitting"]
    assert events[-1] == {**events[-1], "event": "note", "message": "stopping: no new restores"}


CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")


def keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def test_drill_json_events_use_camel_case_and_iso_times(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = Path(__file__).resolve().parents[1] / "examples" / "weekly-drill.toml"
    journal, report = tmp_path / "j.jsonl", tmp_path / "report.json"
    argv = ["drill", str(plan), "--simulate", "--json", "--journal", str(journal)]
    assert main([*argv, "--report-json", str(report)]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    kinds = [event["event"] for event in events]
    assert kinds[0] == "start"
    assert kinds[-2:] == ["finish", "summary"]
    assert {"submitting", "submitted", "item"} <= set(kinds)
    for event in events:
        assert datetime.fromisoformat(event["t"]).tzinfo is not None, event
        by_state = event.get("byState", {})
        assert {key for key in keys(event) if key not in by_state and not CAMEL.match(key)} == set()
    start = events[0]
    assert set(start) == {"event", "t", "drill", "runId", "items", "settled"}
    assert start["settled"] == 0  # a fresh run: nothing settled before it
    item = next(event for event in events if event["event"] == "item")
    assert {"key", "state", "recoverySeconds", "metRto", "error"} <= set(item)
    summary = events[-1]
    assert {"items", "ok", "failed", "rtoMissed", "byState", "recoverySeconds"} <= set(summary)
    # The journal speaks the same language.
    for line in journal.read_text().splitlines():
        record = json.loads(line)
        assert datetime.fromisoformat(record["t"]).tzinfo is not None
        assert {key for key in keys(record) if not CAMEL.match(key)} == set(), record
    # ... and so does the report.
    document = json.loads(report.read_text())
    by_state = set(document["summary"]["byState"])
    assert {key for key in keys(document) if key not in by_state and not CAMEL.match(key)} == set()
    for moment in (document["startedAt"], document["items"][0]["submittedAt"]):
        assert datetime.fromisoformat(moment).tzinfo is not None
