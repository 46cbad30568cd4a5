"""``ob-restore cleanup --journal FILE`` after a drill: it deletes exactly what the recorded
run created (a tenant under the run's name but without its requestId marker is kept), and
again finds nothing more to do. A rerun whose names are taken points at the clean-up.

The drill runs in process on virtual time; the clean-up is the command itself, its
``main`` in a worker thread (it starts its own event loop) against the same simulator.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ob_async import RestoreRequest, TenantResource
from ob_async._cli import main
from tests.cli.support import use_cli_credentials
from tests.drill_behaviour.harness import DrillWorld, drill_world
from tests.support.drill_plans import write_plan
from tests.support.virtual_time import on_virtual_time


@pytest.fixture(autouse=True)
def _cli_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    use_cli_credentials(monkeypatch)


async def ob_restore(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    """Run the command; its exit status and the lines it printed to stdout."""
    code = await asyncio.to_thread(main, list(argv))
    return code, capsys.readouterr().out.splitlines()


async def _impostor(world: DrillWorld, name: str) -> None:
    """Someone removes a tenant of the run and restores another under its name."""
    async with world.client() as client:
        (tenant,) = [t async for t in client.iter_tenants("ob-dr-east", tenant_name=name)]
        await client.delete_tenant("ob-dr-east", tenant.tenant_id)
        (source,) = await client.list_restorable_tenants("ob-prod-sh", tenant_id="tsh002")
        latest = source.latest_restorable_time
        assert latest is not None
        submission = await client.submit_restore(
            "ob-dr-east",
            RestoreRequest(
                source_instance_id="ob-prod-sh",
                source_tenant_id="tsh002",
                target_instance_id="ob-dr-east",
                target_tenant_name=name,
                target_tenant_primary_zone="cn-shanghai-e",
                restore_time=latest,
                tenant_resource=TenantResource(cpu=1, memory=2, unit_num=1),
            ),
        )
        assert submission.submitted


@on_virtual_time
async def test_cleanup_deletes_the_runs_tenants_only_and_can_be_repeated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_plan(tmp_path / "plan.toml", 3)
    journal = tmp_path / "run.jsonl"
    async with drill_world(tmp_path, restore_seconds=0.2) as world:
        run = await world.drill(plan, journal=journal)
        assert run.by_state == {"online": 3}
        names = sorted(world.tenant_names())
        assert names == ["e2e_1_tsh001", "e2e_2_tsh002", "e2e_3_tsh003"]
        await _impostor(world, "e2e_2_tsh002")

        cleanup = ("cleanup", "--journal", str(journal), "--endpoint", world.simulator.url)
        code, lines = await ob_restore(capsys, *cleanup, "--dry-run")
        assert code == 0
        assert [line.split(" (")[0] for line in lines[:3]] == [
            "would delete ob-dr-east/e2e_1_tsh001",
            "kept ob-dr-east/e2e_2_tsh002",
            "would delete ob-dr-east/e2e_3_tsh003",
        ]
        assert "lacks this run's requestId marker" in lines[1]
        assert lines[-1].startswith("DRY RUN cleanup of run ")
        assert lines[-1].endswith(
            ": 2 would be deleted, 0 already gone, 1 kept (not created by this run), 0 failed"
        )
        assert sorted(world.tenant_names()) == names

        code, lines = await ob_restore(capsys, *cleanup)
        assert code == 0
        assert lines[-1].endswith(
            ": 2 deleted, 0 already gone, 1 kept (not created by this run), 0 failed"
        )
        left = world.tenant_names()
        assert left == ["e2e_2_tsh002"]  # the impostor, untouched
        assert "dr_sentinel" in world.tenant_names(prefix="")

        code, lines = await ob_restore(capsys, *cleanup)
        assert code == 0
        assert lines[-1].endswith(
            ": 0 deleted, 2 already gone, 1 kept (not created by this run), 0 failed"
        )
        assert world.tenant_names() == left


def test_cleanup_refuses_a_file_that_is_not_a_drill_journal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["cleanup", "--journal", str(tmp_path / "nope.jsonl"), "--simulate"]) == 2
    assert "nope.jsonl" in capsys.readouterr().err
    other = tmp_path / "other.jsonl"
    other.write_text('{"event": "something"}\n')
    assert main(["cleanup", "--journal", str(other), "--simulate"]) == 2
    assert "other.jsonl: has no 'run' line" in capsys.readouterr().err


@on_virtual_time
async def test_a_rerun_with_taken_names_points_at_cleanup_and_unique_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = write_plan(tmp_path / "plan.toml", 2)
    journal = tmp_path / "first.jsonl"
    async with drill_world(tmp_path, restore_seconds=0.2) as world:
        first = await world.drill(plan, journal=journal, name="first")
        assert first.by_state == {"online": 2}
        again = await world.drill(plan, journal=tmp_path / "second.jsonl", name="again")
        assert again.report["summary"]["failed"] == 2  # the command line exits 1
        assert "2 restore(s): 0 restored, 0 missed RTO, 2 failed" in again.summary_lines[0]
        (hint,) = [line for line in again.summary_lines if "already used." in line]
        assert hint.startswith("  note: 2 target name(s) already used.")
        assert "'ob-restore cleanup --journal <that run's journal>'" in hint
        assert "{time} or {run} in target_tenant_name" in hint
        # Following the hint: clean up the first run, and the plan runs again.
        code, _ = await ob_restore(
            capsys, "cleanup", "--journal", str(journal), "--endpoint", world.simulator.url
        )
        assert code == 0
        third = await world.drill(plan, journal=tmp_path / "third.jsonl", name="third")
        assert third.by_state == {"online": 2}
