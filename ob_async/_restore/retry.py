"""The retry policy: which failures to retry, how long to wait, and whether the budget allows.

Tenacity does the looping, every attempt included; this module supplies its
strategies, each small and swappable, in the manner of botocore's standard retry mode:

- :class:`RetryChecker` decides whether a failure is worth another attempt
  (transport failures, 429, 500/502/503/504, gateway pages), and whether it is
  *ambiguous*: the server may have acted on the request, so a non-idempotent
  call must be reconciled before it is sent again.
- :class:`Backoff` computes the wait: exponential with full jitter, with the
  server's ``Retry-After`` honoured as a floor (capped).
- :class:`RetryQuota` is the budget shared by every call of one client: a token
  bucket that retries drain and successes refill, so an outage does not
  multiply the load on the API.
- :class:`RetryPolicy` holds the limits (attempts, overall deadline) and builds,
  once, the ``tenacity.Retrying`` that all its calls share; :meth:`RetryPolicy.start`
  gives a :class:`RetryRun` per call, which holds what is the call's own (the
  start of its deadline, its quota, clock, random source and ``before_sleep``),
  passes it to the strategies in tenacity's ``RetryCallState``, and awaits the
  attempts and sleeps that tenacity's state machine asks for. The attempt limit,
  the deadline and the quota are three tenacity stop strategies joined with
  ``|``, the quota last, so that it is charged only for retries that happen.
  ``before_sleep`` hears a :class:`PendingRetry`; tenacity's own types stay
  inside this module.

Adaptive throttling of the send rate lives in :mod:`ob_async._http.throttle`.
"""

from __future__ import annotations

import operator
import random
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, TypeVarTuple, cast

import attrs
import tenacity
from tenacity import DoAttempt, DoSleep

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

    The sizes are fixed once built (and validated then); the tokens are the
    bucket's state.
    """

    capacity: int = attrs.field(default=500, validator=non_negative_int)
    retry_cost: int = attrs.field(default=2, kw_only=True, validator=non_negative_int)
    timeout_cost: int = attrs.field(default=4, kw_only=True, validator=non_negative_int)
    success_refund: int = attrs.field(default=1, kw_only=True, validator=non_negative_int)
    # State in a plain slotted record rather than in fields of this class: a field
    # assignment goes through the validators attrs hooks onto every field of the
    # class, four Python calls on each successful call's refund.
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
        """Take the cost of one retry; 0 (and nothing taken) if the budget is spent."""
        cost = self.timeout_cost if timeout else self.retry_cost
        tokens = self._tokens
        if cost > tokens.available:
            tokens.refused += 1
            return 0
        tokens.available -= cost
        return cost

    def release(self, spent: int) -> None:
        """A call succeeded; ``spent`` is what its last retry cost (0 if none)."""
        tokens = self._tokens
        tokens.available = min(self.capacity, tokens.available + (spent or self.success_refund))


class _Tokens:
    """The mutable state of a :class:`RetryQuota`."""

    __slots__ = ("available", "refused")

    def __init__(self, available: int) -> None:
        self.available = available
        self.refused = 0

    def __repr__(self) -> str:
        return f"_Tokens(available={self.available}, refused={self.refused})"


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
    _machine: _Machine = attrs.field(init=False, repr=False, eq=False, hash=False)
    """The policy's tenacity machine, built once (after validation) and shared by its runs."""

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_machine", _Machine(self))

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
    """The retry state of one call: await :meth:`call` once, then :meth:`succeeded`.

    Every attempt, the first included, runs inside the policy's ``tenacity.Retrying``,
    whose stop strategy is ``stop_after_attempt | _StopAtDeadline | _StopWhenBudgetSpent``.
    Tenacity asks them in that order and stops at the first that says stop, so the
    budget is asked (and charged) only for a retry that the attempt limit and the
    deadline allow: tokens go only to retries that happen. What differs between
    calls (the start of the deadline, the quota, the clock, the random source,
    ``before_sleep``, what the last retry cost) lives here, and the strategies read
    it through the call's ``RetryCallState``.
    """

    __slots__ = ("_before_sleep", "_clock", "_last_cost", "_quota", "_rng", "_started", "policy")

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
        self._started = 0.0
        self._last_cost = 0
        """What the latest retry of this call cost (refunded in full on success)."""

    async def call(self, attempt: Callable[[*Ts], Awaitable[T]], *args: *Ts) -> T:
        """Run ``attempt(*args)`` until it succeeds, fails for good, or the limits say stop.

        Raises the last attempt's exception when no retry follows it; only an
        ``ObError`` that the policy's checker calls retryable is tried again.
        """
        retrying = self.policy._machine.retrying
        self._started = self._clock.monotonic()
        # Tenacity's own loop, as Retrying.__iter__ runs it (less its statistics, see
        # _SharedRetrying): tenacity's state machine (iter) decides every step,
        # including whether attempt 1 is retried, and this loop only awaits the
        # attempt and the sleep on the client's clock.
        # The synchronous machine, because AsyncRetrying wraps every strategy call in
        # a coroutine, which costs about 90 us a call (a quarter of a submission's
        # client CPU). It is also what makes sharing one Retrying between concurrent
        # calls safe: iter keeps its working state in a thread-local that it resets
        # on entry, and it never awaits, so no other task runs half-way through one.
        state = _CallState(retrying, self)
        while True:
            action = retrying.iter(retry_state=state)
            if isinstance(action, DoAttempt):
                del action  # each object held across the await is one more for the collector
                try:
                    result = await attempt(*args)
                except BaseException:  # tenacity decides: only a retryable ObError is retried
                    state.set_exception(sys.exc_info())  # type: ignore[arg-type]
                else:
                    state.set_result(result)
            elif isinstance(action, DoSleep):
                state.prepare_for_next_attempt()
                await self._clock.sleep(action)
            else:
                value: T = action  # the attempt's own result, as tenacity hands it back
                return value

    def succeeded(self) -> None:
        """Refill the quota: the call succeeded (after what its last retry cost, if any)."""
        if self._quota is not None:
            self._quota.release(self._last_cost)


