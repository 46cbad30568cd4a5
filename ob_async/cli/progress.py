"""How a running drill shows itself: a live display, log lines, or JSON events.

Three sinks of the drill's events, chosen by the command line:

- :class:`LiveProgress` (stderr is a terminal): a rich display of submitted /
  restoring / online / failed with elapsed time and an ETA.
- :class:`LineProgress` (not a terminal: cron, CI): one plain line per finished
  item and a heartbeat line every few seconds.
- :class:`JsonEvents` (``--json``): one JSON object per event on stdout.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from typing import Any, TextIO

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ob_async.batch.runner import ItemState
from ob_async.drill.report import OK_STATES

FAILED_STATES = frozenset(ItemState) - OK_STATES
"""The states the display counts as failed: every one but the report's ok states."""


class _Tally:
    """Counts the drill's items by where they are."""

    def __init__(self) -> None:
        self.total = 0
        self.started = time.monotonic()
        self.submitting: set[str] = set()
        self.restoring: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.done = 0

    def update(self, event: str, fields: dict[str, Any]) -> None:
        key = str(fields.get("key"))
        if event == "start":
            self.total = int(fields.get("items", 0))
        elif event == "submitting":
            self.submitting.add(key)
        elif event == "submitted":
            self.submitting.discard(key)
            if fields.get("outcome") in ("submitted", "adopted"):
                self.restoring.add(key)
        elif event == "item":
            self.submitting.discard(key)
            self.restoring.discard(key)
            self.done += 1
            state = str(fields.get("state"))
            self.counts["failed" if state in FAILED_STATES else state] += 1
            if fields.get("met_rto") is False:
                self.counts["rto_missed"] += 1

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def eta(self) -> float | None:
        if not self.done or not self.total or self.done >= self.total:
            return None
        return self.elapsed / self.done * (self.total - self.done)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class LiveProgress:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.tally = _Tally()
        self.stopping = ""
        self.live = Live(
            self._render(), console=self.console, refresh_per_second=4, transient=False
        )

    def __enter__(self) -> LiveProgress:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.update(self._render())
        self.live.__exit__(None, None, None)

    def note(self, message: str) -> None:
        self.stopping = message
        self.live.update(self._render())

    def emit(self, event: str, **fields: Any) -> None:
        if event == "note":
            self.console.print(Text(str(fields.get("message")), style="yellow"))
            return
        self.tally.update(event, fields)
        if event == "item" and fields.get("state") in FAILED_STATES:
            self.console.print(
                Text(
                    f"FAILED {fields.get('key')}: {fields.get('state')}: {fields.get('error')}",
                    style="red",
                )
            )
        self.live.update(self._render())

    def _render(self) -> Table:
        tally = self.tally
        table = Table.grid(padding=(0, 2))
        counts = tally.counts
        table.add_row(
            Text(f"{tally.done}/{tally.total or '?'} done", style="bold"),
            f"submitting {len(tally.submitting)}",
            f"restoring {len(tally.restoring)}",
            Text(f"online {counts['online']}", style="green"),
            Text(f"failed {counts['failed']}", style="red" if counts["failed"] else ""),
            f"RTO missed {counts['rto_missed']}",
            f"elapsed {_clock(tally.elapsed)}",
            f"ETA {_clock(tally.eta)}",
        )
        if self.stopping:
            table.add_row(Text(self.stopping, style="yellow"))
        return table


class LineProgress:
    """Plain lines for logs: each finished item, and a heartbeat."""

    def __init__(
        self, stream: TextIO | None = None, *, heartbeat: float = 10.0, verbose: bool = False
    ) -> None:
        self.stream = stream or sys.stderr
        self.tally = _Tally()
        self.heartbeat = heartbeat
        self.verbose = verbose
        self._last_beat = time.monotonic()

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def note(self, message: str) -> None:
        print(message, file=self.stream, flush=True)

    def emit(self, event: str, **fields: Any) -> None:
        if event == "note":
            self.note(str(fields.get("message")))
            return
        self.tally.update(event, fields)
        if event == "item" and (self.verbose or fields.get("state") in FAILED_STATES):
            detail = f": {fields['error']}" if fields.get("error") else ""
            recovery = fields.get("recovery")
            took = f" in {recovery:.1f}s" if isinstance(recovery, float) else ""
            print(
                f"{fields.get('key')} {fields.get('state')}{took}{detail}",
                file=self.stream,
                flush=True,
            )
        now = time.monotonic()
        if now - self._last_beat >= self.heartbeat or event in ("start", "finish"):
            self._last_beat = now
            counts = self.tally.counts
            print(
                f"[{_clock(self.tally.elapsed)}] {self.tally.done}/{self.tally.total} done: "
                f"online {counts['online']}, failed {counts['failed']}, "
                f"restoring {len(self.tally.restoring)}, ETA {_clock(self.tally.eta)}",
                file=self.stream,
                flush=True,
            )


class QuietProgress:
    """``-q``: nothing until the summary."""

    def __enter__(self) -> QuietProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def note(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    def emit(self, event: str, **fields: Any) -> None:
        return None


class JsonEvents:
    """``--json``: every event as one JSON line on stdout."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.lost = False
        """The reader went away (``| head``): later events are dropped, the drill goes on."""

    def __enter__(self) -> JsonEvents:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def note(self, message: str) -> None:
        self.emit("note", message=message)

    def emit(self, event: str, **fields: Any) -> None:
        if self.lost:
            return
        record = {"event": event, "t": time.time(), **fields}
        try:
            self.stream.write(json.dumps(record, default=str) + "\n")
            self.stream.flush()
        except BrokenPipeError:
            # The restores in flight matter more than their audience: keep running,
            # and let the command end as a cut pipe ends once the reports are written.
            self.lost = True
