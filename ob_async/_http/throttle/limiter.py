"""``AdaptiveRateLimiter``: the pace every request of one client waits for.

The session calls :meth:`~AdaptiveRateLimiter.admit` (or, when that says no,
:meth:`~AdaptiveRateLimiter.acquire`) before sending, and
:meth:`~AdaptiveRateLimiter.observe` with the answer's status and headers. This
module wires the pieces and owns the waiting:

- the estimator (:mod:`.estimator`) counts what was sent, accepted and refused;
- the controller (:mod:`.controller`, phases in :mod:`.phases`) reads it and sets
  the pace;
- the pacer (:class:`~.pacer.Gcra`) spaces the sends evenly at that pace, with
  ``burst`` seconds of slack so that a busy event loop does not lose slots;
- requests that wait are released in priority order
  (:class:`~ob_async._http.priority.Priority`): the reads that decide a restore's
  state first, then everything else, then new submissions, which use what is left;
- what the server says is obeyed: a ``Retry-After`` of at least
  ``pause_threshold`` seconds, or a remaining count of 0 with a reset time, pauses
  every send; an announced policy (:mod:`ob_async._http.limit_headers`) is a
  ceiling the controller never probes above.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections.abc import Mapping
from http import HTTPStatus

from ob_async._clock import SYSTEM_CLOCK, Clock
from ob_async._http.limit_headers import read_limit_headers
from ob_async._http.priority import Priority
from ob_async._http.throttle.config import ThrottleConfig
from ob_async._http.throttle.controller import Controller
from ob_async._http.throttle.estimator import RateEstimator
from ob_async._http.throttle.pacer import Gcra
from ob_async._http.throttle.phases import Phase
from ob_async._wire.envelope import parse_retry_after


class AdaptiveRateLimiter:
    """The send pace shared by all calls of one client; see the module docstring."""

    def __init__(
        self, config: ThrottleConfig | None = None, *, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.config = config or ThrottleConfig()
        self._clock = clock
        self._pacer = Gcra(tolerance=self.config.burst)
        self._estimator = RateEstimator(self.config, clock.monotonic())
        self.controller = Controller(self.config, self._estimator, self._pacer)
        self.paused_until = -math.inf
        """Every send waits until then (a long ``Retry-After``, a reset time)."""
        self._queue: list[tuple[int, int, float, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._pump: asyncio.Task[None] | None = None
        self.throttle_events = 0
        self.waited = dict.fromkeys(Priority, 0.0)
        """Seconds requests of each priority spent waiting for their turn, in all."""

    @property
    def phase(self) -> Phase:
        """Where the throttle is: unthrottled, holding, testing or probing a pace."""
        return self.controller.phase

    @property
    def rate(self) -> float | None:
        """Allowed requests per second, or None when unthrottled."""
        if self.phase is Phase.UNTHROTTLED:
            return None
        return self._pacer.rate

    @property
    def ceiling(self) -> float | None:
        """A rate the server announced (rate-limit headers): never probed above."""
        return self.controller.ceiling

    @property
    def background(self) -> float:
        """The 429 share measured as refusals that are not a rate limit's."""
        return self.controller.background

    @property
    def decreases(self) -> int:
        return self.controller.decreases

    # --- sending ------------------------------------------------------------------

    def admit(self) -> bool:
        """Count a send that needs no wait and return True; False when :meth:`acquire` must run."""
        now = self._clock.monotonic()
        if self._queue or self._wait(now) > 0:
            return False
        self._take(now)
        return True

    async def acquire(self, priority: Priority = Priority.NORMAL) -> None:
        """Wait for this request's turn under the current pace, ``priority`` first."""
        if self.admit():
            return
        now = self._clock.monotonic()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._queue, (int(priority), next(self._order), now, future))
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(
                self._run_pump(), name="ob-async throttle"
            )
        await future
        self.waited[priority] += self._clock.monotonic() - now

    def _wait(self, now: float) -> float:
        """Seconds from ``now`` until the next send may go."""
        return max(self.paused_until - now, self._pacer.delay(now))

    def _take(self, now: float) -> None:
        self._estimator.record_send(now)
        self._pacer.take(now)

    async def _run_pump(self) -> None:
        """Release waiting requests one turn at a time, the highest priority first."""
        queue = self._queue
        while queue:
            if queue[0][3].done():  # cancelled while waiting
                heapq.heappop(queue)
                continue
            now = self._clock.monotonic()
            wait = self._wait(now)
            if wait > 0:
                await self._clock.sleep(wait)
                continue
            future = heapq.heappop(queue)[3]
            self._take(now)
            future.set_result(None)

    async def close(self) -> None:
        """Stop releasing requests (the client is closing); those still waiting are cancelled."""
        pump, self._pump = self._pump, None
        for entry in self._queue:
            entry[3].cancel()
        self._queue.clear()
        if pump is not None and not pump.done():
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)

    @property
    def queued(self) -> int:
        """Requests waiting for their turn now."""
        return sum(1 for entry in self._queue if not entry[3].done())

    # --- feedback -----------------------------------------------------------------

    def observe(self, status: int, headers: Mapping[str, str] | None = None) -> None:
        """Feed back the HTTP status (and headers) of a finished request."""
        config = self.config
        if not config.enabled:
            return
        now = self._clock.monotonic()
        self._estimator.record_answer(now, status)
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            self.throttle_events += 1
            retry_after = parse_retry_after(headers.get("Retry-After")) if headers else None
            if retry_after is not None and retry_after >= config.pause_threshold:
                # The server refuses the client as a whole, not pacing it.
                self._pause(now + retry_after)
            self.controller.on_refused(now)
        elif status != HTTPStatus.UNAUTHORIZED:
            self.controller.on_accepted(now)
        if headers is not None and config.honour_headers:
            announced = read_limit_headers(headers)
            if announced.pause is not None:
                self._pause(now + announced.pause)
            if announced.ceiling is not None:
                self.controller.on_ceiling(now, announced.ceiling)

    def _pause(self, until: float) -> None:
        self.paused_until = max(self.paused_until, until)
