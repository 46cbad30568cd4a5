"""The domain objects of one restore of a plan: the rendered :class:`PlanItem` and
the :class:`RunContext` (run id and start) that templates and requestIds come from."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import attrs

from ob_async._wire.models import RestoreRequest
from ob_async.data._spec import DataSpec
from ob_async.drill._plan.restore_point import RandomPoint, RestorePointChoice
from ob_async.errors import InvalidInputError

_REQUEST_ID_NAMESPACE = uuid.UUID("5b0c2d1e-7f3a-4c9b-9e41-0b1a5e7d3c60")


@attrs.frozen(kw_only=True)
class PlanItem:
    """One restore of a plan, with templates rendered: the restore request it sends
    (:attr:`template`) and what the drill adds to it."""

    index: int
    key: str
    line: int | None
    instance_id: str
    """The instance the restore call is addressed to."""
    template: RestoreRequest
    """The request as the plan renders it. For ``restore_time = "latest"`` its restore
    time is a placeholder (the run's start): :meth:`request` puts in the resolved one."""
    restore_time: datetime | None
    """None means "latest" or "random" (``random_point``): resolved through the
    restorable windows at run time."""
    rto_seconds: float | None
    data: DataSpec | None = None
    """What to verify in the restored tenant's data (checks, RPO), if anything."""
    random_point: RandomPoint | None = None
    """``restore_time = "random"``: drawn from the windows when the item is sent."""
    hold_seconds: float | None = None
    """Keep the restored tenant this long for manual validation before any clean-up."""

    @property
    def restore_point_choice(self) -> RestorePointChoice:
        """How the item's restore point is chosen."""
        if self.random_point is not None:
            return RestorePointChoice.RANDOM
        if self.restore_time is None:
            return RestorePointChoice.LATEST
        return RestorePointChoice.EXPLICIT

    def request(self, restore_time: datetime | None = None) -> RestoreRequest:
        """The request to send, at ``restore_time`` (the plan's if None)."""
        moment = restore_time or self.restore_time
        if moment is None:
            raise InvalidInputError(
                f"restore_time {self.restore_point_choice.value!r} was not resolved", where=self.key
            )
        return attrs.evolve(self.template, restore_time=moment)


@attrs.frozen(kw_only=True)
class InstancePair:
    """Restores of a plan from one source instance into one target instance.

    Segregated when the instances differ (DORA Art. 12(3) asks that restores run on
    systems segregated from the source); ``restores`` counts the plan's items so paired.
    """

    source: str
    target: str
    restores: int = 1

    @property
    def segregated(self) -> bool:
        return self.source != self.target


@attrs.frozen(kw_only=True)
class RunContext:
    """What templates may refer to, fixed when a run starts (and kept on resume)."""

    run_id: str
    started_at: datetime
    seed: int | None = None
    """What random restore points are drawn from (None: the plan draws none)."""

    @classmethod
    def new(cls, now: datetime | None = None) -> RunContext:
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        return cls(
            run_id=moment.strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6], started_at=moment
        )

    def request_id(self, item_key: str) -> str:
        """The requestId of an item in this run: the same on every resume."""
        return str(uuid.uuid5(_REQUEST_ID_NAMESPACE, f"{self.run_id}/{item_key}"))
