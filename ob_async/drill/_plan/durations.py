"""Durations of a plan: seconds, or a string like ``"90s"``, ``"15m"``, ``"1h30m"``."""

from __future__ import annotations

import math
import re

_DURATION = re.compile(
    r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s)?\s*$"
)
_SECONDS = re.compile(r"^\s*\d+(?:\.\d+)?\s*$")


def parse_duration(value: object) -> float:
    """Seconds from a number or a string like ``"90s"``, ``"15m"``, ``"1h30m"``."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and _SECONDS.match(value):
        seconds = float(value)  # "900": seconds, as the message below says
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if not value.strip() or match is None or not any(match.groups()):
            raise ValueError(f'unreadable duration {value!r}; write e.g. 900, "15m" or "1h30m"')
        hours, minutes, secs = (float(group) if group else 0.0 for group in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    else:
        raise ValueError(f"expected a duration, got {type(value).__name__}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"must be a positive, finite duration, got {value!r}")
    return seconds
