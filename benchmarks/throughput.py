"""Steady-state rounds and cold bursts of the five clients against a server in another process.

Steady state: :func:`open_warm` opens a client and warms it up (the handshake
and a full connection pool); each :func:`window` then sends ``requests`` calls
with ``concurrency`` in flight.
Client CPU is ``time.process_time()`` over the sending window, divided by the
calls the server accepted; wall req/s over the same window; 401s per 1,000
calls from the server's counters.

Cold burst (:func:`cold_burst`): a fresh client fires ``size`` concurrent first
calls; the server's counters say how many 401s it sent and how many
``(nonce, nc)`` pairs arrived a second time.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import time
from typing import Any

from .clients import CLIENTS, Client
from .common import ServerStats


async def _drive(client: Client, total: int, concurrency: int) -> tuple[int, int]:
    numbers = itertools.count()
    ok = 0
    failed = 0

    async def worker() -> None:
        nonlocal ok, failed
        while next(numbers) < total:
            if await client.call():
                ok += 1
            else:
                failed += 1

    await asyncio.gather(*(worker() for _ in range(min(concurrency, total))))
    return ok, failed


async def open_warm(variant: str, url: str, *, concurrency: int, warmup: int) -> Client:
    """A client of ``variant`` past its handshake, with a full connection pool."""
    client = CLIENTS[variant](url, concurrency)
    await client.open()
    await _drive(client, warmup, concurrency)
    return client


async def window(
    client: Client, stats: ServerStats, *, requests: int, concurrency: int
) -> dict[str, Any]:
    """One measured sending window of an open, warm client."""
    before = await stats.read()
    gc.collect()
    cpu_start = time.process_time()
    wall_start = time.perf_counter()
    ok, failed = await _drive(client, requests, concurrency)
    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    after = await stats.read()
    return _figures(client.name, ok, failed, cpu, wall, before, after)


def _figures(
    variant: str,
    ok: int,
    failed: int,
    cpu: float,
    wall: float,
    before: dict[str, int],
    after: dict[str, int],
) -> dict[str, Any]:
    calls = ok + failed
    challenges = after["challenges"] - before["challenges"]
    return {
        "variant": variant,
        "ok": ok,
        "failed": failed,
        "cpu_us": cpu / ok * 1e6 if ok else float("nan"),
        "rps": ok / wall if wall else float("nan"),
        "wall": wall,
        "challenges": challenges,
        "per_1000": challenges / calls * 1000 if calls else float("nan"),
        "nc_reuses": after["ncReuses"] - before["ncReuses"],
        "round_trips": (calls + challenges) / calls if calls else float("nan"),
    }


async def cold_burst(variant: str, url: str, stats: ServerStats, *, size: int) -> dict[str, Any]:
    """``size`` concurrent first calls on a fresh client."""
    before = await stats.read()
    client = CLIENTS[variant](url, size)
    try:
        await client.open()
        results = await asyncio.gather(
            *(client.call() for _ in range(size)), return_exceptions=True
        )
    finally:
        await client.close()
    after = await stats.read()
    ok = sum(1 for result in results if result is True)
    return {
        "variant": variant,
        "size": size,
        "ok": ok,
        "failed": size - ok,
        "challenges": after["challenges"] - before["challenges"],
        "nc_reuses": after["ncReuses"] - before["ncReuses"],
    }
