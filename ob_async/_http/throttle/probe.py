"""How far above the measured pace a probe steps, and how close to an announced ceiling.

A probe raises the pace by a step after each quiet window; the step starts small after
every measurement (:meth:`ProbeStep.restart`) and grows while windows stay quiet, more
slowly once past the limit last measured. ``docs/rate-limits.md`` has the figures behind
each constant.
"""

from __future__ import annotations

import attrs

STEP_GROWTH = 2.0
"""A probe's step grows by this factor per quiet window, so a doubled limit is found
within seconds."""
STEP_GROWTH_OVER_LIMIT = 1.5
"""The step's growth once over the limit last measured: a bucket's savings hide the
limit a while there, and a slower step goes less far past it."""
CEILING_MARGIN = 0.5
"""The pace stays under an announced ceiling by this part of the first probe step
(1%): the pacing's slack lets a few sends go early, which a strict server refuses."""


@attrs.define
class ProbeStep:
    """The part of the pace the next probe adds (0.02 = 2%)."""

    first: float
    largest: float
    size: float = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.size = self.first

    def restart(self) -> None:
        """A limit was measured: the next probe starts small again."""
        self.size = self.first

    def grow(self, *, over_limit: bool) -> None:
        """A probe went out (``over_limit``: above the limit last measured)."""
        growth = STEP_GROWTH_OVER_LIMIT if over_limit else STEP_GROWTH
        self.size = min(self.largest, self.size * growth)

    def under_ceiling(self, rate: float, ceiling: float | None) -> float:
        """``rate``, but under an announced ``ceiling`` by :data:`CEILING_MARGIN` of
        the first step."""
        if ceiling is None:
            return rate
        return min(rate, ceiling * (1.0 - CEILING_MARGIN * self.first))
