"""The client's share of the API's request budget: find the server's rate, hold it, share it.

One :class:`AdaptiveRateLimiter` sits in front of every request of one client:
the session calls :meth:`~AdaptiveRateLimiter.acquire` before sending and
:meth:`~AdaptiveRateLimiter.observe` with the answer's status and headers.

**Finding the rate.** Unthrottled at first (``acquire`` costs nothing). Once
429s are a real share of the answers (``throttle_share``, so that a stray 429 is
not taken for a limit) or :data:`RUN` of them come in a row (a bucket running
dry), the limiter measures the server's rate rather than guessing it: while a
client sends faster than a rate limit allows, the answers that are *not* 429
arrive at exactly the server's rate, whatever the client sent. So each decrease
sets the pace to ``headroom`` (0.97) times the accepted answers per second
counted from the first 429 since the previous change (before it, a token bucket
also spends what it saved while the pace was under it); a small excess is
measured over :data:`MEASURE_ANSWERS` accepted answers, or taken for the limit
last measured when a first reading agrees with it. One measurement lands within
a percent or two of the limit; there is no sawtooth down to half of it.

**Holding it and following it.** A measured pace is held for ``hold`` seconds
(3 s). Then, after each window (``window``, 1 s) without a 429 in which the
client used the pace it was given, the pace grows by ``probe_start`` (2%),
doubling with each further quiet window up to ``probe_max`` (50%), growing by
half only once over the limit last measured: a limit that was doubled is found
within seconds, while a stable one is probed by a few percent now and then, so
that the 429s of a probe stay a small share. A halved
limit shows as 429s at once, and the next measurement (at least ``measure_min``,
0.25 s, of answers) sets the new pace. After ``release_after`` seconds without a
429 the limit is lifted entirely.

**Refusals that are not a rate limit.** Outside a probe, only a share of 429s
that could not be chance (``throttle_share``) lowers the pace. 429s while a
measured pace is held are either the limit's (the pace is over it) or background
(a flaky gateway, injected faults); a lower pace tells which: held once more a
little under the accepted rate, a limit's 429s end and background goes on. Only
then is their share taken as background: the thresholds sit above it (with two
standard deviations of chance, of a 3% background before one is measured) and
the measurements discount it, so such 429s do not ratchet the pace down, and the
pace goes back up by the share the lower one did not end.

**What the server says.** ``Retry-After`` on a 429 is a floor for that
request's retry (:class:`~ob_async._restore.retry.Backoff`); one of at least
``pause_threshold`` seconds pauses every send until it passes, as the server is
then refusing the client as a whole rather than pacing it. ``X-RateLimit-*`` /
``RateLimit-*`` headers, when a server sends them: a remaining count of 0 with a
reset time pauses every send until the reset; a policy with a window
(``RateLimit-Policy: 40;w=1``, or the same form in ``X-RateLimit-Limit``) sets a
ceiling the pace never probes above, followed at once when it changes.

**Sharing it.** Sends are paced evenly at the current rate (GCRA, with
``burst`` seconds of slack so that a busy event loop does not lose slots), and
requests that wait are released in priority order
(:class:`~ob_async._http.priority.Priority`): the reads that decide a restore's
state (the coalesced tenant lists, the validation read) first, then everything
else, then new submissions, which use what is left. A drill therefore looks at
every restore in progress on schedule even while a thousand submissions queue
for the same budget. The priority of a request comes from the context
(:class:`~ob_async._http.priority.request_class`), so the API layer needs no
extra parameter.

**Compared with botocore's adaptive mode** (``botocore/retries/adaptive.py``,
``throttling.py``, ``bucket.py``): botocore measures the rate the client *sent*
(smoothed over half-second buckets), and on a throttle cuts the bucket's fill
rate to 0.7 times it, then regrows along a CUBIC curve towards the rate of the
last cut, capped at twice the measured send rate; its token bucket makes every
caller wait in arrival order. On this workload (thousands of requests against
one fixed per-account limit) that costs three ways: each cut falls 30% below the
limit and the cubic regrowth overshoots it again, so the pace oscillates well
below the limit on average, with a burst of 429s at each peak; the send rate it
measures during a burst of 429s says nothing about the limit; and a list call
that decides whether a restore is ONLINE queues behind every pending
submission, which is what stretched the measured recovery times. Ours measures
the server's accepted rate (the limit itself), sits 3% under it, probes by a few
percent, and serves state reads first. ``benchmarks/ratelimit.py`` measures ours on
that workload (``benchmarks/RESULTS.md``: all of a 40/s limit used, 2.9% 429s;
the AIMD limiter this replaced, which cut to half the sent rate, used 0.86 of it
with 5.3%); botocore's own limiter was not run against it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import math
from collections.abc import Mapping

import attrs

from ob_async._clock import SYSTEM_CLOCK, Clock
from ob_async._http.limit_headers import read_limit_headers
from ob_async._http.priority import Priority
from ob_async._validators import factor, fraction, non_negative, positive
from ob_async._wire.envelope import parse_retry_after

logger = logging.getLogger("ob_async.throttle")

MIN_SAMPLE = 20
"""Fewer answers than this are judged as if there were this many (unthrottled only)."""

RUN = 5
"""This many 429s in a row engage the limiter at once (unthrottled only)."""
UNMEASURED = 0.03
"""The background share chance is allowed for before a probe's 429s are taken for a
limit, or a window's for a reason not to probe, even while none is measured: two 429s
among 49 answers are a 3% background's as often as not, and a pace cut for them at 20
requests/s crept back up through windows that one stray 429 kept from counting."""
MEASURE_ANSWERS = 40
"""Accepted answers behind a measurement of a small excess over the limit."""
AGREES = 0.1
"""A first reading of the limit this close to the last measurement is taken for it:
the limit has not moved, and waiting for 40 answers cost six 429s a probe at 40/s."""

_SLOT = 0.1
"""Seconds per counting slot."""
_SLOTS = 128
"""Slots kept (12.8 s): longer than any window a measurement covers."""


@attrs.frozen(kw_only=True)
class ThrottleConfig:
    """The limiter's settings (see the module docstring for what each one does)."""

    enabled: bool = True
    throttle_share: float = attrs.field(default=0.1, validator=fraction)
    """Unthrottled, 429s must be this share of the last window's answers to count as a limit."""
    window: float = attrs.field(default=1.0, validator=positive)
    """Seconds of answers behind a decision."""
    headroom: float = attrs.field(default=0.97, validator=factor)
    """The pace, as a fraction of the server's measured rate."""
    hold: float = attrs.field(default=3.0, validator=non_negative)
    """Seconds a measured pace is held before it is probed upwards."""
    measure_min: float = attrs.field(default=0.25, validator=positive)
    """Seconds of answers, at least, behind a measurement that lowers the pace again."""
    probe_start: float = attrs.field(default=0.02, validator=positive)
    probe_max: float = attrs.field(default=0.5, validator=positive)
    busy_share: float = attrs.field(default=0.9, validator=fraction)
    """The pace grows only when the client sent at least this share of it."""
    min_rate: float = attrs.field(default=0.5, validator=positive)
    """Requests per second the limiter never goes below (the pacing divides by it)."""
    burst: float = attrs.field(default=0.1, validator=non_negative)
    """Seconds of slack in the pacing (sends that may go at once after a pause)."""
    release_after: float = attrs.field(default=30.0, validator=non_negative)
    pause_threshold: float = attrs.field(default=2.0, validator=non_negative)
    """A ``Retry-After`` at least this long pauses every send, not just the refused one."""
    honour_headers: bool = True
    """Read ``X-RateLimit-*`` / ``RateLimit-*`` headers of answers."""


