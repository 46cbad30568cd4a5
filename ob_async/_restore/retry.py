"""The retry policy: which failures to retry, how long to wait, and what the budget allows.

Tenacity runs the loop, every attempt included, through its public API: each call
gets a ``tenacity.AsyncRetrying`` of its own (:meth:`RetryRun.call`), composed of
tenacity's strategies and a few small ones of ours, in the manner of botocore's
standard retry mode (a checker, a backoff, a quota):

- :class:`RetryChecker` decides whether a failure is worth another attempt
  (transport failures, 429, 500/502/503/504, gateway pages), and whether it is
  *ambiguous*: the server may have acted on the request, so a non-idempotent
  call must be reconciled before it is sent again. It is tenacity's ``retry``
  (``retry_if_exception``); only an :class:`~ob_async.errors.ObError` is retried.
- :class:`Backoff` is tenacity's ``wait``: exponential with full jitter, the
  server's ``Retry-After`` honoured as a floor (capped).
- The limits are tenacity's ``stop``: ``stop_after_attempt``, joined with the
  deadline, which counts the wait before the next attempt as tenacity's own
  ``stop_before_delay`` does (``upcoming_sleep``, tenacity 8.3 and later), but on
  the call's :class:`~ob_async._clock.Clock`, so that a fake clock in tests sees
  the same decisions.
- :class:`RetryQuota` is the budget shared by every call of one client: a token
  bucket that retries drain and successes refill, so that an outage does not
  multiply the load on the API.

**Why the budget is charged in before_sleep.** Tenacity calls ``before_sleep``
once for each retry it has decided on, after its ``retry``, ``wait`` and ``stop``
strategies have all agreed to it, and before anything else happens. Charged
there, the budget pays for exactly the retries that happen, whatever order
tenacity evaluates its strategies in (the order has changed before: 8.3 moved
``wait`` ahead of ``stop``). Charged in a ``stop`` strategy joined to the others
with ``|``, it would be right only while tenacity asks them in the order written
and stops at the first that says stop; charged in the ``retry`` predicate, it
would pay for retries that the attempt limit or the deadline then forbid. When
the budget cannot pay, ``before_sleep`` raises the attempt's own failure, which
tenacity passes to the caller as it is: no sleep, no further attempt, no
``RetryError`` (as with ``reraise=True`` when a limit stops the call).

:class:`RetryPolicy` holds the limits and strategies of one kind of call;
:meth:`RetryPolicy.start` gives a :class:`RetryRun` per call, which holds what is
the call's own (its clock and the start of its deadline, the quota, the random
source, the caller's ``before_sleep``, what its last retry cost). Nothing of
tenacity's is shared between calls. ``before_sleep`` hears a
:class:`PendingRetry`; tenacity's own types stay inside this module.

Adaptive throttling of the send rate lives in :mod:`ob_async._http.throttle`.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import TypeVar, TypeVarTuple, cast

import attrs
import tenacity

from ob_async._clock import SYSTEM_CLOCK, Clock
from ob_async._validators import at_least_one, non_negative, non_negative_int, positive_or_none
from ob_async.errors import (
    ObError,
    ProtocolError,
    ServerError,
    ThrottledError,
    TransportError,
    TransportTimeout,
)

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

RETRYABLE_SERVER_STATUSES = frozenset({500, 502, 503, 504})
# A 503 or 429 says the server did not take the work on; a 500 or a gateway failure
# may come after the backend acted.
_NOT_PROCESSED_STATUSES = frozenset({429, 503})


@attrs.frozen(kw_only=True)
class RetryChecker:
    """Classifies failures: retryable or not, ambiguous or not."""

    retryable_statuses: frozenset[int] = RETRYABLE_SERVER_STATUSES

    def is_retryable(self, error: BaseException) -> bool:
        if isinstance(error, TransportError | ThrottledError):
            return True
        if isinstance(error, ServerError):
            return error.status in self.retryable_statuses
        if isinstance(error, ProtocolError):
            # Garbage under a 429/5xx status is a gateway talking; garbage under 200
            # is a damaged answer from the API, as transient as a reset.
            return error.is_gateway_failure or error.status is None or 200 <= error.status < 300
        return False

    def is_ambiguous(self, error: BaseException) -> bool:
        """Whether the server may have acted on the request that ended in ``error``."""
        if isinstance(error, TransportError):
            return error.may_have_reached_server
        if isinstance(error, ProtocolError) and error.unprocessed:
            return False
        if isinstance(error, ServerError | ProtocolError):
            return error.status not in _NOT_PROCESSED_STATUSES
        return False

    @staticmethod
    def is_timeout(error: BaseException) -> bool:
        """Whether ``error`` is a timeout (by its type: the message may say anything)."""
        return isinstance(error, TransportTimeout)


@attrs.frozen(kw_only=True)
class Backoff:
    """Exponential backoff with full jitter; ``Retry-After`` is a floor, capped.

    The wait before retry *n* (1-based) is ``uniform(0, min(cap, base * 2**(n-1)))``,
    raised to the server's ``Retry-After`` when that is larger, but never above
    ``retry_after_cap``.
    """

    base: float = attrs.field(default=0.5, validator=non_negative)
    cap: float = attrs.field(default=20.0, validator=non_negative)
    retry_after_cap: float = attrs.field(default=60.0, validator=non_negative)

    def delay(
        self, retry_number: int, error: BaseException | None, rng: Callable[[], float]
    ) -> float:
        ceiling = min(self.cap, self.base * 2.0 ** (retry_number - 1))
        wait = rng() * ceiling
        hint = getattr(error, "retry_after", None)
        if isinstance(hint, int | float):
            wait = max(wait, min(float(hint), self.retry_after_cap))
        return wait


@attrs.frozen(eq=False)
class RetryQuota:
    """A client-wide retry budget (a token bucket, as botocore's standard mode).

    Every retry costs ``retry_cost`` tokens (``timeout_cost`` after a timeout);
    a call that succeeds first time refunds ``success_refund``, one that
    succeeds after retries refunds what its last retry cost. With the bucket
    empty, failures are returned to the caller instead of retried.

    The defaults (500 tokens, 2 per retry, 1 back per success) sustain retrying
    while fewer than about a third of requests fail, as a flaky network or a
    busy API does; beyond that — an outage — the budget drains within a few
    hundred requests and retries stop multiplying the load. (botocore charges 5
    per retry; restore drills meet more transient failures than most callers.)

    The sizes are fixed once built (and validated then); the tokens, shared by
    every call of a client, are the bucket's mutable state.
    """

    capacity: int = attrs.field(default=500, validator=non_negative_int)
    retry_cost: int = attrs.field(default=2, kw_only=True, validator=non_negative_int)
    timeout_cost: int = attrs.field(default=4, kw_only=True, validator=non_negative_int)
    success_refund: int = attrs.field(default=1, kw_only=True, validator=non_negative_int)
    _tokens: _Tokens = attrs.field(init=False)

    @_tokens.default
    def _full(self) -> _Tokens:
        return _Tokens(self.capacity)

    @property
    def available(self) -> int:
        """Tokens left; starts full."""
        return self._tokens.available

    @property
    def refused(self) -> int:
        """Retries the budget refused."""
        return self._tokens.refused

    def acquire(self, *, timeout: bool) -> int:
        """Take the cost of one retry; 0 (and nothing taken) if the budget is spent
        (:meth:`charge` tells that apart from a free retry)."""
        return self.charge(timeout=timeout) or 0

    def release(self, spent: int) -> None:
        """A call succeeded; ``spent`` is what its last retry cost (0 if none)."""
        tokens = self._tokens
        tokens.available = min(self.capacity, tokens.available + (spent or self.success_refund))

    def charge(self, *, timeout: bool) -> int | None:
        """Take the cost of one retry and return it; None if the budget cannot pay.

        (A retry whose cost is 0 is free, and never refused.)
        """
        cost = self.timeout_cost if timeout else self.retry_cost
        tokens = self._tokens
        if cost > tokens.available:
            tokens.refused += 1
            return None
        tokens.available -= cost
        return cost


@attrs.define
class _Tokens:
    """The mutable state of a :class:`RetryQuota`."""

    available: int
    refused: int = 0


@attrs.frozen(kw_only=True)
class PendingRetry:
    """A retry about to happen, as ``before_sleep`` hears of it."""

    attempt: int
    """The number (1-based) of the attempt that failed."""
    error: ObError
    """How it failed (only an ``ObError`` is ever retried)."""
    wait: float
    """Seconds until the next attempt starts."""


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Limits and strategies of one kind of call; :meth:`start` one run per call."""

    max_attempts: int = attrs.field(default=6, validator=at_least_one)
    deadline: float | None = attrs.field(default=300.0, validator=positive_or_none)
    """Seconds from the first attempt after which no new attempt starts."""
    checker: RetryChecker = attrs.field(factory=RetryChecker)
    backoff: Backoff = attrs.field(factory=Backoff)

    def start(
        self,
        *,
        quota: RetryQuota | None = None,
        clock: Clock = SYSTEM_CLOCK,
        rng: Callable[[], float] = random.random,
        before_sleep: Callable[[PendingRetry], None] | None = None,
    ) -> RetryRun:
        """Begin one call, bound to this policy and the shared quota."""
        return RetryRun(self, quota=quota, clock=clock, rng=rng, before_sleep=before_sleep)

    async def call(
        self,
        operation: Callable[[], Awaitable[T]],
        *,
        quota: RetryQuota | None = None,
        clock: Clock = SYSTEM_CLOCK,
        rng: Callable[[], float] = random.random,
    ) -> T:
        """Run an idempotent call (a read, a delete) under this policy: one run,
        refunded to the quota when it succeeds."""
        run = self.start(quota=quota, clock=clock, rng=rng)
        result = await run.call(operation)
        run.succeeded()
        return result


class RetryRun:
    """The retry state of one call: await :meth:`call` once, then :meth:`succeeded`."""

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        quota: RetryQuota | None,
        clock: Clock,
        rng: Callable[[], float],
        before_sleep: Callable[[PendingRetry], None] | None,
    ) -> None:
        self.policy = policy
        self._quota = quota
        self._clock = clock
        self._rng = rng
        self._before_sleep = before_sleep
        self._last_cost = 0
        """What the latest retry of this call cost (refunded in full on success)."""

    async def call(self, attempt: Callable[[*Ts], Awaitable[T]], *args: *Ts) -> T:
        """Run ``attempt(*args)`` until it succeeds, fails for good, or the limits say stop.

        Raises the last attempt's exception when no retry follows it; only an
        ``ObError`` that the policy's checker calls retryable is tried again.
        """
        policy = self.policy
        stop: tenacity.stop.stop_base = tenacity.stop_after_attempt(policy.max_attempts)
        if policy.deadline is not None:
            stop = stop | _StopBeforeDeadline(policy.deadline, self._clock)
        retrying = tenacity.AsyncRetrying(
            retry=tenacity.retry_if_exception(self._is_retryable),
            wait=self._wait,
            stop=stop,
            sleep=self._clock.sleep,
            before_sleep=self._pay_for_retry,
            reraise=True,
        )

        async def attempt_once() -> T:
            # A coroutine function: tenacity 9 awaits what it calls only when it is one,
            # and callers pass lambdas that return awaitables too.
            return await attempt(*args)

        try:
            return cast("T", await retrying(attempt_once))
        finally:
            # Tenacity's machine is a reference cycle (it keeps its own bound methods in
            # its per-thread state), freed only at the garbage collector's next pass: the
            # run lets go of the caller's hook, and so of the caller's objects, at once.
            self._before_sleep = None

    def succeeded(self) -> None:
        """Refill the quota: the call succeeded (after what its last retry cost, if any)."""
        if self._quota is not None:
            self._quota.release(self._last_cost)

    # --- the strategies tenacity calls, bound to this call --------------------------

    def _is_retryable(self, error: BaseException) -> bool:
        return isinstance(error, ObError) and self.policy.checker.is_retryable(error)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        return self.policy.backoff.delay(state.attempt_number, _failure(state), self._rng)

    def _pay_for_retry(self, state: tenacity.RetryCallState) -> None:
        """Charge the budget for the retry tenacity has decided on, then tell the caller.

        Raises the attempt's failure instead when the budget cannot pay (see the
        module's docstring for why here).
        """
        error = _failure(state)
        assert isinstance(error, ObError)  # tenacity sleeps only after a failure it retries
        if self._quota is not None:
            cost = self._quota.charge(timeout=self.policy.checker.is_timeout(error))
            if cost is None:
                raise error
            self._last_cost = cost
        if self._before_sleep is not None:
            wait = state.upcoming_sleep
            self._before_sleep(PendingRetry(attempt=state.attempt_number, error=error, wait=wait))


class _StopBeforeDeadline(tenacity.stop.stop_base):
    """Stop when the next attempt would start ``deadline`` seconds or more after the first.

    tenacity's ``stop_before_delay``, on the call's clock (tenacity measures on its
    own ``time.monotonic``); built when the call starts, which starts its deadline.
    """

    def __init__(self, deadline: float, clock: Clock) -> None:
        self._deadline = deadline
        self._clock = clock
        self._started = clock.monotonic()

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        resume_at = self._clock.monotonic() + retry_state.upcoming_sleep
        return resume_at - self._started >= self._deadline


def _failure(state: tenacity.RetryCallState) -> BaseException | None:
    outcome = state.outcome
    if outcome is None or not outcome.failed:
        return None
    return outcome.exception()
