"""Who goes first for the request budget: a request's priority, set by the context.

A drill's reads that decide a restore's state wait ahead of its new submissions
(:class:`~ob_async.http.throttle.AdaptiveRateLimiter` releases waiting requests in
this order). The priority comes from the context (:class:`request_class`), so the
API layer needs no extra parameter.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from contextvars import ContextVar


class Priority(enum.IntEnum):
    """Who goes first when requests wait for the budget (lower first)."""

    STATE = 0
    """Reads that decide a restore's state: the coalesced lists, the validation read."""
    NORMAL = 1
    """Everything else: pre-flight reads, deletes, calls of an application."""
    SUBMIT = 2
    """New submissions (and their look-ups): they use what is left."""


_PRIORITY: ContextVar[Priority] = ContextVar("ob_async_request_priority", default=Priority.NORMAL)
_ON_ADMIT: ContextVar[Callable[[], None] | None] = ContextVar("ob_async_on_admit", default=None)


class request_class:  # used as a function: ``with request_class(...)``
    """Requests made inside this block wait with ``priority``; ``on_admit`` is called
    each time one of them is let through (the moment it really leaves).

    A class rather than a ``@contextmanager`` generator: every submission attempt
    enters one, and the generator's frame and wrapper cost several times as much.
    """

    __slots__ = ("_admit_token", "_on_admit", "_priority", "_priority_token")

    def __init__(self, priority: Priority, *, on_admit: Callable[[], None] | None = None) -> None:
        self._priority = priority
        self._on_admit = on_admit

    def __enter__(self) -> None:
        self._priority_token = _PRIORITY.set(self._priority)
        self._admit_token = _ON_ADMIT.set(self._on_admit)

    def __exit__(self, *exc_info: object) -> None:
        _ON_ADMIT.reset(self._admit_token)
        _PRIORITY.reset(self._priority_token)


def current_priority() -> Priority:
    return _PRIORITY.get()


def notify_admitted() -> None:
    """Tell the surrounding :func:`request_class` block that a request leaves now."""
    callback = _ON_ADMIT.get()
    if callback is not None:
        callback()
