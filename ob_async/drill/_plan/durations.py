"""Durations of a plan: seconds, or a string like ``"90s"``, ``"15m"``, ``"1h30m"``, ``"7d"``."""

from __future__ import annotations

import math
import re

_DURATION = re.compile(
    r"^\s*(?:(\d+(?:\.\d+)?)d)?\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?"
    r"\s*(?:(\d+(?:\.\d+)?)s)?\s*$"
)
_SECONDS = re.compile(r"^\s*\d+(?:\.\d+)?\s*$")
_UNIT_SECONDS = (86400.0, 3600.0, 60.0, 1.0)
"""Seconds in a day, an hour, a minute, a second: the groups of ``_DURATION`` in order."""


def parse_duration(value: object) -> float:
    """Seconds from a number or a string like ``"90s"``, ``"15m"``, ``"1h30m"``, ``"7d"``."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and _SECONDS.match(value):
        seconds = float(value)  # "900": seconds, as the message below says
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if not value.strip() or match is None or not any(match.groups()):
            raise ValueError(
                f'unreadable duration {value!r}; write e.g. 900, "15m", "1h30m" or "7d"'
            )
        seconds = sum(
            float(group) * unit
            for group, unit in zip(match.groups(), _UNIT_SECONDS, strict=True)
            if group
        )
    else:
        raise ValueError(f"expected a duration, got {type(value).__name__}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"must be a positive, finite duration, got {value!r}")
    return seconds
