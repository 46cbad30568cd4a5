"""A TCP proxy that adds a fixed network latency, for tests of bursts over a network.

Every chunk is passed on half the round-trip time after it arrived, in each
direction, so an HTTP exchange takes ``rtt`` longer than it would, however many
are in flight: chunks are queued with their due time, not delayed one after
another. With ``jitter``, each direction of each connection takes up to that
much longer again (drawn once per connection, from a seeded generator), so
requests sent together on different connections overtake each other, as they do
on a real network, while each connection keeps its bytes in order. Connecting
to the proxy is immediate (the added latency is that of each exchange, as on a
connection pool that is already open). Tests use :class:`LatencyProxy` in-process.
"""

from __future__ import annotations

import asyncio
import random
from contextlib import suppress
from typing import Self


class LoopbackProxy:
    """A TCP proxy on a free loopback port: ``async with`` it, then connect to ``url``.

    Subclasses implement :meth:`_accept`; tasks they start are registered with
    :meth:`_track` so that leaving the ``async with`` cancels them.
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


class LatencyProxy(LoopbackProxy):
    """``async with LatencyProxy(host, port, rtt=0.2) as proxy``: ``proxy.url`` adds ``rtt``."""

    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        *,
        rtt: float,
        jitter: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__(upstream_host, upstream_port)
        self.one_way = rtt / 2
        self.jitter = jitter
        self._rng = random.Random(seed)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        pumps = [
            asyncio.ensure_future(self._pump(reader, upstream_writer, self._delay())),
            asyncio.ensure_future(self._pump(upstream_reader, writer, self._delay())),
        ]
        for task in pumps:
            self._track(task)
        with suppress(asyncio.CancelledError):
            await asyncio.wait(pumps, return_when=asyncio.ALL_COMPLETED)
        for side in (writer, upstream_writer):
            side.transport.abort()

    def _delay(self) -> float:
        return self.one_way + (self._rng.uniform(0, self.jitter) if self.jitter else 0.0)

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float
    ) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, chunk = await queue.get()
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not chunk:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(chunk)
                await writer.drain()

        delivery = asyncio.ensure_future(deliver())
        try:
            with suppress(ConnectionError, OSError):
                while True:
                    chunk = await reader.read(65536)
                    queue.put_nowait((loop.time() + delay, chunk))
                    if not chunk:
                        break
            with suppress(ConnectionError, OSError):
                await delivery
        finally:
            delivery.cancel()
