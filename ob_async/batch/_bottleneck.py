"""What limited a batch: the API's rate limit, an instance's restoring capacity,
``concurrency``, the ``rate`` cap, or nothing.

An item a batch has taken waits first for a restoring slot of its target
instance, then for one of the ``concurrency`` submit permits; holding the permit
it may wait at the submits-per-second cap, then it is submitted (which may wait
for the client's share of the API's budget, and back off after 429s). The time
between taking an item and its submission being settled is split by what it was
spent on:

- waiting for a restoring slot: ``restoring_per_instance`` (the instance's
  capacity guard) is the limit;
- waiting at the cap: ``rate`` is the limit;
- waiting for the API (the client's throttle queue, backing off after a 429):
  the API's rate limit is the limit;
- the rest of a permit's time is the submission itself (journal, request,
  answer): more ``concurrency`` would overlap more of it.

Time spent waiting for a permit is shared out among the last three in the
proportions the permit holders spent their time, since that is what kept the
permits busy. The largest share names the bottleneck. When restores hardly
waited at all (all the waiting above under ``IDLE_SHARE`` of the time spent on
the submissions themselves), nothing held the submissions back: the batch took
as long as its restores.
"""

from __future__ import annotations

import enum
import math
from typing import Any

import attrs

IDLE_SHARE = 0.1
"""Waits under this share of the submissions' own time mean that nothing limited the batch."""


class Limit(enum.StrEnum):
    API_RATE_LIMIT = "api_rate_limit"
    RESTORING_CAPACITY = "restoring_per_instance"
    CONCURRENCY = "concurrency"
    RATE = "rate"
    NONE = "none"


_WORDS = {
    Limit.API_RATE_LIMIT: "the API's rate limit",
    Limit.RESTORING_CAPACITY: "restoring_per_instance (restores in progress per instance)",
    Limit.CONCURRENCY: "concurrency (submissions in flight)",
    Limit.RATE: "rate (the submits-per-second cap)",
}


@attrs.define
class SlotTime:
    """Seconds items spent on each step before being submitted, and the feeder's waits."""

    capacity: float = 0.0
    """Waiting for a restoring slot of the target instance."""
    permit_wait: float = 0.0
    """Waiting for a submit permit."""
    rate: float = 0.0
    api: float = 0.0
    held: float = 0.0
    """Every second a permit was held, whatever it was spent on."""


@attrs.frozen(kw_only=True)
class Bottleneck:
    limit: Limit
    shares: dict[str, float]
    """Share of the submit-slot time spent on each limit (they add up to 1)."""
    held_back: float
    """Seconds restores waited to be submitted, per second spent submitting them."""
    api_rate: float | None = None
    """The request rate the client's throttle settled on (requests/s), if it throttled."""

    @classmethod
    def of(cls, time: SlotTime, *, api_rate: float | None = None) -> Bottleneck:
        held = {
            Limit.RATE: time.rate,
            Limit.API_RATE_LIMIT: time.api,
            Limit.CONCURRENCY: max(0.0, time.held - time.rate - time.api),
        }
        held_total = sum(held.values())
        waited = {
            limit: seconds + (time.permit_wait * seconds / held_total if held_total else 0.0)
            for limit, seconds in held.items()
        }
        waited[Limit.RESTORING_CAPACITY] = time.capacity
        total = sum(waited.values())
        shares = {
            limit.value: (seconds / total if total else 0.0) for limit, seconds in waited.items()
        }
        work = held[Limit.CONCURRENCY]
        blocked = time.capacity + time.permit_wait + time.rate + time.api
        held_back = blocked / work if work > 0 else (math.inf if blocked else 0.0)
        limit = Limit.NONE
        if held_back >= IDLE_SHARE and total > 0:
            limit = max(waited, key=lambda name: waited[name])
        return cls(limit=limit, shares=shares, held_back=held_back, api_rate=api_rate)

    @property
    def summary(self) -> str:
        if self.limit is Limit.NONE:
            return "none: submissions hardly waited for anything, so the restores set the pace"
        rate = ""
        if self.limit is Limit.API_RATE_LIMIT and self.api_rate is not None:
            rate = f", found at about {self.api_rate:.1f} requests/s"
        return (
            f"{_WORDS[self.limit]}{rate}: {self.shares[self.limit.value]:.0%} of the time "
            "restores spent waiting to be submitted and being submitted went to it"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "limit": self.limit.value,
            "summary": self.summary,
            "shares": {_camel(name): round(share, 4) for name, share in self.shares.items()},
            "heldBack": round(self.held_back, 4) if math.isfinite(self.held_back) else None,
            "apiRate": self.api_rate,
        }


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
