"""The checks every configuration class runs on its settings, in one place.

Each check is an attrs field validator (``attrs.field(validator=positive)``) that
refuses a bad value with an :class:`~ob_async.errors.InvalidInputError` naming the
field and the value, when the object is built and so before anything is sent.
Classes that are not attrs classes run the same check by hand:
``positive.check(rate, where="rate")``.

A setting that is not a number at all (``"5"``, ``None``, ``True``) is refused as
such rather than failing later with a ``TypeError`` from a comparison.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from ob_async.errors import InvalidInputError


@attrs.frozen
class NumberCheck:
    """A bound on a numeric setting; call it as an attrs validator or use :meth:`check`."""

    holds: Callable[[float], bool]
    requirement: str
    """What a valid value is, as the error message says it (``"must be positive"``)."""
    integer: bool = False
    """Only whole numbers (``int``) are accepted."""
    optional: bool = False
    """None (unset) is accepted too."""

    def __call__(self, instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        self.check(value, where=attribute.name)

    def check(self, value: object, *, where: str) -> None:
        """Raise :class:`InvalidInputError` for ``where`` unless ``value`` passes."""
        if value is None and self.optional:
            return
        number = value if not isinstance(value, bool) else None
        if not isinstance(number, int) and (self.integer or not isinstance(number, float)):
            kind = "a whole number" if self.integer else "a number"
            raise InvalidInputError(
                f"must be {kind}, got {type(value).__name__} {value!r}", where=where
            )
        if not self.holds(number):
            raise InvalidInputError(f"{self.requirement}, got {value!r}", where=where)


positive = NumberCheck(lambda value: value > 0, "must be positive")
"""Greater than zero (seconds, rates, sizes)."""
non_negative = NumberCheck(lambda value: value >= 0, "must not be negative")
"""Zero or more (waits, costs, budgets)."""
at_least_one = NumberCheck(lambda value: value >= 1, "must be at least 1", integer=True)
"""A whole number of one or more (counts, limits)."""
non_negative_int = NumberCheck(lambda value: value >= 0, "must not be negative", integer=True)
"""A whole number of zero or more (token budgets, extra rounds)."""
fraction = NumberCheck(lambda value: 0 <= value <= 1, "must be between 0 and 1")
"""A share, 0 to 1 inclusive."""
proper_fraction = NumberCheck(lambda value: 0 <= value < 1, "must be at least 0 and below 1")
"""0 inclusive to 1 exclusive (a jitter that never makes an interval zero or negative)."""
factor = NumberCheck(lambda value: 0 < value <= 1, "must be above 0 and at most 1")
"""A multiplier that shrinks without reaching zero."""
positive_or_none = NumberCheck(lambda value: value > 0, "must be positive", optional=True)
"""Unset (None), or greater than zero."""


def check_header_value(value: str, *, where: str) -> None:
    """Refuse a value bound for an HTTP header (or a digest field) that carries a
    control character: aiohttp would refuse it mid-run, and a ``\\r`` is what a
    variable sourced from a CRLF ``.env`` file ends with. The value is not shown
    (it may be a secret); the character and its position are."""
    for position, char in enumerate(value, start=1):
        if ord(char) < 0x20 or ord(char) == 0x7F:
            raise InvalidInputError(
                f"contains the control character {char!r} at position {position}"
                + (" (a line ending: was it read from a CRLF file?)" if char in "\r\n" else ""),
                where=where,
            )
