"""Fail-fast and ``max_failures`` stop submitting once failures reach the limit; every
planned restore is still reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from ob_async.batch import FailurePolicy
from tests.drill_behaviour.harness import drill_world
from tests.support.drill_plans import write_plan
from tests.support.virtual_time import on_virtual_time


@pytest.mark.parametrize(
    ("policy", "max_failures", "failures"),
    [(FailurePolicy.FAIL_FAST, None, 1), (FailurePolicy.STOP_AFTER, 2, 2)],
)
@on_virtual_time
async def test_failures_stop_the_drill_from_submitting(
    tmp_path: Path, policy: FailurePolicy, max_failures: int | None, failures: int
) -> None:
    plan = write_plan(tmp_path / "plan.toml", 8)
    # Every restore fails within a second; submits are spaced 2 s apart, so the
    # failures are known long before the plan could be exhausted.
    async with drill_world(tmp_path, failure_rate=1.0, restore_seconds=0.1) as world:
        run = await world.drill(
            plan,
            journal=tmp_path / "j.jsonl",
            rate=0.5,
            failure_policy=policy,
            max_failures=max_failures,
        )
    states = run.states
    sent = states.count("restore_failed")
    assert failures <= sent < 8, states
    # Every planned restore is reported: those never sent as not_started.
    assert len(states) == 8
    assert set(states) <= {"restore_failed", "not_started"}, states
    (note,) = [n for n in run.report["notes"] if n.startswith("stopped submitting")]
    assert note.startswith(f"stopped submitting after {failures} failure(s)")
    assert note.endswith(f"; {8 - sent} restore(s) not submitted")


@on_virtual_time
async def test_without_a_policy_every_restore_is_tried(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 4)
    async with drill_world(tmp_path, failure_rate=1.0, restore_seconds=0.1) as world:
        run = await world.drill(plan, journal=tmp_path / "j.jsonl")
    assert run.states == ["restore_failed"] * 4
    assert run.report["summary"]["failed"] == 4
