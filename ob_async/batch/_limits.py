"""How far a batch may go: its parallelism (:class:`BatchLimits`) and when failures
stop it submitting (:class:`FailurePolicy`).

Parallelism is bounded on two levels: submits in flight (HTTP), and restores in
progress per target instance (the server's capacity); a submits-per-second cap
is optional. The look-ahead bounds how many items are pulled from the feed ahead
of being sent (see :mod:`ob_async.batch._runner`).
"""

from __future__ import annotations

import enum

import attrs

from ob_async._validators import NumberCheck, at_least_one, positive_or_none
from ob_async.errors import InvalidInputError


class FailurePolicy(enum.StrEnum):
    """What failures do to a batch: nothing (``collect_all``), stop it submitting after the
    first (``fail_fast``) or after ``max_failures`` of them (``stop_after``); given to
    :class:`BatchRunner`."""

    COLLECT_ALL = "collect_all"
    FAIL_FAST = "fail_fast"
    STOP_AFTER = "stop_after"


def failures_allowed(policy: FailurePolicy, max_failures: int | None) -> int | None:
    """How many failures stop the batch submitting under ``policy`` (None: no number).

    Raises :class:`InvalidInputError` for ``stop_after`` without a count of at least 1.
    """
    if policy is FailurePolicy.STOP_AFTER and (max_failures or 0) < 1:
        raise InvalidInputError("stop_after needs max_failures >= 1", where="max_failures")
    return {
        FailurePolicy.FAIL_FAST: 1,
        FailurePolicy.STOP_AFTER: max_failures,
    }.get(policy)


at_least_one_or_none = NumberCheck(
    lambda value: value >= 1, "must be at least 1", integer=True, optional=True
)


@attrs.frozen(kw_only=True)
class BatchLimits:
    max_submits: int = attrs.field(default=16, validator=at_least_one)
    """HTTP submissions in flight at once."""
    max_restoring_per_instance: int = attrs.field(default=64, validator=at_least_one)
    """Restores in progress (submitted, not yet final) per target instance."""
    submits_per_second: float | None = attrs.field(default=None, validator=positive_or_none)
    burst: int = attrs.field(default=1, validator=at_least_one)
    lookahead: int | None = attrs.field(default=None, validator=at_least_one_or_none)
    """Items pulled ahead of being sent (see :mod:`ob_async.batch._runner`); default 4 x
    max_submits."""

    @property
    def items_ahead(self) -> int:
        """How many pulled items may wait to be sent: ``lookahead`` or its default."""
        return self.lookahead if self.lookahead is not None else 4 * self.max_submits
