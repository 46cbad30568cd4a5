"""Random restore points: ``restore_time = "random"`` (or ``"random within 7d"``).

A point is drawn uniformly over the *time* the source tenant's restorable windows
cover (their union: overlapping windows are not counted twice, and a long window
is proportionally likelier than a short one), at whole-second precision because
the wire drops sub-seconds (``2026-01-13T05:58:34Z``): a second is drawn only if
the whole of it is inside a window, so the point sent is the point drawn.

Each item draws from its own ``random.Random``, seeded from the run's seed and the
item's key, so that the points depend neither on the order items are taken nor
on how many run at once, and ``ob-restore drill --seed S`` draws them again.
"Within the last N" is measured back from the run's start (kept on resume).
"""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import attrs

from ob_async._wire.backups import TimeWindow
from ob_async.drill._plan.restore_point import RandomPoint
from ob_async.errors import InvalidInputError

SEED_LIMIT = 2**32
"""Seeds drawn for a run are below this: short enough to read out and type."""


def new_seed() -> int:
    """A fresh seed for a run that was given none (printed and recorded, so reproducible)."""
    return secrets.randbelow(SEED_LIMIT)


def item_random(seed: int, key: str) -> random.Random:
    """The generator of one item's draw: from the run's seed and the item's key alone."""
    # A str seed is hashed with SHA-512: the same on every platform and Python run.
    # Reproducible on purpose: a restore point is no secret, and --seed must redraw it.
    return random.Random(f"{seed}/{key}")  # noqa: S311


def draw_point(
    windows: Iterable[TimeWindow], rng: random.Random, *, not_before: datetime | None = None
) -> datetime | None:
    """A uniformly random whole second of the union of ``windows`` (from ``not_before``
    on, when given); None when they hold no whole second there."""
    floor = math.ceil(not_before.timestamp()) if not_before is not None else None
    spans = []
    for window in windows:
        first = math.ceil(window.start_time.timestamp())
        last = math.floor(window.end_time.timestamp())
        if floor is not None:
            first = max(first, floor)
        if first <= last:
            spans.append((first, last))
    merged: list[list[int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    total = sum(last - first + 1 for first, last in merged)
    if total == 0:
        return None
    offset = rng.randrange(total)
    for first, last in merged:
        seconds = last - first + 1
        if offset < seconds:
            return datetime.fromtimestamp(first + offset, UTC)
        offset -= seconds
    raise AssertionError("offset beyond the windows' total")  # randrange(total) < total


@attrs.frozen
class RandomDraws:
    """The random restore points of one run: its seed, and the moment "within the last
    N" counts back from (the run's start)."""

    seed: int
    anchor: datetime

    def point(
        self, key: str, windows: Iterable[TimeWindow], random_point: RandomPoint
    ) -> datetime | None:
        """The item ``key``'s point in ``windows``; None when none is within reach."""
        within = random_point.within_seconds
        not_before = self.anchor - timedelta(seconds=within) if within is not None else None
        return draw_point(windows, item_random(self.seed, key), not_before=not_before)


def run_seed(
    *, given: int | None, planned: int | None, recorded: int | None, resuming: bool, needed: bool
) -> int | None:
    """The seed of a run: the one its journal recorded (a resume draws as the run
    began), else ``--seed``, else the plan's ``seed``, else a new one when an item
    draws a random restore point."""
    if resuming and recorded is not None:
        if given is not None and given != recorded:
            raise InvalidInputError(
                f"the run being resumed drew its random restore points with seed {recorded}; "
                f"a resume keeps them (leave --seed out, or pass --seed {recorded})",
                where="--seed",
            )
        return recorded
    if given is not None:
        return given
    if planned is not None:
        return planned
    return new_seed() if needed else None
