"""What crosses Airflow's boundaries, as typed records with a JSON form.

- :class:`TenantWait`: what a trigger waits for (its serialized kwargs): ids, names, times
  and the connection id, never a secret or a client option.
- :class:`WaitResult`: how the wait ended (the trigger event's payload).
- :class:`RestoreRecord`: what a restore task returns (its XCom): small, JSON-able, and
  enough for the tasks after it (data checks, clean-up);
- :class:`SubmittedRestore`: what a restore task records before it sends anything (XCom
  key ``submission``), for a clean-up; :func:`restore_request_id` names it.

Each is an attrs class with ``to_json``/``from_json``; nothing else reads or writes their
dicts.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import attrs

from ob_async._restore.outcome import RestoreOutcome, RestoreState, RtoVerdict
from ob_async.errors import InvalidInputError

_REQUEST_ID_NAMESPACE = uuid.UUID("0f3a1c52-8d4e-4b7a-a9c6-2e5d7b1f4a38")


def restore_request_id(dag_id: str, task_id: str, run_id: str, map_index: int = -1) -> str:
    """The requestId of a task instance's restore: the same on every try of it (and of it
    cleared and run again), different for every other task instance."""
    return str(uuid.uuid5(_REQUEST_ID_NAMESPACE, f"{dag_id}/{task_id}/{run_id}/{map_index}"))


def _time(value: datetime | str | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return parsed


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@attrs.frozen(kw_only=True)
class TenantWait:
    """One restored tenant to wait for, and the times that bound and measure the wait."""

    conn_id: str
    instance_id: str
    tenant_name: str
    request_id: str
    submitted_at: datetime = attrs.field(converter=_time)
    """Where the recovery time is counted from."""
    deadline: datetime = attrs.field(converter=_time)
    """An absolute time, so that a trigger moved to another triggerer keeps its deadline."""
    rto_seconds: float | None = None
    restore_time: str | None = None
    """The point in time restored to (ISO 8601), handed back in the event."""
    latest: bool = False
    """Whether that point was ``latest`` (the newest restorable one) when it was chosen."""
    submission: str = "submitted"
    """How the submission ended (``submitted``, ``adopted``), handed back in the event."""

    def to_json(self) -> dict[str, Any]:
        return {
            "conn_id": self.conn_id,
            "instance_id": self.instance_id,
            "tenant_name": self.tenant_name,
            "request_id": self.request_id,
            "submitted_at": self.submitted_at.isoformat(),
            "deadline": self.deadline.isoformat(),
            "rto_seconds": self.rto_seconds,
            "restore_time": self.restore_time,
            "latest": self.latest,
            "submission": self.submission,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TenantWait:
        return cls(**data)


@attrs.frozen(kw_only=True)
class WaitResult:
    """How a wait ended: the tenant's state and its measured recovery interval."""

    state: RestoreState = attrs.field(converter=RestoreState)
    instance_id: str
    tenant_name: str
    request_id: str
    tenant_id: str | None = None
    last_status: str | None = None
    recovery_seconds: float | None = None
    recovery_lower_seconds: float | None = None
    rto_seconds: float | None = None
    rto_verdict: RtoVerdict | None = attrs.field(
        default=None, converter=attrs.converters.optional(RtoVerdict)
    )
    polls: int = 0
    """Sweeps of the instance the wait lived through (one list call each, shared)."""
    error: str | None = None
    submitted_at: str | None = None
    """When the restore was first requested (ISO 8601): where its recovery is counted from."""
    restore_time: str | None = None
    latest: bool = False
    submission: str = "submitted"

    @classmethod
    def of(cls, wait: TenantWait, outcome: RestoreOutcome) -> WaitResult:
        return cls(
            state=outcome.state,
            instance_id=wait.instance_id,
            tenant_name=wait.tenant_name,
            request_id=wait.request_id,
            tenant_id=outcome.tenant_id,
            last_status=outcome.last_status,
            recovery_seconds=outcome.recovery_seconds,
            recovery_lower_seconds=outcome.recovery_lower_seconds,
            rto_seconds=wait.rto_seconds,
            rto_verdict=outcome.rto_verdict(wait.rto_seconds),
            polls=outcome.polls,
            error=outcome.error,
            submitted_at=wait.submitted_at.isoformat(),
            restore_time=wait.restore_time,
            latest=wait.latest,
            submission=wait.submission,
        )

    @classmethod
    def ended(cls, wait: TenantWait, state: RestoreState, error: str) -> WaitResult:
        """A wait that ended without an outcome of the poller (out of time, or no client)."""
        return cls(
            state=state,
            instance_id=wait.instance_id,
            tenant_name=wait.tenant_name,
            request_id=wait.request_id,
            rto_seconds=wait.rto_seconds,
            error=error,
            submitted_at=wait.submitted_at.isoformat(),
            restore_time=wait.restore_time,
            latest=wait.latest,
            submission=wait.submission,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            field.name: (
                str(value)
                if isinstance(value := getattr(self, field.name), RestoreState | RtoVerdict)
                else value
            )
            for field in attrs.fields(WaitResult)
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WaitResult:
        return cls(**data)


@attrs.frozen(kw_only=True)
class RestoreRecord:
    """What a restore task returns: who it restored, how fast, and under which requestId."""

    request_id: str
    instance_id: str
    tenant_name: str
    tenant_id: str | None
    submitted_at: str | None
    """When the restore was first requested (ISO 8601): the data checks measure the
    data-loss exposure from it."""
    restore_time: str | None
    """The point in time the restore asked for (ISO 8601): the data checks' restore point."""
    latest: bool
    """Whether that point was ``latest`` when it was chosen."""
    submission: str
    """``submitted``, or ``adopted`` (a retried task found the tenant its earlier try made)."""
    state: str
    recovery_seconds: float | None
    recovery_lower_seconds: float | None
    rto_seconds: float | None
    rto_verdict: str | None

    @classmethod
    def of(cls, result: WaitResult) -> RestoreRecord:
        return cls(
            request_id=result.request_id,
            instance_id=result.instance_id,
            tenant_name=result.tenant_name,
            tenant_id=result.tenant_id,
            submitted_at=result.submitted_at,
            restore_time=result.restore_time,
            latest=result.latest,
            submission=result.submission,
            state=str(result.state),
            recovery_seconds=result.recovery_seconds,
            recovery_lower_seconds=result.recovery_lower_seconds,
            rto_seconds=result.rto_seconds,
            rto_verdict=str(result.rto_verdict) if result.rto_verdict else None,
        )

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.frozen(kw_only=True)
class SubmittedRestore:
    """A restore a task sent, or was about to send: enough for a clean-up to find its
    tenant and prove it is the task's (the requestId's marker is in its description)."""

    request_id: str
    instance_id: str
    tenant_name: str

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, data: Any, *, where: str) -> SubmittedRestore:
        if not isinstance(data, dict):
            raise InvalidInputError(
                f"expected a restore task's record (a dict), got {type(data).__name__}", where=where
            )
        try:
            return cls(
                request_id=str(data["request_id"]),
                instance_id=str(data["instance_id"]),
                tenant_name=str(data["tenant_name"]),
            )
        except KeyError as missing:
            raise InvalidInputError(f"the record has no {missing}", where=where) from None
