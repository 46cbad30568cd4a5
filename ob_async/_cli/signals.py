"""Ctrl-C and SIGTERM as callbacks on the event loop, where the loop supports them.

Event loops without signal support (Windows' proactor loop, a loop outside the
main thread) raise NotImplementedError or RuntimeError from ``add_signal_handler``.
There nothing is installed and Ctrl-C arrives as KeyboardInterrupt instead, which
``ob_async._cli.main`` turns into exit code 130.
"""

from __future__ import annotations

import asyncio
import functools
import signal
from collections.abc import Callable
from contextlib import suppress

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_UNSUPPORTED = (NotImplementedError, RuntimeError)


def on_stop_signals(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> None:
    """Call ``callback`` on every SIGINT and SIGTERM, where the loop can."""
    on_each_stop_signal(loop, lambda _signum: callback())


def on_each_stop_signal(
    loop: asyncio.AbstractEventLoop, callback: Callable[[signal.Signals], None]
) -> None:
    """Call ``callback(signum)`` on every SIGINT and SIGTERM, where the loop can."""
    for signum in STOP_SIGNALS:
        with suppress(*_UNSUPPORTED):
            loop.add_signal_handler(signum, functools.partial(callback, signum))


def forget_stop_signals(loop: asyncio.AbstractEventLoop) -> None:
    """Undo :func:`on_stop_signals`: SIGINT and SIGTERM act as they did before."""
    for signum in STOP_SIGNALS:
        with suppress(*_UNSUPPORTED):
            loop.remove_signal_handler(signum)
