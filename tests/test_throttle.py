"""Adaptive throttling: 429s lower the send rate, successes raise it, quiet lifts it."""

from __future__ import annotations

from ob_async.throttle import AdaptiveRateLimiter, ThrottleConfig
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
