"""The drill journal: an append-only JSON-lines file, fsynced at every state change.

Each line is one event of one item (``submitting`` with its requestId,
``submitted``, ``seen``, ``online``, ``failed``, ``cleaned``, ...), after a first
``run`` line that names the run and the plan it belongs to; the records and
their events are typed in :mod:`ob_async.drill._journal_record`.

Writes go through one writer task that groups whatever events are pending into
a single ``write`` + ``fsync`` (group commit), so that thousands of concurrent
items cost a few fsyncs per second rather than one each; :meth:`Journal.record`
returns only once its event is on disk. ``submitting`` is recorded, and
awaited, before an item's first request is sent: after a crash, an item with
no ``submitting`` line was never sent, and one without a final line is
reconciled before anything is sent again.

:func:`read_journal` reads a journal back: every event of each item, in order,
each knowing which run of the drill wrote it (the first, or which resume); a
torn last line (the crash came mid-write) is ignored, any other damage is an
error naming the line. What the events come to (each item's report entry) is
:mod:`ob_async.drill._projection`'s to say.

A failed write fails the events of its group with :class:`JournalWriteError`
and the writer goes on; :meth:`Journal.close` lets the group being written
finish before the file is closed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import attrs

from ob_async._clock import SYSTEM_CLOCK, Clock
from ob_async.drill._journal_record import (
    FINAL_EVENTS,
    ItemRecord,
    JournalEvent,
    Record,
    RunRecord,
    parse_record,
    record_line,
)
from ob_async.drill._plan.item import RunContext
from ob_async.errors import InvalidInputError, JournalWriteError

logger = logging.getLogger("ob_async.drill")


@attrs.define
class ItemJournal:
    """What the journal knows of one item."""

    key: str
    request_id: str | None = None
    events: list[ItemRecord] = attrs.field(factory=list)

    def has(self, event: JournalEvent) -> bool:
        return any(entry.event is event for entry in self.events)

    def last(self, event: JournalEvent) -> ItemRecord | None:
        return next((entry for entry in reversed(self.events) if entry.event is event), None)

    @property
    def was_sent(self) -> bool:
        """A request for this item may have been sent."""
        return self.has(JournalEvent.SUBMITTING)

    @property
    def final(self) -> ItemRecord | None:
        """The event that settled the item, if any (a later interruption does not count)."""
        return next((e for e in reversed(self.events) if e.event in FINAL_EVENTS), None)


@attrs.frozen
class JournalState:
    path: Path | None
    """None: a dry run's records, held in memory."""
    run: RunRecord
    items: dict[str, ItemJournal]
    torn_lines: int = 0
    finished_at: datetime | None = None
    """When the run (or its last resume) last recorded its end (journals before the
    ``finished`` line, and runs that crashed, have none)."""
    segment: int = 0
    """The last run of the drill the journal records: 0 the first, 1 its first resume, ..."""
    stop_reason: str | None = None
    """Why that run stopped before taking every item (its ``stopped`` line), if it did."""

    @property
    def ended_at(self) -> datetime | None:
        """The run's end: its ``finished`` line, or the last event it recorded (a crash)."""
        moments = [event.t for item in self.items.values() for event in item.events if event.t]
        if self.finished_at is not None:
            moments.append(self.finished_at)
        return max(moments, default=None)

    def run_context(self) -> RunContext:
        """The identity of the run the journal records (its requestIds, its seed);
        InvalidInputError if its run line lacks it."""
        run = self.run
        if run.run_id is None or run.started_at is None:
            raise InvalidInputError("has a damaged 'run' line", where=f"journal {self.path}")
        return RunContext(run_id=run.run_id, started_at=run.started_at, seed=run.seed)

    def settled(self) -> int:
        """How many items an earlier run settled (a resume reports them, runs them no more)."""
        return sum(item.final is not None for item in self.items.values())

    def extended(
        self, records: list[ItemRecord], *, stop_reason: str | None = None
    ) -> JournalState:
        """This journal, followed by the records of one more run (a dry run's, in memory)."""
        segment = self.segment + 1
        items = {
            key: attrs.evolve(item, events=list(item.events)) for key, item in self.items.items()
        }
        for record in records:
            _add(items, attrs.evolve(record, segment=segment))
        return JournalState(
            path=None, run=self.run, items=items, segment=segment, stop_reason=stop_reason
        )


