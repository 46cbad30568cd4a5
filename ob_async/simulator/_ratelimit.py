"""The ``rate_limit`` token bucket: requests per second, with one second of burst."""

from __future__ import annotations

import math

from ob_async.simulator._clock import Clock


class TokenBucket:
    """Allows ``rate`` requests per second on average and ``max(1, rate)`` in a burst."""

    def __init__(self, rate: float, clock: Clock) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._rate = rate
        self._capacity = max(1.0, rate)
        self._tokens = self._capacity
        self._clock = clock
        self._stamp = clock.time()

    @property
    def rate(self) -> float:
        return self._rate

    def set_rate(self, rate: float) -> None:
        """Change the limit from now on (the tokens already earned are kept, up to the
        new burst)."""
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._refill()
        self._rate = rate
        self._capacity = max(1.0, rate)
        self._tokens = min(self._tokens, self._capacity)

    def _refill(self) -> None:
        now = self._clock.time()
        self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    def take(self) -> float:
        """Take a token: 0.0 when allowed, else the seconds until one is available."""
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self._rate


def retry_after_header(wait: float) -> str:
    """``Retry-After`` in whole seconds (HTTP allows no fraction), at least 1."""
    return str(max(1, math.ceil(wait)))