class AdaptiveRateLimiter:
    """The send pace shared by all calls of one client; see the module docstring."""

    def __init__(
        self, config: ThrottleConfig | None = None, *, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.config = config or ThrottleConfig()
        self._clock = clock
        self.rate: float | None = None
        """Allowed requests per second, or None when unthrottled."""
        self.ceiling: float | None = None
        """A rate the server announced (rate-limit headers): never probed above."""
        self.paused_until = -math.inf
        self._tat = -math.inf  # GCRA theoretical arrival time of the next send
        self._changed_at = clock.monotonic()
        self._last_throttle = -math.inf
        self._hold_until = -math.inf
        self._trigger_share = 0.0
        """The 429 share of the answers that caused the last decrease."""
        self._found = math.inf
        self._first_answer = math.inf
        self._hold_judged = True
        self._run = 0
        """429s in a row, the last answers."""
        self._limit = math.inf
        """The limit's accepted rate as last measured (after its first 429)."""
        self._tested: tuple[float, float] | None = None
        """The pace and 429 share of a hold that saw refusals, while a lower pace tests
        whether they are this client's (they end) or background (they go on)."""
        self.background = 0.0
        """The 429 share while the pace was held at a measured limit: refusals that are
        not this client's pace (injected faults, a flaky gateway), which the thresholds
        sit above and the measurements discount."""
        """The pace the last decrease set: above it, the pace is probing."""
        self._step = self.config.probe_start
        # Counting slots of _SLOT seconds: sends, accepted answers, 429 answers.
        self._sent = [0] * _SLOTS
        self._ok = [0] * _SLOTS
        self._throttled = [0] * _SLOTS
        self._slot = _slot_of(self._changed_at)
        self._queue: list[tuple[int, int, float, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._pump: asyncio.Task[None] | None = None
        self.throttle_events = 0
        self.decreases = 0
        self.increases = 0
        self.waited = dict.fromkeys(Priority, 0.0)
        """Seconds requests of each priority spent waiting for their turn, in all."""

    # --- counting -----------------------------------------------------------------

    def _advance(self, now: float) -> int:
        slot = _slot_of(now)
        if slot != self._slot:
            for number in range(self._slot + 1, min(slot, self._slot + _SLOTS) + 1):
                index = number % _SLOTS
                self._sent[index] = self._ok[index] = self._throttled[index] = 0
            self._slot = slot
        return slot % _SLOTS

    def _measured_since(self, now: float) -> tuple[float, float]:
        """The start and length of what was counted since the last change of pace."""
        span = min(now - self._changed_at, (_SLOTS - 2) * _SLOT)
        return now - span, span

    def _since(self, counts: list[int], since: float) -> int:
        first = max(_slot_of(since), self._slot - _SLOTS + 1)
        return sum(counts[number % _SLOTS] for number in range(first, self._slot + 1))

    def _after_first_refusal(self, now: float, since: float) -> tuple[int, float] | None:
        """Accepted answers, and the seconds they took, from the first 429 counted since
        ``since`` on; None without a 429, or when that is less than ``measure_min``.

        Before its first 429, a token bucket also spends what it saved while the pace
        was under it (up to its burst, a second of the limit at the simulator), so the
        accepted rate over a whole span overstates the limit, by 8-16% in the
        benchmark's probes; once it refuses, it is empty, and what it accepts from then
        on is its rate.
        """
        first = max(_slot_of(since), self._slot - _SLOTS + 1)
        for number in range(first, self._slot + 1):
            if self._throttled[number % _SLOTS]:
                start = (number + 1) * _SLOT
                span = now - start
                if span < self.config.measure_min:
                    return None
                return self._since(self._ok, start), span
        return None

    def _limit_measured(self, now: float, since: float) -> float | None:
        """The limit's accepted rate, read from its first 429 on (see above), or None."""
        counted = self._after_first_refusal(now, since)
        return None if counted is None else counted[0] / counted[1]

    def _beyond_background(
        self, throttled: int, answers: int, margin: float, *, unmeasured: float = 0.0
    ) -> bool:
        """More 429s among ``answers`` than the background share gives by chance, by
        ``margin`` of the answers at least (two standard deviations of chance on top,
        of a background of ``unmeasured`` at least: one not yet measured may be there)."""
        share = self.background
        spread = max(share, unmeasured)
        chance = 2.0 * math.sqrt(answers * spread * (1.0 - spread))
        return throttled > answers * (share + margin) + chance

    # --- sending ------------------------------------------------------------------

    def admit(self) -> bool:
        """Count a send that needs no wait and return True; False when :meth:`acquire` must run.

        The synchronous fast path of ``acquire``: unthrottled, the two are the same.
        """
        if self.rate is not None:
            return False
        now = self._clock.monotonic()
        if now < self.paused_until:
            return False
        self._sent[self._advance(now)] += 1
        return True

    async def acquire(self, priority: Priority = Priority.NORMAL) -> None:
        """Wait for this request's turn under the current pace, ``priority`` first."""
        now = self._clock.monotonic()
        if not self._queue and self._may_send(now):
            self._take(now)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._queue, (int(priority), next(self._order), now, future))
        if self._pump is None or self._pump.done():
            self._pump = asyncio.get_running_loop().create_task(
                self._run_pump(), name="ob-async throttle"
            )
        await future
        self.waited[priority] += self._clock.monotonic() - now

    def _may_send(self, now: float) -> bool:
        if now < self.paused_until:
            return False
        return self.rate is None or now >= self._tat - self.config.burst

    def _take(self, now: float) -> None:
        self._sent[self._advance(now)] += 1
        if self.rate is not None:
            self._tat = max(self._tat, now) + 1.0 / self.rate

    def _next_turn(self, now: float) -> float:
        turn = self.paused_until
        if self.rate is not None:
            turn = max(turn, self._tat - self.config.burst)
        return max(0.0, turn - now)

    async def _run_pump(self) -> None:
        """Release waiting requests one turn at a time, the highest priority first."""
        queue = self._queue
        while queue:
            if queue[0][3].done():  # cancelled while waiting
                heapq.heappop(queue)
                continue
            now = self._clock.monotonic()
            wait = self._next_turn(now)
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
        if not self.config.enabled:
            return
        now = self._clock.monotonic()
        index = self._advance(now)
        if self._first_answer == math.inf:
            self._first_answer = now
        if status == 429:
            self._throttled[index] += 1
            self._run += 1
            self._on_throttle(now, headers)
        elif status != 401:  # a challenge is answered before any rate limit is counted
            self._ok[index] += 1
            self._run = 0
            if self.rate is not None:
                self._on_success(now)
        if headers is not None and self.config.honour_headers:
            self._read_limit_headers(now, headers)

    def _on_throttle(self, now: float, headers: Mapping[str, str] | None) -> None:
        self.throttle_events += 1
        self._last_throttle = now
        config = self.config
        retry_after = parse_retry_after(headers.get("Retry-After")) if headers else None
        if retry_after is not None and retry_after >= config.pause_threshold:
            self.paused_until = max(self.paused_until, now + retry_after)
        if self.rate is None:
            self._engage(now)
        else:
            self._on_throttle_paced(now)

    def _engage(self, now: float) -> None:
        """Unthrottled: pace from now on if these 429s are a rate limit's."""
        config = self.config
        # Counted over a whole window even when the client began more recently: a
        # limit is usually met first as a bucket's burst running out, which answered
        # faster than the limit allows.
        since = now - config.window
        throttled = self._since(self._throttled, since)
        answers = self._since(self._ok, since) + throttled
        # Within the first window, only a share a rate limit's burst running out gives.
        needed = config.throttle_share if now - self._first_answer >= config.window else 0.25
        # Among fewer than MIN_SAMPLE answers a share means little (two of ten is as
        # likely chance): only one chance does not give, as in the throttled branch.
        if answers < MIN_SAMPLE:
            needed = max(needed * MIN_SAMPLE / max(answers, 1), 0.5)
        # A bucket that runs dry refuses every request in a row, which random refusals
        # do not (five in a row at 3% of answers: once in 40 million): waiting for a
        # quarter of the window let every worker of a 64-wide drill meet its 429.
        if throttled < needed * answers and self._run < RUN:
            return  # a stray 429 among many successes is not a limit
        limit = self._limit_measured(now, since) or (answers - throttled) / config.window
        self._decrease(now, limit, throttled / answers)

    def _on_throttle_paced(self, now: float) -> None:
        """Paced: lower the pace if these 429s say it is over the limit."""
        assert self.rate is not None
        config = self.config
        since, span = self._measured_since(now)
        if span < config.measure_min:
            return  # too little since the last change to measure anything new
        throttled = self._since(self._throttled, since)
        accepted = self._since(self._ok, since)
        share = throttled / (accepted + throttled)
        if throttled < 2 or (accepted + throttled < MIN_SAMPLE and share < 0.5):
            return  # too few answers to tell a limit from chance
        if now < self._hold_until and share < max(0.2, 1.5 * self._trigger_share):
            return  # the pace just set is being held; only a clear change moves it
        if now >= self._hold_until and not self._hold_judged:
            self._judge_hold(now)
            return
        # Above the pace last measured, any share of 429s over the background means the
        # probe found the limit; at or under it, only a share that could not be chance.
        margin = 0.01 if self._probing else config.throttle_share
        if not self._beyond_background(
            throttled, accepted + throttled, margin, unmeasured=UNMEASURED
        ):
            return
        limit = self._limit_of_excess(now, since, share)
        if limit is None:
            return  # the bucket has only just run dry: too soon to read its rate
        self._decrease(now, min(self.rate, limit / (1.0 - self.background)), share)
        self._limit = limit

    def _limit_of_excess(self, now: float, since: float, share: float) -> float | None:
        """The limit that 429s over the pace (``share`` of the answers) show, or None.

        A clear excess is read at once, a small one once its rate is known closely
        (over :data:`MEASURE_ANSWERS` answers: a count of 12 is off by one in 12, and a
        pace 8% over the limit held 3 s refuses 3% of it), unless a first reading finds
        the limit where it was last measured.
        """
        counted = self._after_first_refusal(now, since)
        if counted is None:
            return None
        accepted, span = counted
        limit = accepted / span
        if share < 0.2 and accepted < MEASURE_ANSWERS and span < 2 * self.config.window:
            return self._limit if abs(limit - self._limit) <= AGREES * self._limit else None
        return limit

    def _judge_hold(self, now: float) -> None:
        """What the 429s while the pace was held say: none, the pace is under the limit;
        some, the pace is over the limit by their share, or they are background (a
        flaky gateway, injected faults). Which one, a lower pace tells: a limit's end,
        background goes on, and only then is its share taken as background."""
        self._hold_judged = True
        since, _ = self._measured_since(now)
        tested, self._tested = self._tested, None
        if tested is None:
            # Only the hold's second half: answers to what was sent before the pace was
            # set (a cold burst's first wave) arrive in the first, and are the limit's.
            since = max(since, self._hold_until - self.config.hold / 2)
        throttled = self._since(self._throttled, since)
        answers = throttled + self._since(self._ok, since)
        share = throttled / answers if answers >= MIN_SAMPLE else 0.0
        assert self.rate is not None
        if tested is not None:
            # Under a token bucket, a pace under the limit is never refused: any 429 of
            # the whole test says a lower pace did not end them, so they are background.
            pace, before = tested
            self.background = min(throttled / max(answers, 1), 0.5)
            if throttled:
                # The share the lower pace did end was the limit's; the pace goes back
                # up to what that leaves.
                self._found = max(self.rate, pace * (1.0 - max(0.0, before - self.background)))
                self._set_rate(now, self._found)
                self._limit = math.inf
        elif self._beyond_background(throttled, answers, 0.0):
            # Until now such a share was taken for background, and the limit's own
            # refusals at a pace measured a little over it (8-16% in the benchmark)
            # then held the pace over the limit: 5.4% of all answers refused.
            pace = self.rate
            limit = self._limit_measured(now, since) or (answers - throttled) / (now - since)
            self._decrease(now, min(pace, limit / (1.0 - self.background)), share)
            self._tested = (pace, share)
            self._limit = limit / (1.0 - self.background)  # unless the test says background
            logger.debug("hold at %.2f/s saw %d 429s of %d: tested", pace, throttled, answers)
            return
        logger.debug(
            "hold judged at %.2f/s: background %.3f (%d 429s of %d)",
            self.rate,
            self.background,
            throttled,
            answers,
        )

    @property
    def _probing(self) -> bool:
        return self.rate is not None and self.rate > self._found * 1.001

    def _decrease(self, now: float, measured: float, share: float) -> None:
        rate = self._capped(max(self.config.min_rate, measured * self.config.headroom))
        self._set_rate(now, rate)
        self._found = rate
        self.decreases += 1
        self._step = self.config.probe_start
        self._hold_until = now + self.config.hold
        self._hold_judged = False
        self._trigger_share = share
        self._tested = None
        logger.debug(
            "pace %.2f/s: measured %.2f/s, 429 share %.3f, background %.3f",
            rate,
            measured,
            share,
            self.background,
        )

    def _set_rate(self, now: float, rate: float) -> None:
        self.rate = rate
        self._restart_measurement(now)

    def _restart_measurement(self, now: float) -> None:
        # From the next counting slot: the current one holds answers to the old pace.
        self._changed_at = (_slot_of(now) + 1) * _SLOT

    def _on_success(self, now: float) -> None:
        assert self.rate is not None
        config = self.config
        if now - self._last_throttle >= config.release_after and self.ceiling is None:
            self.rate = None
            logger.debug("unthrottled: no 429 for %g s", config.release_after)
            return
        if now < self._hold_until:
            return
        if not self._hold_judged:
            self._judge_hold(now)
            return
        since, span = self._measured_since(now)
        if span < config.window:
            return
        throttled = self._since(self._throttled, since)
        answers = throttled + self._since(self._ok, since)
        # Over the limit last measured, one 429 more than the background is the limit's
        # bucket running dry under a probe: the next step would go far over it.
        over = self.rate > self._found / config.headroom
        if self._beyond_background(
            throttled,
            answers,
            0.01 if self._probing else config.throttle_share,
            unmeasured=0.0 if over else UNMEASURED,
        ):
            return
        # The last window only: a client that has just gone idle taught nothing.
        sent = self._since(self._sent, now - config.window)
        if sent < config.busy_share * self.rate * config.window:
            # The client did not need the pace it had: nothing was learnt about the limit.
            self._restart_measurement(now)
            return
        grown = self._capped(self.rate * (1.0 + self._step))
        if grown > self.rate:
            # Over the limit last measured, a bucket's savings hide the limit a while:
            # steps grow more slowly there, so that a probe goes less far past it.
            faster = 1.5 if grown > self._found / config.headroom else 2.0
            self._step = min(config.probe_max, self._step * faster)
            self.increases += 1
            logger.debug("pace %.2f/s: probing (%d 429s of %d)", grown, throttled, answers)
        self._set_rate(now, grown)

    def _read_limit_headers(self, now: float, headers: Mapping[str, str]) -> None:
        announced = read_limit_headers(headers)
        if announced.pause is not None:
            self.paused_until = max(self.paused_until, now + announced.pause)
        if announced.ceiling is None or announced.ceiling == self.ceiling:
            return
        self.ceiling = announced.ceiling
        # The server said what it allows: pace just under it, at once.
        self._set_rate(now, max(self.config.min_rate, self._capped(announced.ceiling)))

    def _capped(self, rate: float) -> float:
        """``rate``, but under an announced ceiling by the pacing's own slack."""
        if self.ceiling is None:
            return rate
        return min(rate, self.ceiling * (1.0 - self.config.probe_start / 2))


def _slot_of(moment: float) -> int:
    """The counting slot ``moment`` falls in; a slot's own start (16.2, which divides
    to 161.99999999999997) falls in that slot, not the one before, whose answers a
    measurement from that start then counted (a limit of 40/s measured at 54)."""
    return math.floor(moment / _SLOT + 1e-6)
