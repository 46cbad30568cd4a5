"""Time, behind a seam: retries, throttling and polling read it from a :class:`Clock`.

Production code uses :data:`SYSTEM_CLOCK`; tests pass a fake one so that
backoff, deadlines and poll schedules are verified without waiting.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never goes backwards (for intervals and deadlines)."""

    def now(self) -> datetime:
        """The wall-clock time, timezone-aware UTC (for records and reports)."""

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (a fake clock advances instead)."""


class SystemClock:
    """The real clock."""

    # The C function itself, not a method that calls it: read on every request.
    monotonic = staticmethod(time.monotonic)

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK: Clock = SystemClock()
