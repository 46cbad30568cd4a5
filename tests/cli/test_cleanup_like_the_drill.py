"""`ob-restore cleanup` meets run-wide failures as the drill does (one message, exit 2, at
once), and deletes concurrently within the API's rate limit; `ob-restore submit` maps an
unreachable endpoint to exit 2. In-process: the command's ``main`` runs in a worker thread
(it starts its own event loop) beside an in-process simulator.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import Sequence
from pathlib import Path

import pytest

from ob_async import ObClient, PollConfig
from ob_async._cli import main
from ob_async.drill._plan import load_plan
from ob_async.drill._runner import DrillOptions, DrillRunner
from ob_async.simulator import Simulator, SimulatorConfig
from ob_async.simulator._faults import FaultSpec
from tests.cli.support import ACCESS_KEY_ID, PROJECT, SECRET, use_cli_credentials, write_plan

# A run of this many restores, each left for the clean-up to delete.
RESTORES = 24


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once it is closed


async def _recorded_run(sim: Simulator, tmp_path: Path, restores: int = RESTORES) -> Path:
    """Run a drill of ``restores`` restores without clean-up; its journal."""
    plan = load_plan(write_plan(tmp_path / "plan.toml", restores))
    journal = tmp_path / "run.jsonl"
    async with ObClient(
        sim.url, sim.credentials, PROJECT, poll=PollConfig(initial_interval=0.1, max_interval=0.2)
    ) as client:
        report = await DrillRunner(
            client, plan, DrillOptions(journal_path=journal, cleanup=False, concurrency=32)
        ).run()
        report.close()
    assert report.not_passed == 0
    return journal


async def _ob_restore(argv: Sequence[str]) -> int:
    return await asyncio.to_thread(main, list(argv))


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    use_cli_credentials(monkeypatch)


def _simulator(**options: object) -> Simulator:
    config = SimulatorConfig(
        access_key_id=ACCESS_KEY_ID,
        access_key_secret=SECRET,
        restore_seconds=(0.1, 0.1),
        seed=25,
        **options,  # type: ignore[arg-type]
    )
    return Simulator(config)


@pytest.mark.timeout(30)  # the bound: the issue saw 6 minutes of retries
@pytest.mark.usefixtures("credentials")
async def test_cleanup_against_a_closed_port_is_one_message_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async with _simulator() as sim:
        journal = await _recorded_run(sim, tmp_path)
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    code = await _ob_restore(["cleanup", "--journal", str(journal), "--endpoint", endpoint])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""  # no FAILED line per tenant
    assert err.count("\n") == 1
    assert err.startswith("ob-restore cleanup: the endpoint cannot be reached")
    assert "nothing was deleted" in err


@pytest.mark.timeout(30)
@pytest.mark.usefixtures("credentials")
async def test_cleanup_with_a_wrong_secret_is_one_message_and_exit_2_deleting_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _simulator() as sim:
        journal = await _recorded_run(sim, tmp_path)
        monkeypatch.setenv("OB_ACCESS_KEY_SECRET", "Not-The-Secret-0000")
        code = await _ob_restore(["cleanup", "--journal", str(journal), "--endpoint", sim.url])
        stats = sim.stats()
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("ob-restore cleanup: the server refused the credentials")
    assert stats["deletes"] == 0
    assert "Not-The-Secret-0000" not in err


@pytest.mark.timeout(30)
@pytest.mark.usefixtures("credentials")
async def test_cleanup_of_an_unknown_project_is_one_message_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async with _simulator(projects=(PROJECT,)) as sim:
        journal = await _recorded_run(sim, tmp_path, restores=3)
        monkeypatch.setenv("OB_PROJECT_ID", "no-such-project")
        code = await _ob_restore(["cleanup", "--journal", str(journal), "--endpoint", sim.url])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.startswith("ob-restore cleanup: the server does not know the project")


@pytest.mark.usefixtures("credentials")
async def test_cleanup_deletes_concurrently_within_the_rate_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hold = 0.5
    # Each delete's answer is held: one at a time, a delete could not be done within
    # `hold` of the one before (the next is sent only once that answer came).
    async with _simulator(faults=FaultSpec.parse(f"slow@delete_tenant=1:{hold}")) as sim:
        journal = await _recorded_run(sim, tmp_path)
        sim.set_rate_limit(20.0)  # the clean-up's three requests a tenant share 20 a second
        code = await _ob_restore(["cleanup", "--journal", str(journal), "--endpoint", sim.url])
        stats = sim.stats()
        left = [t for t in await _tenant_names(sim) if t.startswith("e2e_")]
    out, _ = capsys.readouterr()
    assert code == 0, out
    assert out.splitlines()[-1].endswith(
        f": {RESTORES} deleted, 0 already gone, 0 kept (not created by this run), 0 failed"
    )
    assert left == []
    times = stats["deleteTimes"]
    assert len(times) == RESTORES
    overlapping = sum(1 for before, after in itertools.pairwise(times) if after - before < hold)
    assert overlapping >= RESTORES // 2
    # The journal's order, whatever order the deletes finished in.
    deleted = [line.split()[1] for line in out.splitlines()[:-1]]
    assert deleted == [
        f"ob-dr-east/e2e_{n}_tsh{(n - 1) % 12 + 1:03d}" for n in range(1, RESTORES + 1)
    ]


async def _tenant_names(sim: Simulator) -> list[str]:
    async with ObClient(sim.url, sim.credentials, PROJECT) as client:
        return [tenant.tenant_name async for tenant in client.iter_tenants("ob-dr-east")]


@pytest.mark.timeout(30)
@pytest.mark.usefixtures("credentials")
async def test_submit_against_a_closed_port_exits_2_as_its_help_says(
    capsys: pytest.CaptureFixture[str],
) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    code = await _ob_restore(
        [
            *("submit", "--endpoint", endpoint, "--source-instance-id", "ob-prod-sh"),
            *("--source-tenant-id", "tsh001", "--target-instance-id", "ob-dr-east"),
            *("--target-tenant-name", "unreached_1", "--zone", "cn-shanghai-e"),
            *("--restore-time", "2026-01-13T05:58:34Z", "--cpu", "1", "--memory", "2"),
            *("--unit-num", "1"),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.startswith("ob-restore submit: the endpoint cannot be reached")
    assert "no restore was submitted" in err
