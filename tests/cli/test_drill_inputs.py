"""Inputs the server would refuse, or that would destroy a file, are refused before anything
is sent: exit 2, the problem named, the simulator asked nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.support import cli_env, drill_command, simulator, write_plan


def api_requests(stats: dict[str, Any]) -> int:
    return int(stats["requests"]) - int(stats["requestsByRoute"].get("stats", 0))


def plan_with(tmp_path: Path, key: str, value: str) -> Path:
    """A two-restore plan whose [defaults] ``key`` is ``value`` (TOML as written)."""
    plan = write_plan(tmp_path / "plan.toml", 2)
    lines = [
        f"{key} = {value}" if line.startswith(f"{key} = ") else line
        for line in plan.read_text().splitlines()
    ]
    plan.write_text("\n".join(lines) + "\n")
    return plan


def refused(tmp_path: Path, plan: Path, *args: str, **env: str) -> str:
    """Run the drill; assert exit 2 with nothing sent; return its stderr."""
    with simulator("--seed", "41") as sim:
        done = subprocess.run(
            drill_command(plan, sim, *args),
            capture_output=True,
            text=True,
            env=cli_env(**env),
            timeout=60,
            check=False,
            cwd=tmp_path,
        )
        stats = sim.stats()
    assert done.returncode == 2, done.stdout + done.stderr
    assert api_requests(stats) == 0
    return done.stderr


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("has space", "is not a tenant name"),
        ("line\\nbreak", "is not a tenant name"),
        ("1starts_with_a_digit", "is not a tenant name"),
        ("x" * 65, "at most 64"),
    ],
)
def test_a_target_name_breaking_the_rule_is_refused(
    tmp_path: Path, name: str, expected: str
) -> None:
    err = refused(tmp_path, plan_with(tmp_path, "target_tenant_name", f'"{name}"'))
    assert expected in err
    assert "\nbreak" not in err  # a newline in a name never reaches the terminal raw


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("cpu = 1180591620717411303424", "more than any instance has"),
        ("memory = 100000000", "more than any instance has"),
    ],
)
def test_resources_beyond_any_instance_are_refused(
    tmp_path: Path, setting: str, expected: str
) -> None:
    plan = write_plan(tmp_path / "plan.toml", 1)
    key = setting.split(" ", maxsplit=1)[0]
    plan.write_text(plan.read_text().replace(f"\n{key} = ", f"\n{key}_old = ", 1))
    text = plan.read_text().replace(f"{key}_old = ", "#", 1)
    plan.write_text(text.replace("[defaults]", f"[defaults]\n{setting}", 1))
    assert expected in refused(tmp_path, plan)


def test_a_rate_too_small_to_ever_finish_is_refused(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 2, drill="rate = 1e-300")
    assert "drill.rate" in refused(tmp_path, plan)
    plan = write_plan(tmp_path / "plan.toml", 2)
    assert "--rate" in refused(tmp_path, plan, "--rate", "1e-300")


def test_a_restore_list_of_comments_only_is_refused(tmp_path: Path) -> None:
    (tmp_path / "list.jsonl").write_text("# nothing yet\n\n# still nothing\n")
    plan = tmp_path / "plan.toml"
    plan.write_text(
        '[drill]\nrestore_list = "list.jsonl"\n[defaults]\ntarget_instance_id = "ob-dr-east"\n'
    )
    assert "holds no restores" in refused(tmp_path, plan)


def test_a_blank_secret_is_refused(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 2)
    err = refused(tmp_path, plan, OB_ACCESS_KEY_SECRET="   ")
    assert "secret is empty" in err


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (("--journal", "out.json", "--report-json", "out.json"), "is also --journal"),
        (("--report-json", "plan.toml"), "is the plan"),
        (("--report-json", "r.out", "--junit", "r.out"), "is also --report-json"),
        (("--junit", "./sub/../plan.toml"), "is the plan"),
    ],
)
def test_outputs_that_would_overwrite_each_other_or_an_input_are_refused(
    tmp_path: Path, flags: tuple[str, ...], expected: str
) -> None:
    (tmp_path / "sub").mkdir()
    plan = write_plan(tmp_path / "plan.toml", 2)
    before = plan.read_text()
    assert expected in refused(tmp_path, plan, *flags)
    assert plan.read_text() == before


def test_submit_refuses_an_oversized_request_id_and_a_bad_name(tmp_path: Path) -> None:
    base = [
        sys.executable, "-m", "ob_async", "submit", "--simulate",
        "--source-instance-id", "ob-prod-sh", "--source-tenant-id", "tsh001",
        "--target-instance-id", "ob-dr-east", "--zone", "cn-shanghai-e",
        "--restore-time", "2026-01-13T05:58:34Z", "--cpu", "1", "--memory", "2",
        "--unit-num", "1",
    ]  # fmt: skip
    long_id = subprocess.run(
        [*base, "--target-tenant-name", "ok_name", "--request-id", "r" * 10_000],
        capture_output=True, text=True, env=cli_env(), timeout=60, check=False,
    )  # fmt: skip
    assert long_id.returncode == 2
    assert "--request-id: is 10000 characters long" in long_id.stderr
    bad_name = subprocess.run(
        [*base, "--target-tenant-name", "bad name"],
        capture_output=True, text=True, env=cli_env(), timeout=60, check=False,
    )  # fmt: skip
    assert bad_name.returncode == 2
    assert "--target-tenant-name: 'bad name' is not a tenant name" in bad_name.stderr
