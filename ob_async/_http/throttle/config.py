"""``ThrottleConfig``: the adaptive limiter's settings (exported from :mod:`ob_async`).

What each setting does is told in ``docs/rate-limits.md``; the defaults are the
values the at-the-limit benchmark (``python -m benchmarks.ratelimit``) was run with.
"""

from __future__ import annotations

import attrs

from ob_async._validators import factor, fraction, non_negative, positive


@attrs.frozen(kw_only=True)
class ThrottleConfig:
    """The limiter's settings (``docs/rate-limits.md`` says what each one does)."""

    enabled: bool = True
    """Off, the client never paces itself (a ``Retry-After`` still delays its own retry)."""
    throttle_share: float = attrs.field(default=0.1, validator=fraction)
    """429s must be this share of the last window's answers to count as a limit (over
    the background share, once one is measured)."""
    window: float = attrs.field(default=1.0, validator=positive)
    """Seconds of answers behind a decision."""
    headroom: float = attrs.field(default=0.97, validator=factor)
    """The pace, as a fraction of the server's measured rate."""
    hold: float = attrs.field(default=3.0, validator=non_negative)
    """Seconds a measured pace is held before it is probed upwards."""
    measure_min: float = attrs.field(default=0.25, validator=positive)
    """Seconds of answers, at least, behind a measurement that lowers the pace again."""
    probe_start: float = attrs.field(default=0.02, validator=positive)
    """The first upward step of a probe, as a fraction of the pace."""
    probe_max: float = attrs.field(default=0.5, validator=positive)
    """The largest upward step (the step doubles with each quiet window up to it)."""
    busy_share: float = attrs.field(default=0.9, validator=fraction)
    """The pace grows only when the client sent at least this share of it."""
    min_rate: float = attrs.field(default=0.5, validator=positive)
    """Requests per second the limiter never goes below (the pacing divides by it)."""
    burst: float = attrs.field(default=0.1, validator=non_negative)
    """Seconds of slack in the pacing (sends that may go at once after a pause)."""
    release_after: float = attrs.field(default=30.0, validator=non_negative)
    """Seconds without a 429 after which the client stops pacing itself."""
    pause_threshold: float = attrs.field(default=2.0, validator=non_negative)
    """A ``Retry-After`` at least this long pauses every send, not just the refused one."""
    honour_headers: bool = True
    """Read ``X-RateLimit-*`` / ``RateLimit-*`` headers of answers."""
