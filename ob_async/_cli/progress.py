"""How a running drill shows itself: a live display, log lines, or JSON events.

Three sinks of the drill's events, chosen by the command line:

- :class:`LiveProgress` (stderr is a terminal): one live line of done /
  submitting / restoring / online / failed with elapsed time and an ETA, fitted
  to the terminal's width and ticking between events; failures and log lines
  are printed above it.
- :class:`LineProgress` (not a terminal: cron, CI): one plain line per finished
  item and a heartbeat line every few seconds.
- :class:`JsonEvents` (``--json``): one JSON object per event on stdout, its
  keys camelCase and its times ISO-8601, as in the journal and the report
  (the schema is in docs/drills.md, "JSON events").
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

import attrs
from rich.console import Console, ConsoleOptions, RenderResult
from rich.live import Live
from rich.text import Text

from ob_async._restore.submit import SubmissionOutcome
from ob_async.batch._item import ItemState
from ob_async.drill._report import OK_STATES, SKIPPED_STATES

FAILED_STATES = frozenset(ItemState) - OK_STATES - SKIPPED_STATES
"""The states the display counts as failed: every one but the report's ok states and
those of items that did not run (``not_started``: nothing was sent, so nothing failed)."""


_RESTORING_OUTCOMES = frozenset({SubmissionOutcome.SUBMITTED, SubmissionOutcome.ADOPTED})
"""Submissions after which the restore is under way."""


class _Tally:
    """Counts the drill's items by where they are."""

    def __init__(self, total: int = 0) -> None:
        self.total = total
        self.started = time.monotonic()
        self.submitting: set[str] = set()
        self.restoring: set[str] = set()
        self.counts: Counter[str] = Counter()
        self.done = 0
        self.resumed = 0
        """Items the run being resumed settled (done before this run began)."""

    def update(self, event: str, fields: dict[str, Any]) -> None:
        key = str(fields.get("key"))
        if event == "start":
            self.total = int(fields.get("items", 0))
            # A resume starts where the run it continues left off: its settled items
            # are done, and no event of this run will count them.
            self.done = self.resumed = int(fields.get("settled") or 0)
        elif event == "submitting":
            self.submitting.add(key)
        elif event == "submitted":
            self.submitting.discard(key)
            if fields.get("outcome") in _RESTORING_OUTCOMES:
                self.restoring.add(key)
        elif event == "item":
            self.submitting.discard(key)
            self.restoring.discard(key)
            state = str(fields.get("state"))
            if state in SKIPPED_STATES:  # never sent: not done, and not failed either
                self.counts[state] += 1
                return
            self.done += 1
            self.counts["failed" if state in FAILED_STATES else state] += 1
            if fields.get("metRto") is False:
                self.counts["rto_missed"] += 1

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def eta(self) -> float | None:
        finished = self.done - self.resumed  # the pace of this run
        if finished <= 0 or not self.total or self.done >= self.total:
            return None
        return self.elapsed / finished * (self.total - self.done)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@attrs.frozen
class Field:
    """One field of the status line: its full and its abbreviated form."""

    full: str
    short: str
    rank: int
    """Importance: 0 is never dropped; the highest rank is abbreviated, then dropped, first."""
    style: str = ""


_GAP = "  "


def fit_fields(fields: Sequence[Field], width: int) -> list[tuple[str, str]]:
    """The fields' texts (and styles), in their order, abbreviated or dropped to fit ``width``.

    The least important fields are abbreviated first; if the line is still too
    wide, the least important fields are dropped, until it fits. Rank 0 stays.
    """
    texts = [field.full for field in fields]
    shown = set(range(len(fields)))

    def length() -> int:
        return sum(len(texts[i]) for i in shown) + len(_GAP) * max(len(shown) - 1, 0)

    by_rank = sorted(range(len(fields)), key=lambda i: fields[i].rank, reverse=True)
    for index in by_rank:
        if length() <= width:
            break
        texts[index] = fields[index].short
    for index in by_rank:
        if length() <= width:
            break
        if fields[index].rank > 0:
            shown.discard(index)
    return [(texts[i], fields[i].style) for i in range(len(fields)) if i in shown]


