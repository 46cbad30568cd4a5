"""`ob-restore submit` is safe for a script to retry: the same --request-id adopts the
tenant it created; --timeout bounds the whole command.

The command runs in process (its ``main`` in a worker thread: it starts its own event
loop) against an in-process simulator.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import pytest

from ob_async._cli import main
from ob_async.simulator import Simulator, SimulatorConfig
from tests.cli.support import ACCESS_KEY_ID, SECRET, use_cli_credentials

Submit = Callable[..., Coroutine[Any, Any, tuple[int, str, str]]]


@pytest.fixture
def submit(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Submit:
    """``ob-restore submit --endpoint URL ... ARGS``: its exit status, stdout and stderr."""
    use_cli_credentials(monkeypatch)

    async def run(url: str, *args: str) -> tuple[int, str, str]:
        argv = [
            "submit", "--endpoint", url,
            "--source-instance-id", "ob-prod-sh", "--source-tenant-id", "tsh001",
            "--target-instance-id", "ob-dr-east", "--target-tenant-name", "retried_1",
            "--zone", "cn-shanghai-e", "--restore-time", "latest",
            "--cpu", "1", "--memory", "2", "--unit-num", "1", "--json", *args,
        ]  # fmt: skip
        code = await asyncio.to_thread(main, argv)
        out, err = capsys.readouterr()
        return code, out, err

    return run


@asynccontextmanager
async def simulator(**options: Any) -> AsyncIterator[Simulator]:
    config = SimulatorConfig(access_key_id=ACCESS_KEY_ID, access_key_secret=SECRET, **options)
    async with Simulator(config) as sim:
        yield sim


def tenants_named(sim: Simulator, name: str) -> list[str]:
    return [t["tenantName"] for t in sim.tenants("ob-dr-east") if t["tenantName"] == name]


async def test_the_same_request_id_twice_adopts_the_tenant_it_created(submit: Submit) -> None:
    async with simulator(seed=51, restore_seconds=0.2) as sim:
        first = await submit(sim.url, "--request-id", "script-run-0001")
        second = await submit(sim.url, "--request-id", "script-run-0001", "--wait")
        names = tenants_named(sim, "retried_1")
    assert first[0] == 0, first[2]
    assert json.loads(first[1])["submission"] == "submitted"
    assert second[0] == 0, second[1] + second[2]
    record = json.loads(second[1])
    assert record["submission"] == "adopted"
    assert record["state"] == "online"
    assert names == ["retried_1"]  # one tenant, not two


async def test_another_request_id_for_a_taken_name_is_still_a_conflict(submit: Submit) -> None:
    async with simulator(seed=52, restore_seconds=0.2) as sim:
        assert (await submit(sim.url, "--request-id", "script-run-0002"))[0] == 0
        code, out, _ = await submit(sim.url, "--request-id", "someone-else-0002")
    assert code == 1
    assert json.loads(out)["state"] == "conflict"


@pytest.mark.timeout(30)  # the bound under test is the command's own 3 s
async def test_timeout_bounds_the_whole_command_against_a_stalled_server(submit: Submit) -> None:
    # Every restore POST is held 60 s: without an overall bound the command waited
    # its 120 s per exchange, then reconciled for as long again.
    async with simulator(seed=53, faults="slow@restore=1.0:60") as sim:
        code, _, err = await submit(sim.url, "--timeout", "3s")
    assert code == 1, err
    assert "--timeout 3s passed before the submission settled" in err
    assert "--request-id" in err
