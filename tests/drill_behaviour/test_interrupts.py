"""An interrupt at any point loses nothing: the run's report holds every planned item once,
every tenant the server created is in it as sent, and a resume finishes the run without
sending anything twice.

Three ways to interrupt, at several points of a run: a stop (a first SIGINT: nothing new
is sent, what is on the wire finishes), an abort (a second SIGINT: what is in flight is
cancelled and recorded), and the run's task cancelled by whatever owns it (then the
journal is the record: the resume accounts for every item).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.drill_behaviour.harness import DrillRun, DrillWorld, drill_world, stop_when
from tests.support.drill_plans import write_plan
from tests.support.virtual_time import on_virtual_time

RESTORES = 12
POINTS = [("submitting", 1), ("submitted", 1), ("submitted", 5), ("item", 3), ("item", 9)]
"""(event, count): the moment of the interrupt, the ``count``-th such progress event."""


def _nth(event: str, count: int) -> Callable[[str, dict[str, Any]], bool]:
    seen = 0

    def when(name: str, fields: dict[str, Any]) -> bool:
        nonlocal seen
        seen += name == event
        return name == event and seen == count

    return when


def _assert_accounted(world: DrillWorld, run: DrillRun) -> None:
    """Every planned item once; every tenant the server holds is an item that was sent."""
    assert run.report["summary"]["items"] == RESTORES
    assert len({item["key"] for item in run.items}) == RESTORES
    sent = {i["target"]["tenantName"] for i in run.items if i["state"] != "not_started"}
    assert set(world.tenant_names()) <= sent
    assert run.junit.get("tests") == str(RESTORES)


async def _resumed(world: DrillWorld, plan: Path, journal: Path) -> None:
    resumed = await world.drill(plan, journal=journal, resume=True, name="resumed")
    names = world.tenant_names()
    assert resumed.by_state == {"online": RESTORES}
    assert len(names) == len(set(names)) == RESTORES  # nothing created twice
    stats = world.stats()
    for item in resumed.items:  # one requestId across both runs
        ids = stats["requestIdsByTargetTenant"][item["target"]["tenantName"]]
        assert set(ids) == {item["requestId"]}


def _plan(tmp_path: Path) -> Path:
    return write_plan(
        tmp_path / "plan.toml",
        RESTORES,
        drill="concurrency = 4\nrestoring_per_instance = 4",
    )


@pytest.mark.parametrize(("event", "count"), POINTS)
@pytest.mark.parametrize("abort", [False, True], ids=["stop", "abort"])
@on_virtual_time
async def test_a_stop_or_an_abort_anywhere_then_a_resume(
    tmp_path: Path, event: str, count: int, abort: bool
) -> None:
    plan, journal = _plan(tmp_path), tmp_path / "j.jsonl"
    async with drill_world(
        tmp_path, restore_seconds=(0.5, 1.5), seed=61, faults="reset_after@restore=0.2"
    ) as world:
        run = await world.drill(
            plan,
            journal=journal,
            on_event=stop_when(event, count=count, then_abort_after=0.0 if abort else None),
        )
        assert run.report["interrupted"] is True
        _assert_accounted(world, run)
        if not abort:
            # What was on the wire finished; only a submission whose answer was lost
            # (a reset) is left unknown: its retry would be a new request.
            for item in run.items:
                if item["state"] == "interrupted":
                    assert item["error"] == "interrupted while submitting (outcome unknown)"
                    assert item["attempts"][-1]["result"] == "TransportError"
                else:
                    assert item["state"] in ("online", "not_started"), item
        await _resumed(world, plan, journal)


@pytest.mark.parametrize(("event", "count"), POINTS)
@on_virtual_time
async def test_a_cancelled_run_task_reports_every_item_then_resumes(
    tmp_path: Path, event: str, count: int
) -> None:
    plan, journal = _plan(tmp_path), tmp_path / "j.jsonl"
    async with drill_world(
        tmp_path, restore_seconds=(0.5, 1.5), seed=62, faults="reset_after@restore=0.2"
    ) as world:
        run = await world.cancelled_drill(plan, journal=journal, when=_nth(event, count))
        # The cancelled run's own report is the projection of its journal: every item
        # of the plan, once (what was in flight as the journal last recorded it).
        keys = [item["key"] for item in run.items]
        assert len(keys) == len(set(keys)) == RESTORES
        await _resumed(world, plan, journal)
