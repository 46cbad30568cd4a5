"""Stopping a batch: which of its item tasks a stop or an abort cancels, and how an
item cut short ends.

A stop cancels every item that has not sent its restore request yet (waiting for
a permit or the rate cap, or between two attempts), so that no new POST leaves
after it, and lets the requests already on the wire finish; an abort cancels
every item task that has started. An item cut short ends ``not_started`` when
nothing of it can have been acted on, ``interrupted`` (with what is known of its
submission) when something may have been.
"""

from __future__ import annotations

import asyncio

from ob_async._restore.outcome import RestoreOutcome
from ob_async._restore.submit import RestoreSubmission, SubmissionOutcome
from ob_async.batch._item import ItemResult, ItemState, RestoreItem


class ItemTasks:
    """The item tasks of a batch, and which of them have not sent their request yet."""

    def __init__(self) -> None:
        self.running: set[asyncio.Task[None]] = set()
        # Items whose restore request has not been (re)sent: a stop cancels them.
        self._unsent: dict[asyncio.Task[None], RestoreSubmission] = {}
        self._started: set[asyncio.Task[None]] = set()

    def add(self, task: asyncio.Task[None]) -> None:
        """A task of one item was created (it may not have started yet)."""
        self.running.add(task)
        task.add_done_callback(self.running.discard)

    def track(self, submission: RestoreSubmission) -> None:
        """The current item's submission is under way: a stop cancels it until it sends."""
        task = asyncio.current_task()
        if task is not None:
            self._unsent[task] = submission
            self._started.add(task)
            task.add_done_callback(self._started.discard)

    def sent(self) -> None:
        """The current item's submission is over: a stop has nothing of it to cancel."""
        task = asyncio.current_task()
        if task is not None:
            self._unsent.pop(task, None)

    def halt_unsent(self) -> None:
        """A stop: no submission sends a new request; one not on the wire is cancelled
        (releasing it would send one more restore request after the stop)."""
        for task, submission in list(self._unsent.items()):
            submission.halted = True  # an attempt on the wire may finish; none follows it
            if not _on_the_wire(submission):
                task.cancel()

    def cancel_started(self) -> None:
        """An abort: cancel every item task that has started (one not started yet
        ends by itself, ``not_started``: one cancelled before its first step would
        never report its item)."""
        for task in list(self.running):
            if task in self._started:
                task.cancel()


def stopped_result(
    item: RestoreItem,
    submission: RestoreSubmission,
    restore: RestoreOutcome | None,
    reason: str | None,
) -> ItemResult:
    """The result of an item a stop or an abort (for ``reason``) cut short."""
    if not _may_exist(item, submission):
        why = f"{reason or 'stopped'}, while {_phase(submission, None)}"
        return ItemResult(
            item=item,
            state=ItemState.NOT_STARTED,
            submission=submission,
            error=f"not started: {why}",
        )
    return ItemResult(
        item=item,
        state=ItemState.INTERRUPTED,
        submission=submission,
        restore=restore,
        error=f"interrupted while {_phase(submission, restore)}",
    )


def _on_the_wire(submission: RestoreSubmission) -> bool:
    """An attempt of the submission is under way (its request may be on the wire)."""
    return bool(submission.attempts) and submission.attempts[-1].finished_at is None


def _may_exist(item: RestoreItem, submission: RestoreSubmission) -> bool:
    """Whether the item's tenant may exist: a request of it may have been acted on
    (in this run, or in the earlier run a resume continues)."""
    if submission.submitted:
        return True
    if submission.outcome in (SubmissionOutcome.CANCELLED, SubmissionOutcome.FAILED):
        return False  # both mean that nothing was created
    return (
        item.reconcile_first
        or submission.may_exist
        or any(attempt.sent for attempt in submission.attempts)
    )


def _phase(submission: RestoreSubmission, restore: RestoreOutcome | None) -> str:
    if not submission.attempts:
        return "queued (nothing was sent)"
    if submission.outcome is SubmissionOutcome.PENDING or not submission.submitted:
        return f"submitting (outcome {submission.outcome.value})"
    return "waiting for ONLINE" if restore is None else "cleaning up"
