"""Adaptive client-side throttling: 429s lower the send rate, which then recovers.

An :class:`AdaptiveRateLimiter` sits in front of every request of one client
(the session calls :meth:`~AdaptiveRateLimiter.acquire` before sending and
:meth:`~AdaptiveRateLimiter.observe` after). It follows AIMD, the congestion
control of TCP:

- Unthrottled at first: ``acquire`` returns at once and costs nothing.
- On a 429 the allowed rate drops to ``decrease_factor`` times the rate actually
  sent over the last second — when 429s make up at least ``throttle_share`` of
  the answers of the last two seconds (so that a stray 429 among many successes
  is not taken for congestion), and at most once per ``decrease_interval`` (so
  one burst of 429s counts as one signal, not fifty).
- Each success then raises the rate so that it grows by ``increase_per_second``
  (plus ``increase_ratio`` of itself) per second of successes.
- After ``release_after`` seconds without a 429 the limit is lifted entirely.

Sends are paced evenly at the allowed rate (a virtual-time scheduler), so a
throttled client does not fire its backlog in bursts.
"""

from __future__ import annotations

import attrs

from ob_async.clock import SYSTEM_CLOCK, Clock
from ob_async.validators import factor, fraction, non_negative, positive

MIN_SAMPLE = 20
"""Fewer answers than this are judged as if there were this many."""


@attrs.frozen(kw_only=True)
class ThrottleConfig:
    """The AIMD limiter's settings (see the module docstring for what each one does)."""

    enabled: bool = True
    decrease_factor: float = attrs.field(default=0.5, validator=factor)
    decrease_interval: float = attrs.field(default=1.0, validator=non_negative)
    throttle_share: float = attrs.field(default=0.1, validator=fraction)
    increase_per_second: float = attrs.field(default=1.0, validator=non_negative)
    increase_ratio: float = attrs.field(default=0.05, validator=non_negative)
    min_rate: float = attrs.field(default=0.5, validator=positive)
    """Requests per second the limiter never goes below (the pacing divides by it)."""
    release_after: float = attrs.field(default=30.0, validator=non_negative)


class AdaptiveRateLimiter:
    """AIMD send-rate limiter shared by all calls of one client."""

    def __init__(
        self, config: ThrottleConfig | None = None, *, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.config = config or ThrottleConfig()
        self._clock = clock
        self.rate: float | None = None
        """Allowed requests per second, or None when unthrottled."""
        self._next_slot = 0.0
        self._last_decrease = -1e18
        self._last_throttle = -1e18
        self._second_start = clock.monotonic()
        self._sent_this_second = 0
        self._sent_last_second = 0
        self._answers_start = self._second_start
        self._answers = [0, 0]
        """Answers (all, 429s) of the current second."""
        self._answers_before = (0, 0)
        """The same for the second before it."""
        self.throttle_events = 0
        self.decreases = 0

    def _count_send(self, now: float) -> None:
        elapsed = now - self._second_start
        if elapsed >= 1.0:
            self._sent_last_second = self._sent_this_second if elapsed < 2.0 else 0
            self._second_start = now
            self._sent_this_second = 0
        self._sent_this_second += 1

    def admit(self) -> bool:
        """Count a send that needs no wait and return True; False when :meth:`acquire` must run.

        The synchronous fast path of ``acquire``: unthrottled, the two are the same.
        """
        if self.rate is not None:
            return False
        self._count_send(self._clock.monotonic())
        return True

    async def acquire(self) -> None:
        """Wait for this request's turn under the current rate (no wait when unthrottled)."""
        now = self._clock.monotonic()
        self._count_send(now)
        rate = self.rate
        if rate is None:
            return
        slot = max(now, self._next_slot)
        self._next_slot = slot + 1.0 / rate
        if slot > now:
            await self._clock.sleep(slot - now)

    def observe(self, status: int) -> None:
        """Feed back the HTTP status of a finished request."""
        if not self.config.enabled:
            return
        now = self._clock.monotonic()
        self._count_answer(now, throttled=status == 429)
        if status == 429:
            self._on_throttle(now)
        elif self.rate is not None and status < 500:
            self._on_success(now)

    def _count_answer(self, now: float, *, throttled: bool) -> None:
        elapsed = now - self._answers_start
        if elapsed >= 1.0:
            self._answers_before = (self._answers[0], self._answers[1]) if elapsed < 2.0 else (0, 0)
            self._answers_start = now
            self._answers = [0, 0]
        self._answers[0] += 1
        self._answers[1] += throttled

    def _throttled_share(self) -> float:
        # Over at least MIN_SAMPLE answers, so that the very first answer being a 429
        # is not yet a 100% share.
        answers = max(self._answers[0] + self._answers_before[0], MIN_SAMPLE)
        return (self._answers[1] + self._answers_before[1]) / answers

    def _on_throttle(self, now: float) -> None:
        self.throttle_events += 1
        self._last_throttle = now
        if now - self._last_decrease < self.config.decrease_interval:
            return
        if self._throttled_share() < self.config.throttle_share:
            return
        self._last_decrease = now
        self.decreases += 1
        observed = max(self._sent_last_second, self._sent_this_second, 1)
        current = observed if self.rate is None else min(self.rate, observed)
        self.rate = max(self.config.min_rate, current * self.config.decrease_factor)

    def _on_success(self, now: float) -> None:
        assert self.rate is not None
        if now - self._last_throttle >= self.config.release_after:
            self.rate = None
            return
        # Spread the per-second increase over the successes of a second.
        per_second = self.config.increase_per_second + self.rate * self.config.increase_ratio
        self.rate += per_second / self.rate
