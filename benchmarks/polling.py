"""Polling load: ob-async's coalesced watcher versus one describe per waiting tenant.

Against one simulator (its own process), ``waits`` restores are submitted to
``instances`` target instances for each approach (each approach has its own
instances, so the server's per-instance counters separate them), restores
taking ``restore_seconds`` (uniform MIN-MAX). Then, at the same moment:

- **coalesced**: one ``ObClient`` waits on every tenant with
  ``ObClient.wait_until_online``; the waits of one instance share one poller
  that lists the instance's tenants once per interval;
- **per-tenant** (the baseline written here): each waiting tenant has its own
  loop that finds its tenant id once by name, then describes the tenant once
  per interval until it is ONLINE (or failed).

Both follow the same interval schedule (:class:`ob_async._restore.poll.PollConfig`:
initial interval, x1.5 per sweep, capped, +/-20% jitter). The calls are
counted on the server (``listCalls`` per instance, ``describeCalls``).
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from typing import Any

import aiohttp
import attrs

from ob_async import ObClient
from ob_async._http.credentials import Credentials
from ob_async._restore.outcome import RestoreState
from ob_async._restore.poll_config import DEFAULT_FAILURE_STATUSES, PollConfig
from ob_async._wire.tenants import ONLINE

from .clients import new_request
from .common import ACCESS_KEY_ID, ACCESS_KEY_SECRET, PROJECT_ID, fixture_text, start_simulator


def _client(url: str, poll: PollConfig) -> ObClient:
    return ObClient(
        url,
        Credentials(ACCESS_KEY_ID, access_key_secret=ACCESS_KEY_SECRET),
        PROJECT_ID,
        poll=poll,
    )


async def _submit(client: ObClient, instances: list[str], waits: int) -> list[tuple[str, str]]:
    targets = [(instances[number % len(instances)], number) for number in range(waits)]
    created: list[tuple[str, str]] = []
    limit = asyncio.Semaphore(64)

    async def one(instance: str) -> None:
        request = attrs.evolve(new_request(), target_instance_id=instance)
        async with limit:
            await client.create_restore_task(instance, request)
        created.append((instance, request.target_tenant_name))

    await asyncio.gather(*(one(instance) for instance, _ in targets))
    return created


async def _per_tenant_wait(
    client: ObClient,
    instance: str,
    name: str,
    poll: PollConfig,
    rng: random.Random,
    deadline: float,
) -> tuple[bool, int]:
    """The naive waiter: find the tenant id by name once, then describe it every interval.

    Returns whether the tenant came ONLINE and how many times its status was read.
    """
    tenant_id: str | None = None
    sweep = 0
    reads = 0
    while time.monotonic() < deadline:
        reads += 1
        if tenant_id is None:
            page = await client.list_tenants(instance, tenant_name=name, page_size=10)
            match = next((t for t in page.data_list if t.tenant_name == name), None)
            status = match.status if match else None
            tenant_id = match.tenant_id if match else None
        else:
            status = (await client.describe_tenant(instance, tenant_id)).status
        if status == ONLINE:
            return True, reads
        if status in DEFAULT_FAILURE_STATUSES:
            return False, reads
        await asyncio.sleep(poll.interval(sweep, rng.random))
        sweep += 1
    return False, reads


async def _stats(url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(url + "/_simulator/stats") as response:
        result: dict[str, Any] = await response.json()
        return result


async def _run(
    url: str,
    coalesced_instances: list[str],
    naive_instances: list[str],
    waits: int,
    poll: PollConfig,
    timeout: float,
) -> dict[str, Any]:
    coalesced = _client(url, poll)
    naive = _client(url, poll)
    async with coalesced, naive:
        mine = await _submit(coalesced, coalesced_instances, waits)
        theirs = await _submit(naive, naive_instances, waits)
        before = await _stats(url)
        rng = random.Random(7)
        deadline = time.monotonic() + timeout
        started = time.perf_counter()

        async def coalesced_all() -> list[bool]:
            outcomes = await asyncio.gather(
                *(
                    coalesced.wait_until_online(instance, name, timeout=timeout)
                    for instance, name in mine
                )
            )
            return [outcome.state is RestoreState.ONLINE for outcome in outcomes]

        async def naive_all() -> list[tuple[bool, int]]:
            return list(
                await asyncio.gather(
                    *(
                        _per_tenant_wait(naive, instance, name, poll, rng, deadline)
                        for instance, name in theirs
                    )
                )
            )

        ours, baseline = await asyncio.gather(coalesced_all(), naive_all())
        wall = time.perf_counter() - started
        after = await _stats(url)

    def lists(instances: list[str]) -> int:
        return sum(after["listCalls"].get(i, 0) - before["listCalls"].get(i, 0) for i in instances)

    coalesced_calls = lists(coalesced_instances)
    naive_describes = after["describeCalls"] - before["describeCalls"]
    naive_lookups = lists(naive_instances)
    # A poller that reads an instance with one list call per sweep, on the same schedule,
    # needs at least as many sweeps there as its most-read tenant had reads.
    most_reads: dict[str, int] = {}
    for (instance, _), (_, reads) in zip(theirs, baseline, strict=True):
        most_reads[instance] = max(most_reads.get(instance, 0), reads)
    fewest_sweeps = sum(most_reads.values())
    return {
        "waits": waits,
        "instances": len(coalesced_instances),
        "coalesced_calls": coalesced_calls,
        "coalesced_online": sum(ours),
        "naive_describes": naive_describes,
        "naive_lookups": naive_lookups,
        "naive_online": sum(online for online, _ in baseline),
        "fewest_sweeps": fewest_sweeps,
        "best_ratio": fewest_sweeps / naive_describes if naive_describes else float("nan"),
        "ratio": coalesced_calls / naive_describes if naive_describes else float("nan"),
        "ratio_all": (
            coalesced_calls / (naive_describes + naive_lookups)
            if naive_describes + naive_lookups
            else float("nan")
        ),
        "wall": wall,
    }


def run_polling(
    workdir: Path,
    *,
    waits: int,
    instances: int,
    restore_seconds: str,
    initial_interval: float,
    max_interval: float,
) -> dict[str, Any]:
    coalesced_instances = [f"poll-c{index:02d}" for index in range(instances)]
    naive_instances = [f"poll-n{index:02d}" for index in range(instances)]
    fixture = workdir / "polling-fixture.toml"
    fixture.write_text(fixture_text(coalesced_instances + naive_instances), encoding="utf-8")
    poll = PollConfig(initial_interval=initial_interval, max_interval=max_interval)
    low, _, high = restore_seconds.partition("-")
    timeout = float(high or low) * 3 + 60
    with start_simulator(fixture, restore_seconds=restore_seconds) as simulator:
        result = asyncio.run(
            _run(simulator.url, coalesced_instances, naive_instances, waits, poll, timeout)
        )
    result.update(
        restore_seconds=restore_seconds,
        initial_interval=initial_interval,
        max_interval=max_interval,
    )
    return result
