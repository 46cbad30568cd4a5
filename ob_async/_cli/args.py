"""Argument types and logging set-up shared by the subcommands."""

from __future__ import annotations

import argparse
import logging
import math
import sys
from typing import Any

from ob_async._http.throttle.pacer import MIN_RATE


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def configure_logging(verbose: int, quiet: bool) -> None:
    """``-v`` INFO, ``-vv`` DEBUG (requestIds, timings; never a header or the secret)."""
    level = logging.WARNING
    if quiet:
        level = logging.ERROR
    elif verbose == 1:
        level = logging.INFO
    elif verbose >= 2:
        level = logging.DEBUG
    handler = _CurrentStderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("ob_async")
    root.handlers[:] = [handler]
    root.setLevel(level)


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a record comes, not what it was at set-up.

    While the drill's live display runs, rich stands in for ``sys.stderr`` and
    prints what is written above the live line; a handler holding the original
    stream would write into the line instead.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        return None


def submit_rate(text: str) -> float:
    """A ``--rate`` in submits per second: a positive number, not below the minimum."""
    value = positive_float(text)
    if value < MIN_RATE:
        raise argparse.ArgumentTypeError(
            f"must be at least {MIN_RATE} submits per second, got {text!r}"
        )
    return value
