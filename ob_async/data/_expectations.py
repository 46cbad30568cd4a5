"""A check's expectation: what the first column of its first row must be.

Grammar (``expect = "..."`` in the plan)::

    >= 1000    > 0    <= 5    < 5    = 1200    != 0     a number: the value must be numeric
    = 'text'   != 'text'                                 text: compared as the value's text
    is null    is not null

Numbers compare exactly (decimals, not floats), so ``= 0.1`` means 0.1.
"""

from __future__ import annotations

import enum
import operator
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs


class Comparison(enum.StrEnum):
    GE = ">="
    LE = "<="
    NE = "!="
    GT = ">"
    LT = "<"
    EQ = "="
    IS_NULL = "is null"
    IS_NOT_NULL = "is not null"


_OPERATORS: dict[Comparison, Callable[[Any, Any], bool]] = {
    Comparison.GE: operator.ge,
    Comparison.LE: operator.le,
    Comparison.NE: operator.ne,
    Comparison.GT: operator.gt,
    Comparison.LT: operator.lt,
    Comparison.EQ: operator.eq,
}

_EXPECTATION = re.compile(
    r"\s*(?:(?P<null>is\s+(?P<not>not\s+)?null)"
    r"|(?P<op>>=|<=|!=|<>|=|>|<)\s*(?:'(?P<text>(?:[^']|'')*)'|(?P<number>[-+]?[0-9][0-9_.eE+-]*)))\s*",
    re.IGNORECASE,
)

MAX_VALUE_TEXT = 200
"""A value longer than this is shortened in reports."""


class ExpectationError(ValueError):
    """An ``expect`` text that does not follow the grammar."""


@attrs.frozen
class Expectation:
    """A parsed expectation; ``text`` is how the plan wrote it."""

    comparison: Comparison
    number: Decimal | None = None
    literal: str | None = None
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> Expectation:
        if not isinstance(text, str):
            raise ExpectationError(f"must be a string, got {type(text).__name__}")
        matched = _EXPECTATION.fullmatch(text)
        if matched is None:
            raise ExpectationError(
                f'{text!r} is not an expectation; write e.g. ">= 1000", "= \'ok\'" or "is not null"'
            )
        if matched.group("null"):
            comparison = Comparison.IS_NOT_NULL if matched.group("not") else Comparison.IS_NULL
            return cls(comparison, text=text.strip())
        op = matched.group("op")
        comparison = Comparison.NE if op == "<>" else Comparison(op)
        literal = matched.group("text")
        if literal is not None:
            if comparison not in (Comparison.EQ, Comparison.NE):
                raise ExpectationError(f"{text!r}: text compares only with = or !=")
            return cls(comparison, literal=literal.replace("''", "'"), text=text.strip())
        try:
            number = Decimal(matched.group("number").replace("_", ""))
        except InvalidOperation:
            raise ExpectationError(
                f"{text!r}: {matched.group('number')!r} is not a number"
            ) from None
        if not number.is_finite():
            raise ExpectationError(f"{text!r}: the number must be finite")
        return cls(comparison, number=number, text=text.strip())

    def problem(self, value: object) -> str | None:
        """Why ``value`` does not meet the expectation, or None when it does."""
        if self.comparison is Comparison.IS_NULL:
            return None if value is None else f"expected NULL, got {value_text(value)}"
        if self.comparison is Comparison.IS_NOT_NULL:
            return "expected a value, got NULL" if value is None else None
        if value is None:
            return f"expected {self.text}, got NULL"
        compare = _OPERATORS[self.comparison]
        if self.literal is not None:
            seen: object = value_text(value, limit=None)
            wanted: object = self.literal
        else:
            seen = as_number(value)
            if seen is None:
                return f"expected a number {self.text}, got {value_text(value)}"
            wanted = self.number
        return None if compare(seen, wanted) else f"expected {self.text}, got {value_text(value)}"


def as_number(value: object) -> Decimal | None:
    """A numeric value (or numeric text) as a Decimal; None if it is not one."""
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str | bytes):
        try:
            number = Decimal(value.decode() if isinstance(value, bytes) else value.strip())
        except (InvalidOperation, UnicodeDecodeError):
            return None
        return number if number.is_finite() else None
    return None


def value_text(value: object, *, limit: int | None = MAX_VALUE_TEXT) -> str:
    """A result value as text for reports and text comparisons (NULL for None)."""
    if value is None:
        text = "NULL"
    elif isinstance(value, bytes):
        text = value.decode("utf-8", errors="replace")
    elif isinstance(value, datetime | date | time):
        text = value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    elif isinstance(value, timedelta):
        text = str(value)
    else:
        text = str(value)
    if limit is not None and len(text) > limit:
        return text[: limit - 1] + "…"
    return text
