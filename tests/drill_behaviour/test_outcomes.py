"""What a drill's report says of each restore: RTO misses, a dry run's plan and its
pre-flight problems, the clean-up of exactly the drill's tenants, a resume of a plan
that changed. (Exit statuses end to end: tests/cli/test_drill_cli.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from ob_async.errors import InvalidInputError
from tests.drill_behaviour.harness import drill_world
from tests.support.drill_plans import write_plan
from tests.support.virtual_time import on_virtual_time


@on_virtual_time
async def test_rto_misses_fail_the_drill(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 3, drill='rto = "0.1s"')
    async with drill_world(tmp_path, restore_seconds=0.6, seed=4) as world:
        run = await world.drill(plan, journal=tmp_path / "j.jsonl")
    assert run.report["summary"]["rtoMissed"] == 3
    assert run.report["summary"]["ok"] == 0  # none passed: the command line exits 1
    assert "0 restored, 3 missed RTO" in run.summary_lines[0]
    assert all(i["state"] == "online" and i["metRto"] is False for i in run.items)
    failures = list(run.junit.iter("failure"))
    assert len(failures) == 3
    assert all("over the RTO target" in (f.get("message") or "") for f in failures)


@on_virtual_time
async def test_dry_run_sends_no_post_and_lists_what_it_would_restore(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 5)
    async with drill_world(tmp_path, seed=5) as world:
        run = await world.drill(plan, dry_run=True)
        stats = world.stats()
    assert stats["requestsByRoute"].get("restore", 0) == 0
    assert stats["requests"] > 0  # the read-only pre-flight checks did run
    assert all(i["state"] == "planned" for i in run.items)
    assert run.items[0]["source"] == {"instanceId": "ob-prod-sh", "tenantId": "tsh001"}
    assert all(i["restoreTime"] for i in run.items)  # "latest", resolved


@on_virtual_time
async def test_dry_run_reports_preflight_problems(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 2, restore_time="2020-01-01T00:00:00Z")
    async with drill_world(tmp_path, seed=5) as world:
        run = await world.drill(plan, dry_run=True)
        assert world.restore_posts() == 0
    assert run.states == ["preflight_failed"] * 2
    assert run.report["summary"]["failed"] == 2  # the command line exits 1
    assert all("outside every restorable window" in i["error"] for i in run.items)


@on_virtual_time
async def test_cleanup_deletes_exactly_the_drills_tenants(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 4)
    async with drill_world(tmp_path, restore_seconds=0.3, seed=6) as world:
        before = sorted(t["tenantName"] for t in world.simulator.tenants("ob-dr-east"))
        run = await world.drill(plan, journal=tmp_path / "j.jsonl", cleanup=True)
        after = sorted(t["tenantName"] for t in world.simulator.tenants("ob-dr-east"))
        stats = world.stats()
    assert run.by_state == {"online": 4}
    assert after == before  # the sentinel is still there, the drill's four are gone
    assert "dr_sentinel" in after
    assert stats["deletes"] == 4
    assert all(i["cleanup"]["deleted"] for i in run.items)
    assert len(run.journal_events("cleaned")) == 4


@on_virtual_time
async def test_resume_refuses_a_changed_plan(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 2)
    journal = tmp_path / "j.jsonl"
    async with drill_world(tmp_path, restore_seconds=0.2, seed=10) as world:
        first = await world.drill(plan, journal=journal)
        assert first.by_state == {"online": 2}
        write_plan(plan, 3)
        with pytest.raises(InvalidInputError, match="plan changed"):
            await world.drill(plan, journal=journal, resume=True)
        assert world.restore_posts() == 2
