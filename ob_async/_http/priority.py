"""Who goes first for the request budget: a request's priority, set by the context.

A drill's reads that decide a restore's state wait ahead of its new submissions
(:class:`~ob_async._http.throttle.AdaptiveRateLimiter` releases waiting requests in
this order). The priority comes from the context (:class:`request_class`), so the
API layer needs no extra parameter.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from contextvars import ContextVar, Token


class Priority(enum.IntEnum):
    """Who goes first when requests wait for the budget (lower first)."""

    STATE = 0
    """Reads that decide a restore's state: the coalesced lists, the validation read."""
    NORMAL = 1
    """Everything else: pre-flight reads, deletes, calls of an application."""
    SUBMIT = 2
    """New submissions (and their look-ups): they use what is left."""


class request_class:  # used as a function: ``with request_class(...)``
    """Requests made inside this block wait with ``priority``; ``on_admit`` is called
    each time one of them is let through (the moment it really leaves).

    The block is itself the context's value. It is entered once at a time (it holds
    the token that ends it).
    """

    __slots__ = ("_token", "on_admit", "priority")
    _token: Token[request_class | None]

    def __init__(self, priority: Priority, *, on_admit: Callable[[], None] | None = None) -> None:
        self.priority = priority
        self.on_admit = on_admit

    def __enter__(self) -> None:
        self._token = _CURRENT.set(self)

    def __exit__(self, *exc_info: object) -> None:
        _CURRENT.reset(self._token)
        # A timer scheduled inside the block (a request's timeout) keeps a copy of the
        # context, and so this block, until the time it was set for, even once
        # cancelled: the block lets go of what it holds, so that it keeps nothing else
        # (a submission, through on_admit) alive that long.
        del self._token
        self.on_admit = None


_CURRENT: ContextVar[request_class | None] = ContextVar("ob_async_request_class", default=None)


def current_priority() -> Priority:
    block = _CURRENT.get()
    return Priority.NORMAL if block is None else block.priority


def notify_admitted() -> None:
    """Tell the surrounding :func:`request_class` block that a request leaves now."""
    block = _CURRENT.get()
    if block is not None and block.on_admit is not None:
        block.on_admit()
