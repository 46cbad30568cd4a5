"""RetryRun.call (attempt 1 awaited before tenacity's loop is built) equals the loop run
by tenacity from attempt 1: same result or exception, same attempts, waits,
``before_sleep`` announcements, quota and clock, for any script of outcomes."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ob_async.errors import ClientError, ServerError, ThrottledError, TransportTimeout
from ob_async.restore.retry import Backoff, RetryPolicy, RetryQuota, RetryRun
from tests.support.fakes import FakeClock

OUTCOMES = ("ok", "server-503", "timeout", "throttled", "refused-400", "bug", "cancelled")


def make_outcome(kind: str, number: int) -> BaseException | str:
    if kind == "ok":
        return f"result of attempt {number}"
    if kind == "server-503":
        return ServerError("unavailable", status=503)
    if kind == "timeout":
        return TransportTimeout("read timed out", may_have_reached_server=True)
    if kind == "throttled":
        return ThrottledError("slow down", retry_after=float(number))
    if kind == "refused-400":
        return ClientError("bad", status=400)
    if kind == "bug":
        return KeyError("not an ObError")
    return asyncio.CancelledError()


def run_once(
    script: list[str],
    durations: list[float],
    policy: RetryPolicy,
    capacity: int | None,
    pick: Callable[[RetryRun], Callable[[Callable[[], Awaitable[str]]], Awaitable[str]]],
) -> dict[str, Any]:
    clock = FakeClock()
    quota = None if capacity is None else RetryQuota(capacity)
    heard: list[tuple[int, str, float]] = []
    draws = itertools.cycle((0.25, 0.9, 0.5, 0.0, 1.0))
    run = policy.start(
        quota=quota,
        clock=clock,
        rng=lambda: next(draws),
        before_sleep=lambda retry: heard.append((retry.attempt, repr(retry.error), retry.wait)),
    )
    calls = 0

    async def attempt() -> str:
        nonlocal calls
        outcome = make_outcome(script[min(calls, len(script) - 1)], calls + 1)
        clock.elapsed += durations[calls % len(durations)]  # the attempt takes time
        calls += 1
        await asyncio.sleep(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def main() -> tuple[str, str]:
        try:
            result = await pick(run)(attempt)
        except BaseException as error:  # the exception is the finding
            return "raised", f"{type(error).__name__}: {error!r}"
        run.succeeded()
        return "returned", result

    ending = asyncio.run(main())
    return {
        "ending": ending,
        "calls": calls,
        "sleeps": clock.sleeps,
        "heard": heard,
        "elapsed": clock.elapsed,
        "quota": None if quota is None else (quota.available, quota.refused),
    }


@settings(max_examples=300, deadline=None)
@given(
    script=st.lists(st.sampled_from(OUTCOMES), min_size=1, max_size=8),
    durations=st.lists(st.sampled_from((0.0, 0.5, 3.0, 40.0)), min_size=1, max_size=4),
    max_attempts=st.integers(1, 6),
    deadline=st.none() | st.sampled_from((1.0, 5.0, 30.0, 120.0)),
    capacity=st.none() | st.integers(0, 10),
)
def test_call_equals_the_loop_run_by_tenacity_from_attempt_1(
    script: list[str],
    durations: list[float],
    max_attempts: int,
    deadline: float | None,
    capacity: int | None,
) -> None:
    policy = RetryPolicy(
        max_attempts=max_attempts, deadline=deadline, backoff=Backoff(base=1.0, cap=8.0)
    )
    fast = run_once(script, durations, policy, capacity, lambda run: run.call)
    reference = run_once(
        script,
        durations,
        policy,
        capacity,
        lambda run: run._call_in_tenacity,  # the reference path
    )
    assert fast == reference


def test_a_failed_first_attempt_is_retried_by_tenacity_with_its_error_announced() -> None:
    # The case the property covers most often, spelled out: attempt 1's failure is
    # tenacity's attempt 1 (announced as such, charged to the quota), then it succeeds.
    policy = RetryPolicy(max_attempts=3, backoff=Backoff(base=1.0, cap=8.0))
    seen = run_once(["server-503", "ok"], [0.0], policy, 10, lambda run: run.call)
    assert seen["ending"] == ("returned", "result of attempt 2")
    assert seen["calls"] == 2
    assert [attempt for attempt, _, _ in seen["heard"]] == [1]
    assert seen["quota"] == (10, 0)  # 2 taken for the retry, refunded on success
