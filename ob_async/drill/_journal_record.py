"""The lines of a drill journal as typed records: the events an item goes through
(:class:`JournalEvent`), the run line (:class:`RunRecord`) and an item's line
(:class:`ItemRecord`, with its submission's :class:`AttemptRecord` list), converted
to and from the journal's camelCase JSON by one cattrs converter. A line that does
not convert is named with its number.

Every field but ``event`` (and an item's ``key``) is optional, and a line leaves
out what it does not set: a journal written before a field existed still reads,
and a field added later is one more optional attribute.
"""

from __future__ import annotations

import enum
import getpass
import json
import socket
from datetime import datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ob_async._restore.outcome import RtoVerdict
from ob_async._restore.submit import Attempt, SubmissionOutcome
from ob_async._wire.codec import camel_case, describe_structure_error, parse_time
from ob_async.batch._item import ItemState
from ob_async.drill._plan.item import InstancePair
from ob_async.drill._plan.restore_point import RestorePointChoice
from ob_async.errors import InvalidInputError

JOURNAL_VERSION = 1


class JournalEvent(enum.StrEnum):
    RUN = "run"
    """The first line: the run and the plan it belongs to."""
    RESUMED = "resumed"
    """A resume of the run began."""
    CHOSEN = "chosen"
    """A random restore point was drawn for the item (before it is sent): a resume
    reuses it, never draws again."""
    SUBMITTING = "submitting"
    """On disk before the item's first request is sent: after a crash, an item
    without it was never sent."""
    SUBMITTED = "submitted"
    SEEN = "seen"
    """A poll found the target tenant for the first time."""
    ONLINE = "online"
    FAILED = "failed"
    SUBMITTED_ONLY = "submitted_only"
    """Submitted and, as asked, not waited for."""
    UNKNOWN = "unknown"
    """It may have been created: a resume reconciles it."""
    INTERRUPTED = "interrupted"
    NOT_STARTED = "not_started"
    """The run stopped before the item was sent (if it was sent by an earlier run,
    a resume still reconciles it): not final, a resume runs it."""
    CLEANED = "cleaned"
    """The restored tenant's deletion (or the attempt at it)."""
    PREFLIGHT_FAILED = "preflight_failed"
    """The pre-flight checks refused the item: never sent (a resume checks it again)."""
    PLANNED = "planned"
    """A dry run's word on the item (never written to a journal file: a dry run keeps none)."""
    STOPPED = "stopped"
    """A run line: the run stopped before taking every item, and why."""
    FINISHED = "finished"
    """The run (or a resume of it) ended, at ``t``: what it did is on the lines before."""


FINAL_EVENTS = frozenset({JournalEvent.ONLINE, JournalEvent.FAILED, JournalEvent.SUBMITTED_ONLY})
"""Events after which an item needs nothing more (clean-up aside). ``unknown`` and
``interrupted`` are not final: a resume reconciles those items."""

_FINAL_EVENT_OF_STATE = {
    ItemState.ONLINE: JournalEvent.ONLINE,
    ItemState.SUBMITTED: JournalEvent.SUBMITTED_ONLY,
    ItemState.UNKNOWN: JournalEvent.UNKNOWN,
    ItemState.INTERRUPTED: JournalEvent.INTERRUPTED,
    ItemState.NOT_STARTED: JournalEvent.NOT_STARTED,
    ItemState.PREFLIGHT_FAILED: JournalEvent.PREFLIGHT_FAILED,
    ItemState.PLANNED: JournalEvent.PLANNED,
}


def final_event(state: ItemState) -> JournalEvent:
    """The event that records an item ending in ``state`` (every other state: failed)."""
    return _FINAL_EVENT_OF_STATE.get(state, JournalEvent.FAILED)


@attrs.frozen(kw_only=True)
class Person:
    """Who did something, as the operating system names them."""

    user: str
    host: str

    @classmethod
    def current(cls) -> Person:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no name for this uid (a container, say)
            user = "unknown"
        return cls(user=user, host=socket.gethostname())


@attrs.frozen(kw_only=True)
class RunRecord:
    """The ``run`` (or ``resumed``, or ``finished``) line: which run, started when, with
    which plan; and the facts of the run an auditor asks for (where it ran, who ran it,
    which instances restore into which, how restore points are chosen). Those facts are
    optional: journals written before them are read as they are."""

    event: JournalEvent = JournalEvent.RUN
    t: datetime | None = None
    run_id: str | None = None
    started_at: datetime | None = None
    plan: str | None = None
    plan_digest: str | None = None
    """SHA-256 of the plan: a resume refuses a plan that changed."""
    drill: str | None = None
    items: int | None = None
    tool_version: str | None = None
    endpoint_origin: str | None = None
    """Scheme, host and port of the API endpoint: never a path, query or user name."""
    project_id: str | None = None
    ran_by: Person | None = None
    instances: tuple[InstancePair, ...] | None = None
    """Every distinct source -> target instance pair of the plan's restores."""
    restore_points: dict[str, int] | None = None
    """How many restores have their restore point chosen each way (``latest``, ...)."""
    require_segregation: bool | None = None
    seed: int | None = None
    """What the run's random restore points are drawn from (a resume keeps it)."""
    reason: str | None = None
    """A ``stopped`` line's reason (the items the run never took are not started for it)."""


