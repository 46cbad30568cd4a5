"""The project's one pacing algorithm (GCRA), and the fixed submit cap built on it.

The Generic Cell Rate Algorithm keeps one number, the theoretical arrival time of
the next send: a send conforms when it is no more than ``tolerance`` seconds
early, and each send moves that time on by one interval (``1 / rate``). It is a
token bucket without the bookkeeping: no refill to compute, no capacity to clamp
when the rate changes, which the adaptive limiter does every few seconds.

Two users, one algorithm:

- :class:`~ob_async._http.throttle.limiter.AdaptiveRateLimiter` paces every
  request of a client at the rate its controller sets, ``ThrottleConfig.burst``
  seconds of tolerance, and releases the requests that wait in priority order;
- :class:`RateCap`, the batch runner's ``submits_per_second`` cap: a fixed rate,
  ``burst`` submissions at once.

Written here rather than taken from a library: the asyncio limiters on PyPI
(``aiolimiter``'s leaky bucket, ``asynciolimiter``) own the waiting and release
waiters in arrival order, while the adaptive limiter must release them by
priority; the algorithm itself is a dozen lines, not worth a dependency of the
lean core.
"""

from __future__ import annotations

import math

from ob_async._clock import SYSTEM_CLOCK, Clock
from ob_async._validators import at_least_one, positive

UNPACED = math.inf
"""The rate of a pacer that lets every send go at once (the limiter, unthrottled)."""

MIN_RATE = 0.001
"""The lowest submits-per-second cap accepted (one every ~17 minutes): a smaller one
(``1e-300``) is a typo that would leave a drill waiting for ever."""


class Gcra:
    """At most ``rate`` sends per second on average, up to ``tolerance`` seconds early.

    Sans-I/O: the caller passes the time and does the waiting. ``rate`` may change
    at any moment; the sends already counted keep their place.
    """

    def __init__(self, rate: float = UNPACED, *, tolerance: float = 0.0) -> None:
        self.rate = rate
        self.tolerance = tolerance
        self._theoretical_arrival = -math.inf

    def delay(self, now: float) -> float:
        """Seconds from ``now`` until a send conforms (0.0: it may go now)."""
        if self.rate == UNPACED:
            return 0.0  # a pace that was lifted leaves no debt
        return max(0.0, self._theoretical_arrival - self.tolerance - now)

    def take(self, now: float) -> None:
        """Count a send at ``now``."""
        # Unpaced, the interval is 0: the arrival time only follows the clock, so a
        # pace set later starts from the last send, not from a debt.
        self._theoretical_arrival = max(self._theoretical_arrival, now) + 1.0 / self.rate

    def reserve(self, now: float) -> float:
        """Count a send at the first moment it conforms; the seconds until then.

        Reserving before sleeping is what makes concurrent callers fair: each one
        that comes later finds the slots before it already taken.
        """
        wait = self.delay(now)
        self.take(now + wait)
        return wait


class RateCap:
    """At most ``rate`` acquisitions per second on average, ``burst`` at once."""

    def __init__(self, rate: float, *, burst: int = 1, clock: Clock = SYSTEM_CLOCK) -> None:
        positive.check(rate, where="rate")
        at_least_one.check(burst, where="burst")
        self.rate = rate
        self.burst = burst
        # ``burst`` sends at once: the last of them is ``burst - 1`` intervals early.
        self._gcra = Gcra(rate, tolerance=(burst - 1) / rate)
        self._clock = clock

    async def acquire(self) -> None:
        wait = self._gcra.reserve(self._clock.monotonic())
        if wait > 0:
            await self._clock.sleep(wait)
