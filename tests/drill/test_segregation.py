"""``require_segregation = true``: a restore into its own source instance is refused when the
plan is checked, every such restore named in one message, and nothing is sent."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ob_async.drill._plan import PlanError, load_plan
from ob_async.drill._plan.item import InstancePair
from tests.cli.support import cli_env, drill_command, simulator
from tests.cli.test_drill_inputs import api_requests

PLAN = """
[drill]
name = "segregated"
{setting}

[defaults]
target_tenant_primary_zone = "cn-shanghai-e"
target_tenant_name = "seg_{{index}}"
cpu = 1
memory = 2
unit_num = 1

[[restore]]
source_instance_id = "ob-prod-sh"
source_tenant_id = "tsh001"
target_instance_id = "ob-prod-sh"

[[restore]]
source_instance_id = "ob-prod-sh"
source_tenant_id = "tsh002"
target_instance_id = "ob-dr-east"

[[restore]]
source_instance_id = "ob-prod-bj"
source_tenant_id = "tbj001"
target_instance_id = "ob-prod-bj"
"""


def plan_file(tmp_path: Path, setting: str) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(PLAN.format(setting=setting))
    return path


def test_restores_into_their_source_are_refused_all_named_in_one_problem(tmp_path: Path) -> None:
    with pytest.raises(PlanError) as raised:
        load_plan(plan_file(tmp_path, "require_segregation = true"), simulated=True)
    [problem] = raised.value.problems
    assert problem.field == "drill.require_segregation"
    assert problem.line == 4  # where the plan asks for it
    assert problem.message == (
        "2 restore(s) would restore into their own source instance (target_instance_id = "
        "source_instance_id); the plan requires a target segregated from its source: "
        "restore[1] (ob-prod-sh/seg_1), restore[3] (ob-prod-bj/seg_3)"
    )


@pytest.mark.parametrize("setting", ["", "require_segregation = false"])
def test_without_the_requirement_the_plan_loads_and_records_its_pairs(
    tmp_path: Path, setting: str
) -> None:
    plan = load_plan(plan_file(tmp_path, setting), simulated=True)
    assert plan.require_segregation is False
    assert plan.instance_pairs == (
        InstancePair(source="ob-prod-bj", target="ob-prod-bj", restores=1),
        InstancePair(source="ob-prod-sh", target="ob-dr-east", restores=1),
        InstancePair(source="ob-prod-sh", target="ob-prod-sh", restores=1),
    )
    assert [pair.segregated for pair in plan.instance_pairs] == [False, True, False]


def test_a_mistyped_requirement_is_named(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"drill.require_segregation: expected true or false"):
        load_plan(plan_file(tmp_path, 'require_segregation = "yes"'), simulated=True)


def test_the_drill_refuses_with_exit_2_one_message_and_sends_nothing(tmp_path: Path) -> None:
    plan = plan_file(tmp_path, "require_segregation = true")
    with simulator() as sim:
        done = subprocess.run(
            drill_command(plan, sim, "--journal", "drill.jsonl"),
            capture_output=True,
            text=True,
            env=cli_env(),
            timeout=60,
            check=False,
            cwd=tmp_path,
        )
        stats = sim.stats()
    assert done.returncode == 2, done.stderr
    assert api_requests(stats) == 0
    assert done.stderr.startswith("ob-restore drill: the plan has 1 problem(s):")
    assert done.stderr.count("ob-restore drill:") == 1
    assert "restore[1] (ob-prod-sh/seg_1), restore[3] (ob-prod-bj/seg_3)" in done.stderr
    assert not (tmp_path / "drill.jsonl").exists()
