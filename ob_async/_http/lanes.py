"""Where calls to a strict origin wait for a lane of the digest engine.

Once an origin is seen refusing nonce counts, the digest engine answers each
request in a context of the server's that only it uses while in flight (a lane,
:mod:`ob_async._digest.contexts`), and holds no more lanes than the server keeps.
A call that finds none free waits here until a flow gives one back; a flow that
ends with :attr:`~ob_async._digest.auth.FlowEnd.RESTART` (its request was
answered 401 and has no lane to answer in) is started again the same way. At any
other origin :meth:`DigestAuth.lane_free` is always True and nothing waits.
"""

from __future__ import annotations

import asyncio

from ob_async._digest import DigestAuth
from ob_async.errors import AuthenticationError

MAX_RESTARTS = 8
"""Flows one call may start over before it gives up.

A call starts over when its lane was forgotten by the server while the engine
held more lanes than the server keeps; each time the ceiling is lowered, so a
call that starts over this often meets a server that keeps forgetting.
"""


class LaneGate:
    """The calls of one session waiting for a lane, woken when a flow ends."""

    __slots__ = ("_auth", "_freed")

    def __init__(self, auth: DigestAuth) -> None:
        self._auth = auth
        self._freed: asyncio.Event | None = None

    def open(self) -> bool:
        """True if a flow started now has a lane (always, at a non-strict origin)."""
        return self._auth.lane_free()

    async def wait(self) -> None:
        """Until a flow started now has a lane; woken waiters go in the order they came."""
        while not self._auth.lane_free():
            if self._freed is None:
                self._freed = asyncio.Event()
            await self._freed.wait()

    def flow_ended(self) -> None:
        """A flow ended: its lane is idle again (or dropped), so waiters may go."""
        freed = self._freed
        if freed is not None:
            self._freed = None
            freed.set()


def too_many_restarts(origin: str) -> AuthenticationError:
    return AuthenticationError(
        f"the server at {origin} kept forgetting the digest contexts of one request "
        f"({MAX_RESTARTS} times); giving up",
        status=401,
    )
