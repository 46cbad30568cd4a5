"""The project's one GCRA: the pace it keeps, and its two users (the adaptive limiter's
pacing and the batch's fixed submit cap) keeping it the same way."""

from __future__ import annotations

import asyncio
import itertools
import math
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from ob_async._http.priority import Priority
from ob_async._http.throttle import AdaptiveRateLimiter, ThrottleConfig
from ob_async._http.throttle.pacer import Gcra, RateCap
from tests.support.fakes import FakeClock

RATES = st.floats(min_value=0.01, max_value=1000.0)
TOLERANCES = st.floats(min_value=0.0, max_value=5.0)
GAPS = st.lists(st.floats(min_value=0.0, max_value=3.0), min_size=1, max_size=60)


def reserved(gcra: Gcra, gaps: list[float]) -> tuple[list[float], list[float]]:
    """The arrival and send moments of sends arriving ``gaps`` apart, each booked at once."""
    arrivals = list(itertools.accumulate(gaps))
    return arrivals, [moment + gcra.reserve(moment) for moment in arrivals]


@given(rate=RATES, tolerance=TOLERANCES, gaps=GAPS)
def test_sends_never_beat_the_rate_by_more_than_the_tolerance(
    rate: float, tolerance: float, gaps: list[float]
) -> None:
    arrivals, sends = reserved(Gcra(rate, tolerance=tolerance), gaps)
    for arrival, send in zip(arrivals, sends, strict=True):
        assert send >= arrival
    for (i, first), (j, later) in itertools.combinations(enumerate(sends), 2):
        # j - i sends after the i-th take (j - i) intervals, less the tolerance at most.
        assert later - first >= (j - i) / rate - tolerance - 1e-6 * (1 + later)
        assert later >= first  # booked in arrival order


@given(rate=RATES, tolerance=TOLERANCES, gaps=GAPS)
def test_a_send_waits_only_for_the_pace(rate: float, tolerance: float, gaps: list[float]) -> None:
    arrivals, sends = reserved(Gcra(rate, tolerance=tolerance), gaps)
    for index in range(1, len(sends)):
        if arrivals[index] >= sends[index - 1] + 1 / rate:
            assert sends[index] == arrivals[index]  # nothing outstanding: it goes at once


def test_a_burst_goes_at_once_then_one_per_interval() -> None:
    gcra = Gcra(10.0, tolerance=0.2)  # two intervals: three sends at once
    waits = [gcra.reserve(0.0) for _ in range(6)]
    assert [round(wait, 9) for wait in waits] == [0.0, 0.0, 0.0, 0.1, 0.2, 0.3]


def test_a_new_rate_keeps_the_slots_already_booked() -> None:
    gcra = Gcra(10.0)
    for _ in range(3):
        gcra.reserve(0.0)  # booked up to 0.3 s
    gcra.rate = 1.0
    assert math.isclose(gcra.reserve(0.0), 0.3)  # after what was booked at the old rate...
    assert math.isclose(gcra.reserve(0.0), 1.3)  # ... and then at the new one


def test_an_unpaced_gcra_lets_everything_go_even_after_a_pace() -> None:
    gcra = Gcra(1.0)
    for _ in range(10):
        gcra.reserve(0.0)  # ten seconds booked ahead
    gcra.rate = math.inf  # the limiter lifts its pace
    assert gcra.delay(0.0) == 0.0
    assert Gcra().reserve(5.0) == 0.0


class StillClock:
    """A clock that stands still and records the sleeps asked of it, so concurrent
    callers all ask at the same moment."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return 0.0

    def now(self) -> datetime:
        raise NotImplementedError

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


async def test_the_submit_cap_books_each_caller_its_own_slot() -> None:
    # Eight submissions at once under a cap of 10/s with a burst of 3: three go at
    # once, the others each wait one interval more than the one before.
    clock = StillClock()
    cap = RateCap(10.0, burst=3, clock=clock)
    await asyncio.gather(*(cap.acquire() for _ in range(8)))
    assert [round(wait, 9) for wait in clock.sleeps] == [0.1, 0.2, 0.3, 0.4, 0.5]


async def test_the_limiter_paces_its_requests_as_the_gcra_books_them() -> None:
    # The adaptive limiter keeps its pace with the same algorithm: requests that come
    # faster than an announced 20/s leave exactly when a Gcra at that pace, with the
    # limiter's burst as tolerance, books them.
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(ThrottleConfig(burst=0.1), clock=clock)
    limiter.observe(200, {"RateLimit-Policy": "20;w=1"})
    assert limiter.rate is not None
    gcra = Gcra(limiter.rate, tolerance=0.1)
    for _ in range(40):
        arrival = clock.elapsed
        booked = arrival + gcra.reserve(arrival)
        await limiter.acquire(Priority.NORMAL)
        assert math.isclose(clock.elapsed, booked, abs_tol=1e-9)
        clock.elapsed += 0.01  # a client that would send 100 requests a second
