"""A fault-injecting TCP proxy for the reliability tests.

It sits between a client and a server on loopback and, with a seeded random
generator, does to the byte streams what networks do: resets a connection in
the middle of a request or of a response, delays chunks, splits writes into
small pieces, and stalls. Every decision is counted.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from contextlib import suppress

import attrs

from tests.support.latency_proxy import LoopbackProxy


@attrs.frozen(kw_only=True)
class ChaosConfig:
    reset_request: float = 0.01
    """Per request chunk: drop the connection before passing it on (nothing reached the server)."""
    reset_response: float = 0.02
    """Per response chunk: drop the connection instead of passing it on (the response is lost)."""
    delay: float = 0.05
    delay_seconds: tuple[float, float] = (0.005, 0.05)
    split: float = 0.1
    stall: float = 0.003
    stall_seconds: float = 3.0


class ChaosProxy(LoopbackProxy):
    def __init__(
        self, upstream_host: str, upstream_port: int, config: ChaosConfig, *, seed: int
    ) -> None:
        super().__init__(upstream_host, upstream_port)
        self.config = config
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()

    async def _accept(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        self.counts["connections"] += 1
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.transport.abort()
            return
        pair = (client_writer, server_writer)
        upstream = asyncio.ensure_future(self._pump(client_reader, server_writer, pair, "request"))
        downstream = asyncio.ensure_future(
            self._pump(server_reader, client_writer, pair, "response")
        )
        for task in (upstream, downstream):
            self._track(task)
        await asyncio.wait((upstream, downstream), return_when=asyncio.FIRST_COMPLETED)
        for task in (upstream, downstream):
            task.cancel()
        for writer in pair:
            writer.transport.abort()

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        pair: tuple[asyncio.StreamWriter, asyncio.StreamWriter],
        direction: str,
    ) -> None:
        config = self.config
        reset = config.reset_request if direction == "request" else config.reset_response
        with suppress(ConnectionError, asyncio.IncompleteReadError, OSError):
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    writer.write_eof() if writer.can_write_eof() else None
                    return
                draw = self.rng.random()
                if draw < reset:
                    self.counts[f"reset_{direction}"] += 1
                    # Pass on part of it, then cut: a reset in the middle of the message.
                    writer.write(chunk[: len(chunk) // 2])
                    for side in pair:
                        side.transport.abort()
                    return
                draw -= reset
                if draw < config.stall:
                    self.counts["stall"] += 1
                    await asyncio.sleep(config.stall_seconds)
                elif draw < config.stall + config.delay:
                    self.counts["delay"] += 1
                    await asyncio.sleep(self.rng.uniform(*config.delay_seconds))
                if self.rng.random() < config.split and len(chunk) > 1:
                    self.counts["split"] += 1
                    cut = self.rng.randrange(1, len(chunk))
                    writer.write(chunk[:cut])
                    await writer.drain()
                    await asyncio.sleep(0.001)
                    writer.write(chunk[cut:])
                else:
                    writer.write(chunk)
                await writer.drain()
