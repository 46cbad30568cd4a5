"""How a restore's point in time is chosen: an explicit time, ``"latest"`` (the end
of the newest restorable window) or ``"random"`` (optionally ``"random within 7d"``:
a uniformly random point of the restorable windows, within the last 7 days)."""

from __future__ import annotations

import enum
import re

import attrs

from ob_async.drill._plan.durations import parse_duration

LATEST = "latest"
RANDOM = "random"

_RANDOM = re.compile(r"^\s*random(?:\s+within\s+(?P<within>\S.*?))?\s*$", re.IGNORECASE)


class RestorePointChoice(enum.StrEnum):
    """How an item's restore point was chosen (what reports and evidence say)."""

    EXPLICIT = "explicit"
    """The time the plan writes."""
    LATEST = "latest"
    """The end of the source tenant's newest restorable window, read before sending."""
    RANDOM = "random"
    """Drawn uniformly from the restorable windows (reproducible from the run's seed)."""


@attrs.frozen
class RandomPoint:
    """``restore_time = "random"``: drawn uniformly over the time the source tenant's
    restorable windows cover, within the last ``within_seconds`` when given."""

    within_seconds: float | None = None
    within_text: str | None = attrs.field(default=None, eq=False)
    """The duration as the plan writes it (``"7d"``), for messages."""

    def describe(self) -> str:
        """As the plan writes it: ``random`` or ``random within 7d``."""
        if self.within_seconds is None:
            return RANDOM
        return f"{RANDOM} within {self.within_text or f'{self.within_seconds:g}s'}"


def parse_random(text: str) -> RandomPoint | None:
    """The random point ``text`` asks for; None when it does not start with "random";
    ValueError when it does but cannot be read."""
    if not text.strip().lower().startswith(RANDOM):
        return None
    match = _RANDOM.match(text)
    if match is None:
        raise ValueError(
            f'unreadable random restore time {text!r}; write "random" or "random within 7d"'
        )
    within = match.group("within")
    if within is None:
        return RandomPoint()
    try:
        return RandomPoint(parse_duration(within), within.strip())
    except ValueError as error:
        raise ValueError(
            f"unreadable random restore time {text!r}: {error} "
            '(write e.g. "random within 7d" or "random within 36h")'
        ) from None
