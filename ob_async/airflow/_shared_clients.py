"""One client per connection per event loop, shared by every wait in that loop.

A triggerer runs all its triggers in one event loop. If each trigger built its own client,
N waiting restores would cost N list calls per poll interval and N rate limiters that know
nothing of each other. Here the waits of one connection borrow one :class:`ObClient`: its
:class:`~ob_async._restore.poll.WatcherPool` gives waits on the same instance one poller, so
a thousand waits cost one list call per interval, and its limiter paces them all.

The registry is process-wide, keyed by (event loop, connection id): a client belongs to the
loop it was opened in (``dag.test()`` runs each trigger in a loop of its own). It is counted:
the first borrower opens the client, the last one to leave closes it, cancelled or not.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import attrs

from ob_async._client import ObClient


@attrs.define(eq=False)
class _Lease:
    opening: asyncio.Task[ObClient]
    borrowers: int = 0


class SharedClients:
    """Hands out one opened client per (running loop, connection id); see the module doc."""

    def __init__(self, open_client: Callable[[str], Awaitable[ObClient]]) -> None:
        self._open_client = open_client
        self._leases: dict[tuple[asyncio.AbstractEventLoop, str], _Lease] = {}

    def borrowers(self, conn_id: str) -> int:
        """How many waits of the running loop share the connection's client now."""
        lease = self._leases.get((asyncio.get_running_loop(), conn_id))
        return lease.borrowers if lease is not None else 0

    @asynccontextmanager
    async def borrow(self, conn_id: str) -> AsyncIterator[ObClient]:
        key = (asyncio.get_running_loop(), conn_id)
        lease = self._leases.get(key)
        if lease is None or _failed(lease.opening):
            # Created before any await: a second borrower arriving while the first is
            # still opening waits for the same client instead of opening another.
            lease = self._leases[key] = _Lease(asyncio.ensure_future(self._open_client(conn_id)))
        lease.borrowers += 1
        try:
            client = await asyncio.shield(lease.opening)
            yield client
        finally:
            lease.borrowers -= 1
            if lease.borrowers == 0 and self._leases.get(key) is lease:
                del self._leases[key]
                # Shielded: the last wait may be leaving because it was cancelled, and
                # the client's watchers and connections must still be closed.
                await asyncio.shield(_close(lease.opening))


def _failed(opening: asyncio.Task[ObClient]) -> bool:
    return opening.done() and (opening.cancelled() or opening.exception() is not None)


async def _close(opening: asyncio.Task[ObClient]) -> None:
    if not opening.done():
        opening.cancel()
    try:
        client = await opening
    except BaseException:  # it never opened (failed, or cancelled above): nothing to close
        return
    await client.close()
