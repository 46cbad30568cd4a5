"""The rate estimator: the limit is what the server accepts from its first 429 on, and a
small excess is read over enough answers unless it agrees with a limit already measured."""

from __future__ import annotations

import math

import pytest

from ob_async._http.throttle import ThrottleConfig
from ob_async._http.throttle.estimator import MEASURE_ANSWERS, RateEstimator


def answered(statuses: list[int], *, per_second: float) -> tuple[RateEstimator, float]:
    """An estimator that saw ``statuses`` answered evenly at ``per_second``; and the time."""
    estimator = RateEstimator(ThrottleConfig(), 0.0)
    now = 0.0
    for status in statuses:
        estimator.record_send(now)
        estimator.record_answer(now, status)
        now += 1.0 / per_second
    return estimator, now - 1.0 / per_second


def test_the_limit_is_read_from_the_first_429_on() -> None:
    # Two seconds at 50/s all accepted (a bucket spending its savings), then one 429 in
    # five: from the first 429 on, the accepted answers come at 40/s, the limit.
    statuses = [200] * 100 + [429, 200, 200, 200, 200] * 20
    estimator, now = answered(statuses, per_second=50.0)
    limit = estimator.limit_since(now, 0.0)
    assert limit is not None
    assert limit == pytest.approx(40.0, rel=0.05)
    counts = estimator.counts(0.0)
    assert (counts.sent, counts.accepted, counts.refused) == (200, 180, 20)


# A small excess (one 429 in ten) read over half a second at 60/s: ~26 accepted answers.
SMALL_EXCESS = ([200] * 9 + [429]) * 3


@pytest.mark.parametrize(
    ("last_measured", "taken"),
    [
        (math.inf, None),  # nothing measured yet: wait for the answers
        (55.0, 55.0),  # the first reading (about 56/s) agrees: the limit has not moved
        (40.0, None),  # it does not: wait for the answers
    ],
)
def test_a_small_excess_agrees_only_with_a_limit_measured(
    last_measured: float, taken: float | None
) -> None:
    estimator, now = answered(SMALL_EXCESS, per_second=60.0)
    estimator.limit = last_measured
    assert estimator.counts(0.0).accepted < MEASURE_ANSWERS
    assert estimator.limit_of_excess(now, 0.0, share=0.1) == taken


def test_a_small_excess_is_read_once_its_answers_are_in() -> None:
    estimator, now = answered(([200] * 9 + [429]) * 6, per_second=60.0)
    assert estimator.limit_of_excess(now, 0.0, share=0.1) == pytest.approx(54.0, rel=0.1)
