"""The drill journal: an append-only JSON-lines file, fsynced at every state change.

Each line is one event of one item (``planned``, ``submitting`` with its
requestId, ``submitted``, ``seen``, ``online``, ``failed``, ``cleaned``, ...),
after a first ``run`` line that names the run and the plan it belongs to.

Writes go through one writer task that groups whatever events are pending into
a single ``write`` + ``fsync`` (group commit), so that thousands of concurrent
items cost a few fsyncs per second rather than one each; :meth:`Journal.record`
returns only once its event is on disk. ``submitting`` is recorded, and
awaited, before an item's first request is sent: after a crash, an item with
no ``submitting`` line was never sent, and one without a final line is
reconciled before anything is sent again.

:func:`read_journal` folds a journal back into the last known state of each
item; a torn last line (the crash came mid-write) is ignored.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from ob_async.clock import SYSTEM_CLOCK, Clock
from ob_async.errors import InvalidInputError

JOURNAL_VERSION = 1

FINAL_EVENTS = frozenset({"online", "failed", "submitted_only"})
"""Events after which an item needs nothing more (clean-up aside). ``unknown`` and
``interrupted`` are not final: a resume reconciles those items."""


@attrs.define
class ItemJournal:
    """What the journal knows of one item."""

    key: str
    request_id: str | None = None
    events: list[dict[str, Any]] = attrs.field(factory=list)

    @property
    def last_event(self) -> str | None:
        return self.events[-1]["event"] if self.events else None

    def has(self, event: str) -> bool:
        return any(entry["event"] == event for entry in self.events)

    def last(self, event: str) -> dict[str, Any] | None:
        return next((entry for entry in reversed(self.events) if entry["event"] == event), None)

    @property
    def was_sent(self) -> bool:
        """A request for this item may have been sent."""
        return self.has("submitting")

    @property
    def final(self) -> dict[str, Any] | None:
        """The event that settled the item, if any (a later interruption does not count)."""
        return next(
            (e for e in reversed(self.events) if e["event"] in FINAL_EVENTS),
            None,
        )


@attrs.frozen
class JournalState:
    run: dict[str, Any]
    items: dict[str, ItemJournal]
    torn_lines: int


class Journal:
    """Appends events to a journal file with group-committed fsyncs."""

    def __init__(self, path: Path, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.path = path
        self._clock = clock
        self._pending: list[tuple[bytes, asyncio.Future[None]]] = []
        self._wakeup: asyncio.Event | None = None
        self._writer: asyncio.Task[None] | None = None
        self._fd: int | None = None
        self.fsyncs = 0
        self.events = 0

    async def open(self, run: Mapping[str, Any], *, resume: bool) -> None:
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
        await self.record("run" if not resume else "resumed", **run)

    async def record(self, event: str, key: str | None = None, **fields: Any) -> None:
        """Append one event and return once it is on disk."""
        future = self._enqueue(event, key, fields)
        await asyncio.shield(future)

    def note(self, event: str, key: str | None = None, **fields: Any) -> None:
        """Append one event without waiting for the disk (it is committed with the next group)."""
        self._enqueue(event, key, fields)

    def _enqueue(self, event: str, key: str | None, fields: dict[str, Any]) -> asyncio.Future[None]:
        if self._wakeup is None:
            raise RuntimeError("journal is not open")
        entry: dict[str, Any] = {"t": self._clock.now().isoformat(), "event": event}
        if key is not None:
            entry["key"] = key
        entry.update(fields)
        line = json.dumps(entry, separators=(",", ":"), default=str).encode() + b"\n"
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((line, future))
        self._wakeup.set()
        self.events += 1
        return future

    async def _write_loop(self) -> None:
        assert self._wakeup is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            batch, self._pending = self._pending, []
            if not batch:
                continue
            data = b"".join(line for line, _ in batch)
            try:
                await asyncio.to_thread(self._write_and_sync, data)
            except OSError as error:
                failure = InvalidInputError(
                    f"write failed: {error.strerror}", where=f"journal {self.path}"
                )
                for _, future in batch:
                    if not future.done():
                        future.set_exception(failure)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    def _write_and_sync(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fsync(self._fd)
        self.fsyncs += 1

    async def close(self) -> None:
        """Commit what is pending, then close the file."""
        if self._writer is None:
            return
        if self._pending:
            await asyncio.gather(*(future for _, future in self._pending), return_exceptions=True)
        self._writer.cancel()
        await asyncio.gather(self._writer, return_exceptions=True)
        self._writer = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read_journal(path: Path) -> JournalState:
    """Fold a journal into the last known state of each item."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InvalidInputError(f"cannot read: {error.strerror}", where=f"journal {path}") from None
    run: dict[str, Any] = {}
    items: dict[str, ItemJournal] = {}
    torn = 0
    lines = raw.split(b"\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            if number == len(lines) or (number == len(lines) - 1 and not lines[-1]):
                torn += 1  # the crash came mid-write: that event never happened
                continue
            raise InvalidInputError(
                "is not valid JSON; the journal is damaged", where=f"journal {path}, line {number}"
            ) from None
        if not isinstance(entry, dict) or "event" not in entry:
            raise InvalidInputError(
                "is not a journal event", where=f"journal {path}, line {number}"
            )
        if entry["event"] == "run":
            run = entry
            continue
        key = entry.get("key")
        if key is None:
            continue
        item = items.get(key)
        if item is None:
            item = items[key] = ItemJournal(key)
        if "requestId" in entry:
            item.request_id = entry["requestId"]
        item.events.append(entry)
    if not run:
        raise InvalidInputError(
            "has no 'run' line; not an ob-async journal", where=f"journal {path}"
        )
    return JournalState(run=run, items=items, torn_lines=torn)
