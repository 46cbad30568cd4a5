"""A fixed submits-per-second cap with a burst allowance (GCRA).

The Generic Cell Rate Algorithm keeps one number, the theoretical arrival time
of the next request: a request may go when it is no more than ``burst``
intervals early. It is a token bucket without the bookkeeping, and it paces
concurrent callers fairly because each reserves its slot before sleeping.
"""

from __future__ import annotations

from ob_async._clock import SYSTEM_CLOCK, Clock
from ob_async._validators import at_least_one, positive

MIN_RATE = 0.001
"""The lowest submits-per-second cap accepted (one every ~17 minutes): a smaller one
(``1e-300``) is a typo that would leave a drill waiting for ever."""


class RateCap:
    """At most ``rate`` acquisitions per second on average, ``burst`` at once."""

    def __init__(self, rate: float, *, burst: int = 1, clock: Clock = SYSTEM_CLOCK) -> None:
        positive.check(rate, where="rate")
        at_least_one.check(burst, where="burst")
        self.rate = rate
        self.burst = burst
        self._interval = 1.0 / rate
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock
        self._theoretical_arrival = clock.monotonic()

    async def acquire(self) -> None:
        now = self._clock.monotonic()
        arrival = max(self._theoretical_arrival, now)
        allowed_at = arrival - self._tolerance
        self._theoretical_arrival = arrival + self._interval
        if allowed_at > now:
            await self._clock.sleep(allowed_at - now)