def _add(items: dict[str, ItemJournal], record: ItemRecord) -> None:
    item = items.get(record.key)
    if item is None:
        item = items[record.key] = ItemJournal(record.key)
    if record.request_id is not None:
        item.request_id = record.request_id
    item.events.append(record)


class Journal:
    """Appends events to a journal file with group-committed fsyncs."""

    def __init__(self, path: Path, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.path = path
        self._clock = clock
        self._pending: list[tuple[bytes, asyncio.Future[None]]] = []
        self._wakeup: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None
        self._writing: asyncio.Future[None] | None = None
        """The group write running in a thread, which the fd must outlive."""
        self._closing = False
        self._broken: JournalWriteError | None = None
        self._fd: int | None = None
        self.fsyncs = 0
        self.events = 0

    async def open(self, run: RunRecord, *, resume: bool) -> None:
        """Open for appending; a new journal starts with the ``run`` line."""
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        if not resume:
            flags |= os.O_EXCL
        try:
            self._fd = os.open(self.path, flags, 0o600)
        except FileExistsError:
            raise InvalidInputError(
                "already exists; pass --resume to continue that run, or choose another file",
                where=f"journal {self.path}",
            ) from None
        except OSError as error:
            raise InvalidInputError(
                f"cannot open: {error.strerror}", where=f"journal {self.path}"
            ) from None
        self._wakeup = asyncio.Event()
        self._writer = asyncio.create_task(self._write_loop(), name="ob-async journal")
        self._writer.add_done_callback(self._writer_ended)
        event = JournalEvent.RESUMED if resume else JournalEvent.RUN
        await self._commit(attrs.evolve(run, event=event, t=self._clock.now()))

    async def stopped(self, reason: str) -> None:
        """Record that the run stopped before taking every item, and why."""
        await self._commit(
            RunRecord(event=JournalEvent.STOPPED, t=self._clock.now(), reason=reason)
        )

    async def finish(self) -> None:
        """Record that the run ends now (before :meth:`close`)."""
        await self._commit(RunRecord(event=JournalEvent.FINISHED, t=self._clock.now()))

    async def record(self, record: ItemRecord) -> None:
        """Append one event and return once it is on disk."""
        await asyncio.shield(self._enqueue(attrs.evolve(record, t=self._clock.now())))

    def note(self, record: ItemRecord) -> None:
        """Append one event without waiting for the disk (it is committed with the next group)."""
        self._enqueue(attrs.evolve(record, t=self._clock.now())).add_done_callback(_log_failure)

    async def _commit(self, record: Record) -> None:
        await asyncio.shield(self._enqueue(record))

    def _enqueue(self, record: Record) -> asyncio.Future[None]:
        if self._wakeup is None or self._closing:
            raise RuntimeError("journal is not open")
        if self._broken is not None:
            raise self._broken
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((record_line(record), future))
        self._wakeup.set()
        self.events += 1
        return future

    async def _write_loop(self) -> None:
        assert self._wakeup is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            batch, self._pending = self._pending, []
            if batch:
                await self._write_group(batch)
            if self._closing and not self._pending:
                return

    async def _write_group(self, batch: list[tuple[bytes, asyncio.Future[None]]]) -> None:
        data = b"".join(line for line, _ in batch)
        self._writing = asyncio.ensure_future(asyncio.to_thread(self._write_and_sync, data))
        try:
            await asyncio.shield(self._writing)
        except asyncio.CancelledError:
            _fail(batch, JournalWriteError("the journal writer was cancelled", path=self.path))
            raise
        except Exception as error:  # any failure fails this group, never the writer
            reason = error.strerror if isinstance(error, OSError) else repr(error)
            _fail(batch, JournalWriteError(f"write failed: {reason}", path=self.path))
            return
        for _, future in batch:
            if not future.done():
                future.set_result(None)

    def _writer_ended(self, writer: asyncio.Task[None]) -> None:
        """Whatever ended the writer, no event waits forever for it."""
        if writer.cancelled() or writer.exception() is not None:
            self._broken = JournalWriteError("the journal writer stopped", path=self.path)
            pending, self._pending = self._pending, []
            _fail(pending, self._broken)

    def _write_and_sync(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fsync(self._fd)
        self.fsyncs += 1

    async def close(self) -> None:
        """Commit what is pending and the group being written, then close the file."""
        if self._writer is None or self._wakeup is None:
            return
        self._closing = True
        self._wakeup.set()
        await asyncio.gather(self._writer, return_exceptions=True)
        if self._writing is not None:
            await asyncio.gather(self._writing, return_exceptions=True)
        self._writer = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _log_failure(future: asyncio.Future[None]) -> None:
    """No one awaits a noted event: its failure is logged (the next record fails too)."""
    if not future.cancelled() and future.exception() is not None:
        logger.warning("a journal event was not written: %s", future.exception())


def _fail(batch: list[tuple[bytes, asyncio.Future[None]]], error: JournalWriteError) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(error)


def read_journal(path: Path) -> JournalState:
    """Every event of each item of the journal ``path``, in order."""
    run: RunRecord | None = None
    finished_at: datetime | None = None
    items: dict[str, ItemJournal] = {}
    torn = segment = 0
    stop_reason: str | None = None
    for number, line, last in _lines(path):
        where = f"journal {path}, line {number}"
        try:
            entry = json.loads(line)
        except ValueError:
            if last:
                torn += 1  # the crash came mid-write: that event never happened
                continue
            raise InvalidInputError(
                "is not valid JSON; the journal is damaged", where=where
            ) from None
        if not isinstance(entry, dict) or "event" not in entry:
            raise InvalidInputError("is not a journal event", where=where)
        if entry["event"] == JournalEvent.RUN:
            run = parse_record(RunRecord, entry, where)
            continue
        if entry["event"] == JournalEvent.RESUMED:
            segment, stop_reason = segment + 1, None
            continue
        if entry["event"] == JournalEvent.STOPPED:
            stop_reason = parse_record(RunRecord, entry, where).reason
            continue
        if entry["event"] == JournalEvent.FINISHED:
            finished_at = parse_record(RunRecord, entry, where).t
            continue
        if entry.get("key") is None:
            continue
        record = parse_record(ItemRecord, entry, where)
        _add(items, attrs.evolve(record, line=number, segment=segment))
    if run is None:
        raise InvalidInputError(
            "has no 'run' line; not an ob-async journal", where=f"journal {path}"
        )
    return JournalState(
        path=path,
        run=run,
        items=items,
        torn_lines=torn,
        finished_at=finished_at,
        segment=segment,
        stop_reason=stop_reason,
    )


def _lines(path: Path) -> Iterator[tuple[int, bytes, bool]]:
    """The journal's lines, numbered, each saying whether it is the last one that holds
    anything: read one at a time, so that a long journal is never in memory whole."""
    try:
        with path.open("rb") as handle:
            pending: tuple[int, bytes] | None = None
            for number, line in enumerate(handle, start=1):
                if pending is not None and line.strip():
                    yield (*pending, False)
                    pending = None
                if line.strip():
                    pending = (number, line)
            if pending is not None:
                yield (*pending, True)
    except OSError as error:
        raise InvalidInputError(f"cannot read: {error.strerror}", where=f"journal {path}") from None
