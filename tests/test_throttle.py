"""Adaptive throttling: 429s lower the send rate, successes raise it, quiet lifts it."""

from __future__ import annotations

from ob_async.http.throttle import AdaptiveRateLimiter, ThrottleConfig
from tests.support.fakes import FakeClock


async def send(limiter: AdaptiveRateLimiter, clock: FakeClock, count: int, status: int) -> None:
    for _ in range(count):
        await limiter.acquire()
        limiter.observe(status)


async def test_unthrottled_until_the_first_429() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(clock=clock)
    await send(limiter, clock, 100, 200)
    assert limiter.rate is None
    assert clock.sleeps == []


async def test_429_halves_the_observed_rate_and_paces_sends() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(ThrottleConfig(decrease_factor=0.5), clock=clock)
    # 40 sends in the first second, then a burst of 429s counts as one signal.
    for _ in range(40):
        await limiter.acquire()
    clock.elapsed = 1.0
    await limiter.acquire()
    for _ in range(10):
        limiter.observe(429)
    assert limiter.decreases == 1
    assert limiter.rate == 20.0
    before = clock.elapsed
    for _ in range(20):
        await limiter.acquire()
    # 20 sends at 20/s take about a second of (fake) time.
    assert 0.9 <= clock.elapsed - before <= 1.05


async def test_successes_raise_the_rate_and_quiet_lifts_the_limit() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(ThrottleConfig(release_after=30.0), clock=clock)
    for _ in range(3):  # 3 of the first answers: a 15% share of a small sample
        await limiter.acquire()
        limiter.observe(429)
    low = limiter.rate
    assert low is not None
    await send(limiter, clock, 50, 200)
    assert limiter.rate is not None
    assert limiter.rate > low
    clock.elapsed += 31.0
    limiter.observe(200)
    assert limiter.rate is None


async def test_rate_never_falls_below_the_floor() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(ThrottleConfig(min_rate=0.5, decrease_interval=0.0), clock=clock)
    for _ in range(30):
        limiter.observe(429)
    assert limiter.rate == 0.5


async def test_disabled_never_throttles() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(ThrottleConfig(enabled=False), clock=clock)
    limiter.observe(429)
    assert limiter.rate is None


async def test_a_stray_429_among_many_successes_is_not_congestion() -> None:
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(ThrottleConfig(throttle_share=0.1), clock=clock)
    for second in range(5):
        clock.elapsed = float(second)
        for index in range(50):
            await limiter.acquire()
            limiter.observe(429 if index == 0 else 200)  # 2% of answers
    assert limiter.throttle_events == 5
    assert limiter.decreases == 0
    assert limiter.rate is None
    # When 429s become a real share of the answers, the rate comes down.
    clock.elapsed = 5.0
    for index in range(20):
        await limiter.acquire()
        limiter.observe(429 if index % 3 == 0 else 200)
    assert limiter.decreases == 1
    assert limiter.rate is not None
