"""One restore of a batch, going in and coming out.

:class:`RestoreItem` says what to restore; :class:`ItemState` is the one set of
state names of batches, drills and their reports; :class:`ItemResult` (with its
:class:`Cleanup`) is how an item ended, and :func:`result_of` turns a
submission and its restore's outcome into that result.
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from ob_async._restore.outcome import RestoreOutcome, RestoreState, RtoVerdict
from ob_async._restore.submit import RestoreSubmission, SubmissionOutcome
from ob_async._wire.models import RestoreRequest
from ob_async.data._results import DataVerdict
from ob_async.data._spec import DataSpec


@attrs.frozen(kw_only=True)
class RestoreItem:
    """One restore of a batch. ``key`` identifies it in results and journals."""

    key: str
    instance_id: str
    """The instance the restore call is addressed to (the seed posts to the target)."""
    request: RestoreRequest
    request_id: str | None = None
    """Fixed requestId (derived from the run and item by drills, so a resume reuses it)."""
    rto_seconds: float | None = None
    """Recovery-time objective: the result misses it when ONLINE takes longer."""
    reconcile_first: bool = False
    """A previous run may have submitted this item: look before sending."""
    submitted_at: datetime | None = None
    """When a previous run first submitted it: recovery time counts from there."""
    data: DataSpec | None = None
    """What to verify in the restored tenant's data once it is ONLINE (needs a verifier)."""
    keep: bool = False
    """Keep the restored tenant even when the batch cleans up (a drill's hold: it is
    kept for manual validation, and deleted later)."""


class ItemState(enum.StrEnum):
    """How an item ended: the one set of state names of batches, drills and their reports."""

    ONLINE = "online"
    SUBMITTED = "submitted"
    """Submitted and not waited for (``wait=False``)."""
    RESTORE_FAILED = "restore_failed"
    TIMED_OUT = "timed_out"
    CONFLICT = "conflict"
    SUBMIT_FAILED = "submit_failed"
    UNKNOWN = "unknown"
    """The restore may exist; it could not be verified."""
    INTERRUPTED = "interrupted"
    NOT_STARTED = "not_started"
    """Nothing was sent (or nothing that could have created it): the batch stopped first."""
    VALIDATION_FAILED = "validation_failed"
    """ONLINE, but not the tenant asked for (see :mod:`ob_async._restore.validate`)."""
    PREFLIGHT_FAILED = "preflight_failed"
    """Never sent: a drill's pre-flight check (window, free name) refused it."""
    PLANNED = "planned"
    """Never sent: a drill's dry run, with its pre-flight checks passed."""


GOOD_STATES = frozenset({ItemState.ONLINE, ItemState.SUBMITTED})


@attrs.frozen(kw_only=True)
class Cleanup:
    """What deleting a restored tenant after the drill came to."""

    tenant_id: str
    deleted: bool
    at: datetime
    error: str | None = None


@attrs.frozen(kw_only=True)
class ItemResult:
    item: RestoreItem
    state: ItemState
    submission: RestoreSubmission | None = None
    restore: RestoreOutcome | None = None
    cleanup: Cleanup | None = None
    error: str | None = None
    data: DataVerdict | None = None
    """The restored data's checks and measured RPO (items with a data spec)."""

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def recovery_seconds(self) -> float | None:
        return self.restore.recovery_seconds if self.restore is not None else None

    @property
    def rto_verdict(self) -> RtoVerdict | None:
        """Met, missed, or uncertain (the RTO falls inside the recovery interval)."""
        if self.restore is None:
            return None
        return self.restore.rto_verdict(self.item.rto_seconds)

    @property
    def met_rto(self) -> bool | None:
        """Whether it was seen ONLINE within its RTO target (an uncertain verdict is not
        proof of that); None without a target or when it never came ONLINE (that failure
        is its state's, not the RTO's)."""
        verdict = self.rto_verdict
        return None if verdict is None else verdict is RtoVerdict.MET

    @property
    def ok(self) -> bool:
        return (
            self.state in GOOD_STATES
            and self.met_rto is not False
            and (self.data is None or self.data.ok)
        )


def result_of(
    item: RestoreItem,
    submission: RestoreSubmission,
    restore: RestoreOutcome | None,
    cleanup: Cleanup | None,
    validation_problem: str | None = None,
) -> ItemResult:
    """The result of an item whose submission ended, with its restore's outcome when
    it was waited for (``restore`` None: not waited for) and the read-back's problem."""
    error = str(submission.error) if submission.error is not None else None
    if not submission.submitted:
        state = {
            SubmissionOutcome.CONFLICT: ItemState.CONFLICT,
            SubmissionOutcome.UNKNOWN: ItemState.UNKNOWN,
        }.get(submission.outcome, ItemState.SUBMIT_FAILED)
        return ItemResult(item=item, state=state, submission=submission, error=error)
    if restore is None:
        return ItemResult(item=item, state=ItemState.SUBMITTED, submission=submission)
    if validation_problem is not None:
        return ItemResult(
            item=item,
            state=ItemState.VALIDATION_FAILED,
            submission=submission,
            restore=restore,
            cleanup=cleanup,
            error=validation_problem,
        )
    state = {
        RestoreState.ONLINE: ItemState.ONLINE,
        RestoreState.TIMED_OUT: ItemState.TIMED_OUT,
        RestoreState.ERROR: ItemState.UNKNOWN,
    }.get(restore.state, ItemState.RESTORE_FAILED)
    return ItemResult(
        item=item,
        state=state,
        submission=submission,
        restore=restore,
        cleanup=cleanup,
        error=restore.error,
    )
