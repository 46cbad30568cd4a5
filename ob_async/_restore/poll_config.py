"""How the coalesced poller polls: :class:`PollConfig`.

The interval schedule (backoff with jitter, from sub-second for tests to the
90-minute waits of the Terraform provider), the statuses that mean failure, how
long a tenant may take to appear, and when polling gives up on a failing API.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from ob_async._validators import at_least_one, positive, proper_fraction

DEFAULT_FAILURE_STATUSES = frozenset(
    {"RESTORE_FAILED", "FAILED", "CREATE_FAILED", "ABNORMAL", "DELETING", "DELETED"}
)
"""Statuses taken as a failed restore. Only ``ONLINE`` is documented; these are
the failure-like values of the sister Alibaba API plus the simulator's."""


@attrs.frozen(kw_only=True)
class PollConfig:
    """How a watcher polls. Intervals grow from ``initial_interval`` by ``multiplier``
    up to ``max_interval``, each randomised by +/- ``jitter`` (a fraction)."""

    initial_interval: float = attrs.field(default=5.0, validator=positive)
    max_interval: float = attrs.field(default=30.0, validator=positive)
    multiplier: float = attrs.field(default=1.5, validator=positive)
    jitter: float = attrs.field(default=0.2, validator=proper_fraction)
    page_size: int = attrs.field(default=100, validator=at_least_one)
    failure_statuses: frozenset[str] = attrs.field(
        default=DEFAULT_FAILURE_STATUSES, converter=frozenset
    )
    appear_timeout: float = attrs.field(default=300.0, validator=positive)
    """A tenant not listed this long after its wait began is given up as vanished."""
    max_consecutive_errors: int = attrs.field(default=20, validator=at_least_one)
    name_filter: bool = True
    """List with the waiting names' common prefix as the ``tenantName`` filter. This
    assumes the server's fuzzy match returns every name containing the filter."""
    rto_margin: float = attrs.field(default=1.0, validator=attrs.validators.ge(0.0))
    """Seconds before a waiter's RTO at which an extra sweep is made (and one just after)."""

    def interval(self, sweep: int, rng: Callable[[], float]) -> float:
        base = min(self.max_interval, self.initial_interval * self.multiplier**sweep)
        return base * (1.0 + self.jitter * (2.0 * rng() - 1.0))
