"""The simulator's ground truth for benchmarks: when each restore was accepted and
came ONLINE, what the rate limit let through, and a limit changed while it runs."""

from __future__ import annotations

import aiohttp

from ob_async.simulator import ManualClock, Simulator

from ._helpers import ApiClient, restore_body

LIST = "/api/v2/instances/ob-dr-east/tenants"


async def test_restore_times_are_the_accepted_and_online_moments(
    session: aiohttp.ClientSession,
) -> None:
    clock = ManualClock(1_800_000_000.0)
    async with Simulator(clock=clock, restore_seconds=4, seed=3) as sim:
        api = ApiClient(session, sim)
        assert (await api.restore(restore_body("t_first"))).status == 200
        clock.advance(1.5)
        assert (await api.restore(restore_body("t_second"))).status == 200
        clock.advance(3.0)  # the first is ONLINE (at +4 s), the second not yet
        times = {entry["tenantName"]: entry for entry in sim.stats()["restoreTimes"]}
        assert times["t_first"]["acceptedAt"] == 1_800_000_000.0
        assert times["t_first"]["onlineAt"] == 1_800_000_004.0
        assert times["t_first"]["status"] == "ONLINE"
        assert times["t_second"]["acceptedAt"] == 1_800_000_001.5
        assert times["t_second"]["onlineAt"] is None
        clock.advance(10.0)
        times = {entry["tenantName"]: entry for entry in sim.stats()["restoreTimes"]}
        assert times["t_second"]["onlineAt"] == 1_800_000_005.5


async def test_a_failed_restore_never_has_an_online_time(session: aiohttp.ClientSession) -> None:
    clock = ManualClock()
    async with Simulator(clock=clock, restore_seconds=1, failure_rate=1.0) as sim:
        api = ApiClient(session, sim)
        assert (await api.restore(restore_body("t_fails"))).status == 200
        clock.advance(5)
        (entry,) = sim.stats()["restoreTimes"]
        assert entry["status"] == "RESTORE_FAILED"
        assert entry["onlineAt"] is None


async def test_the_rate_limit_changes_while_running(session: aiohttp.ClientSession) -> None:
    clock = ManualClock(1_800_000_000.0)
    async with Simulator(rate_limit=4, clock=clock) as sim:
        api = ApiClient(session, sim)
        statuses = [(await api.call("GET", LIST)).status for _ in range(6)]
        assert statuses == [200] * 4 + [429] * 2
        clock.advance(1.0)
        async with session.post(sim.url + "/_simulator/rate-limit?perSecond=2") as reply:
            assert reply.status == 200
            assert await reply.json() == {"rateLimit": 2.0}
        # The new limit holds from now on, its burst included.
        statuses = [(await api.call("GET", LIST)).status for _ in range(4)]
        assert statuses == [200, 200, 429, 429]
        refused = await api.call("GET", LIST)
        assert "2 requests per second" in refused.json["errorMessage"]
        stats = sim.stats()
        assert stats["rateLimits"] == [[1_800_000_000.0, 4], [1_800_000_001.0, 2.0]]
        assert stats["answerTimeline"] == [[1_800_000_000.0, 4, 2], [1_800_000_001.0, 2, 3]]


async def test_a_bad_rate_limit_change_is_refused(session: aiohttp.ClientSession) -> None:
    async with Simulator(rate_limit=4) as sim:
        for value in ("0", "-3", "fast", "nan"):
            async with session.post(f"{sim.url}/_simulator/rate-limit?perSecond={value}") as reply:
                assert reply.status == 400
                assert "perSecond" in (await reply.json())["errorMessage"]
        assert sim.stats()["rateLimits"] == [[sim.stats()["rateLimits"][0][0], 4]]