@attrs.frozen(kw_only=True)
class AttemptRecord:
    """One try of an item's submission (:class:`ob_async._restore.submit.Attempt`)."""

    number: int
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: str | None = None
    status: int | None = None
    ambiguous: bool = False
    looked_up: bool = False
    sent: bool = False
    wait_after: float | None = None
    error: str | None = None

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptRecord:
        return cls(
            number=attempt.number,
            started_at=attempt.started_at,
            finished_at=attempt.finished_at,
            result=attempt.result,
            status=attempt.status,
            ambiguous=attempt.ambiguous,
            looked_up=attempt.looked_up,
            sent=attempt.sent,
            wait_after=attempt.wait_after,
            error=attempt.error,
        )


@attrs.frozen(kw_only=True)
class ItemRecord:
    """One event of one item; which fields are set depends on the event."""

    event: JournalEvent
    key: str
    t: datetime | None = None
    """When it was recorded (for ``submitting``: when the item was first sent)."""
    request_id: str | None = None
    restore_time: datetime | None = None
    restore_point_choice: RestorePointChoice | None = None
    """How ``restore_time`` was chosen (``chosen`` and ``submitting`` events)."""
    reconcile: bool | None = None
    outcome: SubmissionOutcome | None = None
    attempts: int | None = None
    """How many tries the submission took (``submitted``)."""
    submit_attempts: tuple[AttemptRecord, ...] | None = None
    """The submission's tries, as they went (``submitted`` and an item's last event;
    journals written before it hold none)."""
    tenant_id: str | None = None
    status: str | None = None
    state: ItemState | None = None
    submission: SubmissionOutcome | None = None
    submitted_at: datetime | None = None
    """When the submission's first request left (not when it began to wait for its
    share of the request budget): recovery times count from there."""
    first_seen_at: datetime | None = None
    finished_at: datetime | None = None
    recovery_seconds: float | None = None
    recovery_lower_seconds: float | None = None
    """The start of the recovery interval (see :class:`~ob_async._restore.poll.RestoreOutcome`)."""
    met_rto: bool | None = None
    rto_verdict: RtoVerdict | None = None
    last_status: str | None = None
    error: str | None = None
    deleted: bool | None = None
    data: dict[str, Any] | None = None
    """A final event's data verdict (checks and measured RPO: DataVerdict.to_json)."""
    hold_until: datetime | None = None
    """A final event's: the restored tenant is kept for manual validation until then,
    and no clean-up deletes it before (unless forced)."""
    line: int | None = attrs.field(default=None, eq=False)
    """Its line in the journal file, when read from one (never written)."""
    segment: int = attrs.field(default=0, eq=False)
    """Which run of the drill wrote it: 0 the first, 1 its first resume, ... (never
    written: read from the ``resumed`` lines before it)."""


Record = RunRecord | ItemRecord
_R = TypeVar("_R", RunRecord, ItemRecord)


def _build_converter() -> cattrs.Converter:
    converter = cattrs.Converter(detailed_validation=True)
    converter.register_unstructure_hook(datetime, lambda moment: moment.isoformat())
    converter.register_structure_hook(datetime, lambda value, _: parse_time(value))
    for cls in (AttemptRecord, RunRecord, ItemRecord):
        names = {field.name: override(rename=camel_case(field.name)) for field in attrs.fields(cls)}
        local = {name: override(omit=True) for name in ("line", "segment") if name in names}
        read: dict[str, Any] = {**names, **local}
        converter.register_structure_hook(cls, make_dict_structure_fn(cls, converter, **read))
        written: dict[str, Any] = {**names, **local}
        if "event" in names:  # every line names its event; unset fields are left out
            written["event"] = override(omit_if_default=False)
        converter.register_unstructure_hook(
            cls,
            make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True, **written),
        )
    return converter


_converter = _build_converter()


def record_line(record: Record) -> bytes:
    """The journal line of ``record`` (newline included)."""
    return json.dumps(_converter.unstructure(record), separators=(",", ":")).encode() + b"\n"


def parse_record(cls: type[_R], entry: dict[str, Any], where: str) -> _R:
    """``entry`` (one decoded line) as a ``cls``; InvalidInputError naming ``where`` if
    a field has the wrong type."""
    try:
        return _converter.structure(entry, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError) as error:
        raise InvalidInputError(
            f"is not a readable journal event: {describe_structure_error(error)}", where=where
        ) from None
