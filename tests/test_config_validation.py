"""Every configuration class refuses a bad setting when it is built, naming the field."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ob_async._http.config import ClientConfig
from ob_async._http.throttle import AdaptiveRateLimiter, ThrottleConfig
from ob_async._http.throttle.pacer import RateCap
from ob_async._restore.poll_config import PollConfig
from ob_async._restore.retry import Backoff, RetryPolicy, RetryQuota
from ob_async._restore.submit import SubmitterConfig
from ob_async.batch import BatchLimits
from ob_async.errors import InvalidInputError
from tests.support.fakes import FakeClock

BAD_SETTINGS: list[tuple[Callable[..., object], str, object, str]] = [
    (ClientConfig, "connect_timeout", 0, "must be positive"),
    (ClientConfig, "read_timeout", -1.0, "must be positive"),
    (ClientConfig, "total_timeout", "120", "must be a number"),
    (ClientConfig, "max_connections", 0, "must be at least 1"),
    (ClientConfig, "max_response_bytes", 1.5, "must be a whole number"),
    (ThrottleConfig, "min_rate", 0, "must be positive"),
    (ThrottleConfig, "min_rate", -0.5, "must be positive"),
    (ThrottleConfig, "headroom", 0, "above 0 and at most 1"),
    (ThrottleConfig, "headroom", 1.5, "above 0 and at most 1"),
    (ThrottleConfig, "throttle_share", 2, "between 0 and 1"),
    (ThrottleConfig, "window", 0, "must be positive"),
    (ThrottleConfig, "probe_start", float("nan"), "must be positive"),
    (ThrottleConfig, "burst", -1, "must not be negative"),
    (ThrottleConfig, "release_after", -1, "must not be negative"),
    (RetryQuota, "capacity", -1, "must not be negative"),
    (RetryQuota, "retry_cost", -2, "must not be negative"),
    (RetryQuota, "timeout_cost", -4, "must not be negative"),
    (RetryQuota, "success_refund", -1, "must not be negative"),
    (RetryQuota, "capacity", 1.5, "must be a whole number"),
    (RetryPolicy, "max_attempts", 0, "must be at least 1"),
    (RetryPolicy, "deadline", 0, "must be positive"),
    (Backoff, "base", -0.5, "must not be negative"),
    (Backoff, "retry_after_cap", None, "must be a number"),
    (PollConfig, "initial_interval", 0, "must be positive"),
    (PollConfig, "jitter", 1.0, "below 1"),
    (PollConfig, "page_size", 0, "must be at least 1"),
    (SubmitterConfig, "reconcile_rounds", -1, "must not be negative"),
    (SubmitterConfig, "clock_skew", -1.0, "must not be negative"),
    (BatchLimits, "max_submits", 0, "must be at least 1"),
    (BatchLimits, "burst", True, "must be a whole number"),
    (BatchLimits, "submits_per_second", 0, "must be positive"),
]


@pytest.mark.parametrize(
    ("config", "field", "value", "message"),
    BAD_SETTINGS,
    ids=[f"{c.__name__}.{f}={v!r}" for c, f, v, _ in BAD_SETTINGS],
)
def test_a_bad_setting_is_refused_naming_its_field(
    config: Callable[..., object], field: str, value: object, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message) as caught:
        config(**{field: value})
    assert caught.value.where == field
    assert str(caught.value).startswith(f"{field}: ")


@pytest.mark.parametrize(
    "config",
    [ClientConfig, ThrottleConfig, RetryQuota, RetryPolicy, Backoff, PollConfig, SubmitterConfig],
)
def test_the_defaults_are_valid(config: Callable[[], object]) -> None:
    config()


def test_a_zero_retry_budget_is_allowed_and_refuses_every_retry() -> None:
    quota = RetryQuota(0)
    assert quota.acquire(timeout=False) == 0
    assert quota.refused == 1


def test_the_limiter_never_divides_by_a_zero_minimum_rate() -> None:
    # min_rate=0 used to be accepted; after a 429 the rate became 0 and the next send
    # divided by it. Now the setting itself is refused; the smallest positive one paces.
    with pytest.raises(InvalidInputError, match="min_rate"):
        ThrottleConfig(min_rate=0)
    clock = FakeClock()
    limiter = AdaptiveRateLimiter(ThrottleConfig(min_rate=1e-3), clock=clock)
    for _ in range(300):
        limiter.observe(429)
        clock.elapsed += 0.5
        limiter.admit()  # paces by dividing by the rate: must not raise
    assert limiter.rate is not None
    assert limiter.rate >= 1e-3


@pytest.mark.parametrize(("rate", "burst", "where"), [(0, 1, "rate"), (1.0, 0, "burst")])
def test_the_rate_cap_uses_the_same_checks(rate: float, burst: int, where: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        RateCap(rate, burst=burst)
    assert caught.value.where == where
