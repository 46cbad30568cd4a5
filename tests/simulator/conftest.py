"""Fixtures: an in-process simulator on a manual clock, and an authenticated client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from ob_async.simulator import ManualClock, Simulator

from ._helpers import ApiClient


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def sim(clock: ManualClock) -> AsyncIterator[Simulator]:
    async with Simulator(clock=clock, restore_seconds=60, seed=1) as simulator:
        yield simulator


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def api(session: aiohttp.ClientSession, sim: Simulator) -> ApiClient:
    return ApiClient(session, sim)
