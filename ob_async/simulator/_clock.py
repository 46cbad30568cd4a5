"""Where the simulator reads the time: an injectable clock.

Everything time-dependent (tenant lifecycle, nonce expiry, relative fixture
windows, the rate limiter) reads :meth:`Clock.time`, so a test can use a
:class:`ManualClock` and move time forward instead of sleeping.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """A source of wall-clock time in seconds since the epoch (UTC)."""

    def time(self) -> float:
        """The current time, seconds since the epoch."""


class SystemClock:
    """The real wall clock."""

    def time(self) -> float:
        return time.time()

    def __repr__(self) -> str:
        return "SystemClock()"


class ManualClock:
    """A clock that only moves when told to; starts at ``start`` (default: now)."""

    def __init__(self, start: float | datetime | None = None) -> None:
        if isinstance(start, datetime):
            if start.tzinfo is None:
                raise ValueError("ManualClock start must be timezone-aware")
            start = start.timestamp()
        self._now = time.time() if start is None else float(start)

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (never backward)."""
        if seconds < 0:
            raise ValueError("a clock does not go backward")
        self._now += seconds

    def __repr__(self) -> str:
        return f"ManualClock({self._now!r})"
