"""``restore_time = "random"``: a uniformly random whole second of the source tenant's
restorable windows (within the last N when asked), the same for the same seed."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ob_async._wire.backups import TimeWindow
from ob_async.drill._plan.restore_point import RandomPoint, parse_random
from ob_async.drill._random_points import RandomDraws, draw_point, item_random, run_seed
from ob_async.errors import InvalidInputError

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def _window(start_s: float, length_s: float) -> TimeWindow:
    start = EPOCH + timedelta(seconds=start_s)
    return TimeWindow(start_time=start, end_time=start + timedelta(seconds=length_s))


# Windows with sub-second ends, overlapping or not, some a single instant.
_windows = st.lists(
    st.builds(
        _window,
        st.floats(min_value=0, max_value=30 * 86400, allow_nan=False),
        st.floats(min_value=0, max_value=3 * 86400, allow_nan=False),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=1000, deadline=None)
@given(
    windows=_windows,
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    key=st.text(min_size=1, max_size=20),
    within=st.one_of(st.none(), st.floats(min_value=1, max_value=40 * 86400)),
)
def test_every_random_point_is_a_whole_second_inside_a_window_and_within_reach(
    windows: list[TimeWindow], seed: int, key: str, within: float | None
) -> None:
    anchor = EPOCH + timedelta(days=33)
    draws = RandomDraws(seed, anchor)
    point = draws.point(key, windows, RandomPoint(within))
    if point is None:  # only when no whole second of any window is within reach
        floor = anchor - timedelta(seconds=within) if within is not None else None
        for window in windows:
            start = max(window.start_time, floor) if floor is not None else window.start_time
            whole = start.replace(microsecond=0) + timedelta(seconds=start.microsecond > 0)
            assert whole > window.end_time
        return
    assert point.microsecond == 0  # the wire drops sub-seconds: the point sent is the one drawn
    assert point.tzinfo is not None
    assert any(point in window for window in windows)
    if within is not None:
        assert point >= anchor - timedelta(seconds=within)
    assert draws.point(key, windows, RandomPoint(within)) == point  # same seed, same point


def test_the_same_seed_draws_the_same_points_and_another_seed_others() -> None:
    windows = [_window(0, 7 * 86400)]
    keys = [f"ob-dr/t{n}" for n in range(1000)]

    def points(seed: int) -> list[datetime | None]:
        return [draw_point(windows, item_random(seed, key)) for key in keys]

    first = points(7)
    assert points(7) == first
    assert len(set(first)) > 990  # a week is 604,800 seconds: almost no repeats
    other = points(8)
    assert sum(a != b for a, b in zip(first, other, strict=True)) > 990


def test_an_items_point_does_not_depend_on_the_order_items_are_drawn_in() -> None:
    windows = [_window(0, 86400), _window(2 * 86400, 3600)]
    draws = RandomDraws(12345, EPOCH + timedelta(days=3))
    keys = [f"ob-dr/t{n}" for n in range(50)]
    forwards = {key: draws.point(key, windows, RandomPoint()) for key in keys}
    backwards = {key: draws.point(key, windows, RandomPoint()) for key in reversed(keys)}
    assert forwards == backwards


def test_points_are_uniform_over_the_time_the_windows_cover_not_over_the_windows() -> None:
    # Three stretches of 1h, 2h and 3h; the 3h one is written as two overlapping
    # windows, which must not count their overlap twice. With a fixed seed the test is
    # deterministic; the bound is chi-square's 0.1% critical value for 2 degrees of freedom.
    hour = 3600
    windows = [
        _window(0, hour),
        _window(10 * hour, 2 * hour),
        _window(20 * hour, 2 * hour),
        _window(21 * hour, 2 * hour),  # overlaps the one before: 20h..23h is 3h
    ]
    rng = random.Random(2026)
    counts = [0, 0, 0]
    draws = 6000
    for _ in range(draws):
        point = draw_point(windows, rng)
        assert point is not None
        hours = (point - EPOCH).total_seconds() / hour
        counts[0 if hours <= 1 else 1 if hours <= 12 else 2] += 1
    expected = [draws * share for share in (1 / 6, 2 / 6, 3 / 6)]
    chi_square = sum((n - e) ** 2 / e for n, e in zip(counts, expected, strict=True))
    assert chi_square < 13.82, (counts, expected)
    # Uniform over windows would put a third in each: far outside that bound.
    assert counts[0] < draws / 4


def test_within_the_last_n_draws_only_from_the_recent_part_of_a_window() -> None:
    anchor = EPOCH + timedelta(days=10)
    windows = [_window(0, 10 * 86400)]
    draws = RandomDraws(1, anchor)
    points = [draws.point(f"k{n}", windows, RandomPoint(3600.0)) for n in range(200)]
    assert all(p is not None and anchor - timedelta(hours=1) <= p <= anchor for p in points)


def test_no_whole_second_within_reach_is_none() -> None:
    anchor = EPOCH + timedelta(days=10)
    old = [_window(0, 86400)]
    assert RandomDraws(1, anchor).point("k", old, RandomPoint(7 * 86400.0)) is None
    assert draw_point([], random.Random(1)) is None
    # Less than a whole second: 00:00:00.2 .. 00:00:00.9 holds no whole second.
    assert draw_point([_window(0.2, 0.7)], random.Random(1)) is None


@pytest.mark.parametrize(
    ("text", "within"),
    [
        ("random", None),
        ("  RANDOM ", None),
        ("random within 7d", 7 * 86400.0),
        ("random within 36h", 36 * 3600.0),
        ("random within 1d12h", 36 * 3600.0),
        ("Random Within 900", 900.0),
    ],
)
def test_random_restore_times_are_read(text: str, within: float | None) -> None:
    assert parse_random(text) == RandomPoint(within)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("random within", 'write "random" or "random within 7d"'),
        ("random 7d", 'write "random" or "random within 7d"'),
        ("randomly", 'write "random" or "random within 7d"'),
        ("random within 7x", "unreadable duration '7x'"),
        ("random within 0s", "must be a positive, finite duration"),
        ("random within -1d", "unreadable duration"),
    ],
)
def test_unreadable_random_restore_times_say_what_to_write(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="unreadable random restore time") as caught:
        parse_random(text)
    assert message in str(caught.value)


def test_latest_and_times_are_not_random() -> None:
    assert parse_random("latest") is None
    assert parse_random("2026-01-13T05:58:34Z") is None


def test_a_resume_keeps_its_seed_and_refuses_another() -> None:
    kept = run_seed(given=None, planned=5, recorded=42, resuming=True, needed=True)
    assert kept == 42
    assert run_seed(given=42, planned=None, recorded=42, resuming=True, needed=True) == 42
    with pytest.raises(InvalidInputError, match="seed 42") as caught:
        run_seed(given=7, planned=None, recorded=42, resuming=True, needed=True)
    assert caught.value.where == "--seed"


def test_the_seed_is_the_flags_else_the_plans_else_a_new_one_when_needed() -> None:
    assert run_seed(given=3, planned=5, recorded=None, resuming=False, needed=True) == 3
    assert run_seed(given=None, planned=5, recorded=None, resuming=False, needed=True) == 5
    assert run_seed(given=None, planned=None, recorded=None, resuming=False, needed=False) is None
    fresh = {
        run_seed(given=None, planned=None, recorded=None, resuming=False, needed=True)
        for _ in range(20)
    }
    assert None not in fresh
    assert len(fresh) > 1