class StatusLine:
    """The live status as one line, laid out anew for the width at each refresh.

    Rendered when rich refreshes, not when an event arrives, so the clock ticks
    between events (with a 30 s poll interval, too).
    """

    def __init__(self, tally: _Tally) -> None:
        self.tally = tally
        self.stopping = False

    def fields(self) -> list[Field]:
        tally = self.tally
        counts = tally.counts
        total = str(tally.total) if tally.total else "?"
        fields = [
            Field(f"{tally.done}/{total} done", f"{tally.done}/{total}", 0, "bold"),
            Field(f"submitting {len(tally.submitting)}", f"sub {len(tally.submitting)}", 7),
            Field(f"restoring {len(tally.restoring)}", f"rest {len(tally.restoring)}", 5),
            Field(f"online {counts['online']}", f"ok {counts['online']}", 3, "green"),
            Field(
                f"failed {counts['failed']}",
                f"fail {counts['failed']}",
                2,
                "red" if counts["failed"] else "",
            ),
        ]
        not_started = counts[ItemState.NOT_STARTED.value]
        if not_started:
            fields.append(Field(f"not started {not_started}", f"unsent {not_started}", 6))
        if counts["rto_missed"]:
            missed = counts["rto_missed"]
            fields.append(Field(f"RTO missed {missed}", f"late {missed}", 6, "yellow"))
        fields.append(Field(f"elapsed {_clock(tally.elapsed)}", _clock(tally.elapsed), 4))
        eta = f"ETA {_clock(tally.eta)}"
        fields.append(Field(eta, eta, 8))  # nothing shorter says ETA: dropped first instead
        if self.stopping:
            fields.append(Field("STOPPING", "STOP", 1, "bold yellow"))
        return fields

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # One column short of the width: a line that ends in the last column makes
        # some terminals wrap before the next redraw.
        width = max(options.max_width - 1, 1)
        line = Text(no_wrap=True, overflow="ellipsis")
        for number, (text, style) in enumerate(fit_fields(self.fields(), width)):
            if number:
                line.append(_GAP)
            line.append(text, style=style)
        line.truncate(width, overflow="ellipsis")
        yield line


class LiveProgress:
    """A one-line live status on a terminal; failures and log lines printed above it.

    rich's Live redraws the line ``REFRESHES_PER_SECOND`` times a second from its
    own thread, and, while it runs, stands in for stdout and stderr, so that
    anything printed (log records included, see ``configure_logging``) appears
    above the live line instead of inside it.
    """

    REFRESHES_PER_SECOND = 4

    def __init__(self, console: Console | None = None, *, total: int = 0) -> None:
        self.console = console or Console(stderr=True)
        self.tally = _Tally(total)
        self.status = StatusLine(self.tally)
        self.live = Live(
            self.status,
            console=self.console,
            refresh_per_second=self.REFRESHES_PER_SECOND,
            transient=False,
        )

    def __enter__(self) -> LiveProgress:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.refresh()
        self.live.__exit__(None, None, None)

    def note(self, message: str) -> None:
        if message.startswith("stopping"):
            self.status.stopping = True
        self.console.print(Text(message, style="yellow"))
        self.live.refresh()

    def emit(self, event: str, **fields: Any) -> None:
        if event == "note":
            self.note(str(fields.get("message")))
            return
        self.tally.update(event, fields)
        if event == "item" and fields.get("state") in FAILED_STATES:
            self.console.print(
                Text(
                    f"FAILED {fields.get('key')}: {fields.get('state')}: {fields.get('error')}",
                    style="red",
                )
            )
        self.live.refresh()


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
            recovery = fields.get("recoverySeconds")
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
                + (
                    f"not started {counts[ItemState.NOT_STARTED.value]}, "
                    if counts[ItemState.NOT_STARTED.value]
                    else ""
                )
                + f"restoring {len(self.tally.restoring)}, ETA {_clock(self.tally.eta)}",
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
        record = {"event": event, "t": datetime.now(UTC).isoformat(), **fields}
        try:
            self.stream.write(json.dumps(record, default=str) + "\n")
            self.stream.flush()
        except BrokenPipeError:
            # The restores in flight matter more than their audience: keep running,
            # and let the command end as a cut pipe ends once the reports are written.
            self.lost = True