_DO_ATTEMPT = DoAttempt()


class _CallState(tenacity.RetryCallState):
    """Tenacity's record of one call, carrying the :class:`RetryRun` it belongs to.

    It records each attempt's outcome as an :class:`_Outcome` rather than tenacity's
    own ``Future`` (see there why); otherwise as ``RetryCallState`` does.
    """

    def __init__(self, retrying: tenacity.Retrying, run: RetryRun) -> None:
        super().__init__(retrying, fn=None, args=(), kwargs={})
        self.run = run

    def set_result(self, val: object) -> None:
        self.outcome_timestamp = time.monotonic()
        self.outcome = _Outcome(self.attempt_number, val, None)

    def set_exception(self, exc_info: tuple[type[BaseException], BaseException, object]) -> None:
        self.outcome_timestamp = time.monotonic()
        self.outcome = _Outcome(self.attempt_number, None, exc_info[1])


class _Outcome(tenacity.Future):
    """An attempt's outcome, already settled: what tenacity reads of its ``Future``, only.

    Tenacity's ``Future`` is a ``concurrent.futures.Future``, whose ``__init__`` builds
    a ``threading.Condition`` and its lock for waiters that an outcome set at once never
    has: about 2 us of every call, a quarter of tenacity's cost per submission.
    Tenacity (8.3 to 9) reads an outcome only through ``failed``, ``exception()``,
    ``result()`` and ``attempt_number``, which this keeps; it stays a
    ``tenacity.Future`` for anything that checks the type.
    """

    def __init__(self, attempt_number: int, value: object, error: BaseException | None) -> None:
        # Not Future.__init__: that is the Condition this class exists to avoid.
        self.attempt_number = attempt_number
        self._value = value
        self._error = error

    @property
    def failed(self) -> bool:
        return self._error is not None

    def done(self) -> bool:
        return True

    def cancelled(self) -> bool:
        return False

    def exception(self, timeout: float | None = None) -> BaseException | None:
        return self._error

    def result(self, timeout: float | None = None) -> object:
        if self._error is not None:
            raise self._error
        return self._value

    def __repr__(self) -> str:  # Future's own reads the Condition (tenacity's RetryError shows it)
        if self._error is not None:
            return f"<{type(self).__name__} state=finished raised {type(self._error).__name__}>"
        return f"<{type(self).__name__} state=finished returned {type(self._value).__name__}>"


class _ThreadState(threading.local):
    """What tenacity keeps per thread, complete from a thread's first use (see below)."""

    def __init__(self) -> None:
        self.iter_state = tenacity.IterState()
        self.statistics: dict[str, Any] = {
            "start_time": time.monotonic(),
            "attempt_number": 1,
            "idle_for": 0,
            "delay_since_first_attempt": 0,
        }


