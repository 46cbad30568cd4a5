"""The drill's progress sinks render what happened (checked on captured output)."""

from __future__ import annotations

import io
import json

from rich.console import Console

from ob_async.cli.progress import JsonEvents, LineProgress, LiveProgress


def feed(sink: LiveProgress | LineProgress | JsonEvents) -> None:
    sink.emit("start", drill="d", run="r", items=3)
    for key in ("a", "b", "c"):
        sink.emit("submitting", key=key)
    sink.emit("submitted", key="a", outcome="submitted")
    sink.emit("submitted", key="b", outcome="adopted")
    sink.emit("submitted", key="c", outcome="failed")
    sink.emit("item", key="c", state="submit_failed", error="refused: no such zone")
    sink.emit("item", key="a", state="online", recovery=4.2, met_rto=True)
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


def test_json_events_are_one_object_per_line() -> None:
    out = io.StringIO()
    feed(JsonEvents(out))
    events = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [e["event"] for e in events][:2] == ["start", "submitting"]
    assert events[-1] == {**events[-1], "event": "note", "message": "stopping: no new restores"}
