"""What a server's rate-limit headers say: a pause, and a rate it announces.

``X-RateLimit-*`` / ``RateLimit-*`` headers, when a server sends them: a remaining
count of 0 with a reset time asks for a pause until the reset; a policy with a
window (``RateLimit-Policy: 40;w=1``, or the same form in ``X-RateLimit-Limit``)
announces a rate. Parsed here, acted on by
:class:`~ob_async._http.throttle.AdaptiveRateLimiter`.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping

import attrs

_EPOCH_SECONDS = 1e9
"""A reset header larger than this is a Unix time, not a number of seconds."""
_MAX_PAUSE = 3600.0
"""Seconds a reset header may pause sends for, at most."""
_POLICY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:;.*?\bw(?:indow)?\s*=\s*(\d+(?:\.\d+)?))?")


@attrs.frozen
class AnnouncedLimit:
    pause: float | None = None
    """Seconds to pause every send for (nothing remains until the reset), or None."""
    ceiling: float | None = None
    """Requests per second the server announces it allows, or None."""


_NOTHING_ANNOUNCED = AnnouncedLimit()
"""What most answers say (read on every one of them): one record for all."""


def read_limit_headers(headers: Mapping[str, str]) -> AnnouncedLimit:
    """The pause and rate that ``headers`` announce (None for what they do not say)."""
    pause = None
    remaining = _header_number(headers, "X-RateLimit-Remaining", "RateLimit-Remaining")
    if remaining is not None and remaining <= 0:
        reset = _header_number(headers, "X-RateLimit-Reset", "RateLimit-Reset")
        if reset is not None:
            seconds = reset - time.time() if reset > _EPOCH_SECONDS else reset
            if seconds > 0:
                pause = min(seconds, _MAX_PAUSE)
    ceiling = _policy_rate(headers)
    if pause is None and ceiling is None:
        return _NOTHING_ANNOUNCED
    return AnnouncedLimit(pause=pause, ceiling=ceiling)


def _policy_rate(headers: Mapping[str, str]) -> float | None:
    policy = headers.get("RateLimit-Policy") or headers.get("X-RateLimit-Limit")
    if policy is None:
        return None
    match = _POLICY.match(policy)
    if match is None or match.group(2) is None:
        return None  # a limit without its window says nothing about a rate
    limit, window = float(match.group(1)), float(match.group(2))
    if limit <= 0 or window <= 0:
        return None
    return limit / window


def _header_number(headers: Mapping[str, str], *names: str) -> float | None:
    for name in names:
        value = headers.get(name)
        if value is None:
            continue
        try:
            number = float(value.split(",")[0].strip())
        except ValueError:
            continue
        if math.isfinite(number):
            return number
    return None
