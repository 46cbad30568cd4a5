"""Injected faults: the SPEC grammar, their rates and effects, rate limiting, dedupe."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import Counter

import aiohttp
import pytest

from ob_async.simulator import FaultKind, FaultSpec, FaultSpecError, ManualClock, Simulator

from ._helpers import ApiClient, raw_call, restore_body

LIST = "/api/v2/instances/obxxx/tenants"


def test_spec_round_trips_and_scopes_resolve() -> None:
    spec = FaultSpec.parse(
        " reset_before=0.05, reset_after=0.05,http_500=0.03,http_502_html=0.03,http_503=0.03,"
        "throttle=0.03,slow=0.02:1.5,truncated=0.01, reset_after@restore=0.2, http_503@read=0.1"
    )
    tables = spec.tables()
    restore = {fault.kind: threshold for threshold, fault in tables["restore"]}
    assert restore[FaultKind.RESET_AFTER] - restore[FaultKind.RESET_BEFORE] == pytest.approx(0.2)
    read_kinds = [fault.kind for _, fault in tables["list_tenants"]]
    assert FaultKind.HTTP_503 in read_kinds
    last_threshold, _ = tables["list_tenants"][-1]
    assert last_threshold == pytest.approx(0.05 + 0.05 + 0.03 + 0.03 + 0.1 + 0.03 + 0.02 + 0.01)
    slow = next(fault for _, fault in tables["restore"] if fault.kind is FaultKind.SLOW)
    assert slow.seconds == 1.5
    assert FaultSpec.parse(str(spec)) == spec
    assert FaultSpec.parse("").tables() == {}
    assert FaultSpec.parse("slow=0.5").rules[0].seconds == 1.0


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("explode=0.1", "explode"),
        ("reset_after=1.5", "reset_after=1.5"),
        ("reset_after=-0.1", "reset_after=-0.1"),
        ("reset_after=lots", "lots"),
        ("reset_after", "reset_after"),
        ("throttle=0.1:2", "throttle=0.1:2"),
        ("slow=0.1:0", "slow=0.1:0"),
        ("slow=0.1:forever", "forever"),
        ("http_500@nowhere=0.1", "nowhere"),
        ("http_500@=0.1", "http_500@=0.1"),
        ("http_500=0.1,http_500=0.2", "http_500=0.2"),
        ("http_500=0.1,,http_503=0.1", "empty entry"),
        ("http_500=0.6,http_503=0.6", "restore"),
        ("http_500=nan", "nan"),
    ],
)
def test_bad_specs_name_the_entry(text: str, named: str) -> None:
    with pytest.raises(FaultSpecError) as caught:
        FaultSpec.parse(text)
    assert named in str(caught.value)


def binomial_bounds(n: int, p: float, sigmas: float = 5.0) -> tuple[float, float]:
    mean = n * p
    spread = sigmas * math.sqrt(n * p * (1 - p))
    return mean - spread, mean + spread


async def test_every_fault_kind_at_its_rate_counted_and_seen(
    session: aiohttp.ClientSession,
) -> None:
    rate, slow_seconds, total = 0.04, 0.2, 2000
    spec = ",".join(
        f"{kind}={rate}:{slow_seconds}" if kind is FaultKind.SLOW else f"{kind}={rate}"
        for kind in FaultKind
    )
    async with Simulator(faults=spec, seed=42, restore_seconds=600) as sim:
        api = ApiClient(session, sim)
        await api.fetch_challenge()
        seen: Counter[str] = Counter()
        slow_seen = 0
        names = [f"f{number:05d}" for number in range(total)]
        queue = iter(names)

        async def one(name: str) -> None:
            nonlocal slow_seen
            started = time.perf_counter()
            try:
                reply = await api.restore(restore_body(name), request_id=f"id-{name}")
            except aiohttp.ClientConnectionError:
                seen["reset"] += 1
                return
            if time.perf_counter() - started >= slow_seconds:
                slow_seen += 1
            if reply.headers["Content-Type"].startswith("text/html"):
                assert reply.status == 502
                assert "Bad Gateway" in reply.text
                seen["http_502_html"] += 1
                return
            try:
                envelope = reply.json
            except json.JSONDecodeError:
                assert reply.status == 200
                seen["truncated"] += 1
                return
            if reply.status == 429:
                assert reply.headers["Retry-After"] == "1"
            assert envelope["requestId"] == f"id-{name}"
            seen[str(reply.status)] += 1

        async def worker() -> None:
            for name in queue:
                await one(name)

        await asyncio.gather(*(worker() for _ in range(16)))
        stats = sim.stats()

    injected = stats["faultsInjected"]
    low, high = binomial_bounds(total, rate)
    for kind in FaultKind:
        assert low <= injected.get(kind.value, 0) <= high, (kind, injected)
    assert seen["reset"] == injected["reset_before"] + injected["reset_after"]
    assert stats["requestsByStatus"]["reset"] == seen["reset"]
    assert seen["500"] == injected["http_500"] == stats["refusals"]["InternalError"]
    assert seen["http_502_html"] == injected["http_502_html"]
    assert seen["503"] == injected["http_503"] == stats["refusals"]["ServiceUnavailable"]
    assert seen["429"] == injected["throttle"] == stats["refusals"]["Throttling"]
    assert seen["truncated"] == injected["truncated"]
    assert slow_seen >= injected["slow"]
    processed = total - sum(
        injected[kind]
        for kind in ("reset_before", "http_500", "http_502_html", "http_503", "throttle")
    )
    # What took effect is exactly what the ground truth holds, faulted answers included.
    assert stats["restoresAccepted"] == processed
    assert stats["tenantsByInstance"]["ob-dr-east"] == processed + 1
    assert seen["200"] == processed - injected["reset_after"] - injected["truncated"]
    by_target = stats["requestIdsByTargetTenant"]
    assert len(by_target) == total
    assert all(by_target[name] == [f"id-{name}"] for name in names)


async def test_reset_after_creates_the_tenant_and_loses_the_answer(
    session: aiohttp.ClientSession,
) -> None:
    async with Simulator(faults="reset_after@restore=1") as sim:
        api = ApiClient(session, sim)
        with pytest.raises(aiohttp.ClientConnectionError):
            await api.restore(restore_body("t_lost"), request_id="lost-1")
        assert [t["tenantName"] for t in sim.tenants("ob-dr-east")] == ["dr_sentinel", "t_lost"]
        # Another route is not in the rule's scope.
        assert (await api.call("GET", "/api/v2/instances/ob-dr-east/tenants")).status == 200
        with pytest.raises(aiohttp.ClientConnectionError):
            await api.restore(restore_body("t_lost"), request_id="lost-2")
        stats = sim.stats()
        assert stats["requestIdsByTargetTenant"]["t_lost"] == ["lost-1", "lost-2"]
        assert stats["refusals"]["TenantNameConflict"] == 1
        assert stats["restoresAccepted"] == 1


async def test_reset_before_creates_nothing(session: aiohttp.ClientSession) -> None:
    async with Simulator(faults="reset_before@write=1") as sim:
        api = ApiClient(session, sim)
        with pytest.raises(aiohttp.ClientConnectionError):
            await api.restore(restore_body("t_never"))
        assert [t["tenantName"] for t in sim.tenants("ob-dr-east")] == ["dr_sentinel"]
        assert sim.stats()["faultsInjected"] == {"reset_before": 1}


async def test_truncated_answer_after_the_work_is_done(session: aiohttp.ClientSession) -> None:
    async with Simulator(faults="truncated@restore=1") as sim:
        api = ApiClient(session, sim)
        reply = await api.restore(restore_body("t_cut"))
        assert reply.status == 200
        with pytest.raises(json.JSONDecodeError):
            _ = reply.json
        assert reply.text.startswith('{"success":true')
        assert sim.tenants("ob-dr-east")[-1]["tenantName"] == "t_cut"


async def test_scoped_rule_spares_other_routes(session: aiohttp.ClientSession) -> None:
    async with Simulator(faults="http_503@read=1") as sim:
        api = ApiClient(session, sim)
        reply = await api.call("GET", LIST)
        assert reply.status == 503
        assert reply.json["errorCode"] == "ServiceUnavailable"
        assert (await api.restore(restore_body("t_ok"))).status == 200


async def test_faults_never_touch_the_handshake(session: aiohttp.ClientSession) -> None:
    async with Simulator(faults="http_500=1") as sim:
        reply = await raw_call(session, sim, "GET", LIST)
        assert reply.status == 401
        assert reply.challenges
        api = ApiClient(session, sim)
        assert (await api.call("GET", LIST)).status == 500
        assert sim.stats()["faultsInjected"] == {"http_500": 1}


async def test_rate_limit_answers_429_with_retry_after(session: aiohttp.ClientSession) -> None:
    clock = ManualClock()
    async with Simulator(rate_limit=5, clock=clock) as sim:
        api = ApiClient(session, sim)
        for _ in range(5):
            assert (await api.call("GET", LIST)).status == 200
        refused = await api.call("GET", LIST)
        assert refused.status == 429
        assert refused.json["errorCode"] == "Throttling"
        assert refused.headers["Retry-After"] == "1"
        clock.advance(0.2)
        assert (await api.call("GET", LIST)).status == 200
        assert (await api.call("GET", LIST)).status == 429
        assert sim.stats()["rateLimited"] == 2


async def test_dedupe_replays_the_first_answer(session: aiohttp.ClientSession) -> None:
    async with Simulator(dedupe_request_ids=True, faults="reset_after@restore=1") as sim:
        api = ApiClient(session, sim)
        with pytest.raises(aiohttp.ClientConnectionError):
            await api.restore(restore_body("t_once"), request_id="same")
        replay = await api.restore(restore_body("t_once"), request_id="same")
        assert replay.status == 200
        assert replay.json["requestId"] == "same"
        assert [t["tenantName"] for t in sim.tenants("ob-dr-east")] == ["dr_sentinel", "t_once"]
        assert sim.stats()["dedupeReplays"] == 1


async def test_without_dedupe_a_repeated_request_id_is_just_another_request(
    api: ApiClient, sim: Simulator
) -> None:
    assert (await api.restore(restore_body("t_twice"), request_id="same")).status == 200
    again = await api.restore(restore_body("t_twice"), request_id="same")
    assert again.status == 409
    assert again.json["errorCode"] == "TenantNameConflict"
    assert sim.stats()["dedupeReplays"] == 0
