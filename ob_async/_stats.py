"""Small statistics every layer reports with: the nearest-rank percentile."""

from __future__ import annotations

import math
from collections.abc import Sequence


def nearest_rank(ordered: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile ``fraction`` (0-1] of already sorted values."""
    if not ordered:
        return None
    return ordered[max(1, math.ceil(fraction * len(ordered))) - 1]