class _SharedRetrying(tenacity.Retrying):
    """tenacity's synchronous machine, as every call of one policy shares it.

    The decisions are tenacity's own, made by its ``iter`` with the policy's
    strategies; on a call that succeeds first time the machinery around them cost
    more than the decisions, so three things are made cheaper:

    - :meth:`iter` gives tenacity's answer to a call not yet tried and to an attempt
      that returned itself (property-tested against tenacity's own), and hands every
      other question to tenacity.
    - ``iter_state`` (the working state of one ``iter``, per thread) was read 14 times
      a call, each time a Python property that checks the thread-local and then reads
      it (tenacity 9). Here each thread's state is complete from its first use
      (:class:`_ThreadState`), so the property is a C attribute read.
    - ``begin`` (not called: :meth:`RetryRun.call` runs the loop) resets
      ``statistics``, which describe one call only while a Retrying serves one call at
      a time. Shared by concurrent calls, they describe none of them, and nothing here
      reads them; tenacity still adds to them on a retry, so each thread's are
      complete from the start.
    """

    iter_state = property(operator.attrgetter("_local.iter_state"))
    statistics = property(operator.attrgetter("_local.statistics"))

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._local = _ThreadState()

    def __setstate__(self, state: dict[str, Any]) -> None:  # unpickled: a thread-local anew
        self.__dict__.update(state)
        self._local = _ThreadState()

    def iter(self, retry_state: tenacity.RetryCallState) -> Any:
        """tenacity's ``iter``, with its two commonest answers given at once.

        For a call not yet tried (and no ``before``) tenacity's answer is always "do
        an attempt"; for an attempt that returned and that the retry strategy does
        not want retried, it is always that attempt's result. tenacity builds, runs
        and discards a list of actions to say either (about two thirds of its cost on
        a call that succeeds first time); these are its answers, written out, and
        ``tests/test_fast_paths.py`` holds them equal to what tenacity's own ``iter``
        answers. Every other question (a failure, a retried result) goes to tenacity.
        """
        outcome = retry_state.outcome
        if outcome is None:
            before: object = self.before  # typed as always set, but None is allowed
            if before is None:
                return _DO_ATTEMPT
        elif not outcome.failed and not self.retry(retry_state):
            return outcome.result()
        return super().iter(retry_state)


def _run_of(state: tenacity.RetryCallState) -> RetryRun:
    return cast("_CallState", state).run


class _Machine:
    """One policy's ``tenacity.Retrying`` and strategies, built once and shared by its runs.

    Building them per call (a ``Retrying`` with its thread-local, three stops, two
    joins, the retry predicate) was most of the retry loop's cost on a call that
    succeeds first time. The strategies hold only what the policy fixes; a call's
    own values come from its :class:`RetryRun`.
    """

    def __init__(self, policy: RetryPolicy) -> None:
        self._checker = policy.checker
        self._backoff = policy.backoff
        stop: tenacity.stop.stop_base = tenacity.stop_after_attempt(policy.max_attempts)
        if policy.deadline is not None:
            stop = stop | _StopAtDeadline(policy.deadline)
        stop = stop | _StopWhenBudgetSpent(policy.checker)
        self.retrying = _SharedRetrying(
            retry=tenacity.retry_if_exception(self._is_retryable),
            wait=self._wait,
            stop=stop,
            # None, not tenacity's default before_nothing: one action less on every
            # attempt (tenacity 8.3 and 9 skip a before that is None).
            before=cast("Callable[[tenacity.RetryCallState], None]", None),
            before_sleep=self._announce,
            reraise=True,
        )

    def _is_retryable(self, error: BaseException) -> bool:
        return isinstance(error, ObError) and self._checker.is_retryable(error)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        return self._backoff.delay(state.attempt_number, _failure(state), _run_of(state)._rng)

    @staticmethod
    def _announce(state: tenacity.RetryCallState) -> None:
        before_sleep = _run_of(state)._before_sleep
        if before_sleep is None:
            return
        error = _failure(state)
        assert isinstance(error, ObError)  # tenacity sleeps only after a failure it retries
        before_sleep(
            PendingRetry(attempt=state.attempt_number, error=error, wait=state.upcoming_sleep)
        )


class _StopAtDeadline(tenacity.stop.stop_base):
    """Stop when the next attempt would start ``deadline`` seconds or more after the first.

    Measured on the call's clock from the moment its run began, not on tenacity's
    own ``time.monotonic``, so that tests on a fake clock see the same decisions; the
    wait before the next attempt is tenacity's ``upcoming_sleep`` (tenacity 8.3 and later).
    """

    def __init__(self, deadline: float) -> None:
        self._deadline = deadline

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        run = _run_of(retry_state)
        resume_at = run._clock.monotonic() + retry_state.upcoming_sleep
        return resume_at - run._started >= self._deadline


class _StopWhenBudgetSpent(tenacity.stop.stop_base):
    """Stop when the call's quota (if it has one) cannot pay for this retry; otherwise charge it."""

    def __init__(self, checker: RetryChecker) -> None:
        self._checker = checker

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        run = _run_of(retry_state)
        if run._quota is None:
            return False
        error = _failure(retry_state)
        timeout = error is not None and self._checker.is_timeout(error)
        run._last_cost = run._quota.acquire(timeout=timeout)
        return run._last_cost == 0


def _failure(state: tenacity.RetryCallState) -> BaseException | None:
    outcome = state.outcome
    if outcome is None or not outcome.failed:
        return None
    return outcome.exception()
