"""The virtual-time loop the drill's behaviour tests run on: time jumps only when nothing
can happen without it, and both sides of a loopback connection share it."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from tests.drill_behaviour.harness import drill_world
from tests.support.virtual_time import VirtualClock, on_virtual_time


@on_virtual_time
async def test_an_hour_of_sleeping_is_skipped_over_in_order() -> None:
    loop = asyncio.get_running_loop()
    woke: list[tuple[str, float]] = []
    start = loop.time()

    async def sleeper(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        woke.append((name, loop.time() - start))

    await asyncio.gather(sleeper("hour", 3600), sleeper("second", 1), sleeper("minute", 60))
    # (Slept for real, the hour would outlast the test's timeout.)
    assert [name for name, _ in woke] == ["second", "minute", "hour"]
    assert [at for _, at in woke] == pytest.approx([1.0, 60.0, 3600.0], abs=1e-6)


@on_virtual_time
async def test_time_stands_still_while_a_thread_works() -> None:
    loop = asyncio.get_running_loop()
    release = threading.Event()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(1)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    start = loop.time()
    working = asyncio.ensure_future(asyncio.to_thread(release.wait, 10))
    loop.call_soon(lambda: threading.Timer(0.2, release.set).start())
    assert await working is True
    # The ticker's timer was due all along, yet the loop did not jump to it.
    assert loop.time() == start
    assert ticks == 0
    ticking.cancel()


@on_virtual_time
async def test_the_client_and_the_simulator_read_the_same_time(tmp_path: Path) -> None:
    async with drill_world(tmp_path, restore_seconds=600, seed=3) as world:
        clock = VirtualClock()
        async with world.client() as client:
            assert isinstance(client.clock, VirtualClock)
            started = clock.now()
            tenants = [t async for t in client.iter_tenants("ob-dr-east")]
            assert tenants
            await asyncio.sleep(600)
            assert (clock.now() - started).total_seconds() == pytest.approx(600, abs=1e-5)
            assert abs(clock.time() - world.simulator.config.clock.time()) < 1e-9
