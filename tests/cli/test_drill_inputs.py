"""Inputs the server would refuse, or that would destroy a file, are refused before anything
is sent: exit 2, the problem named, the simulator asked nothing.

The command runs in process (its ``main`` in a worker thread, as it starts its own event
loop) against an in-process simulator: what is tested is the command line's checks, which
need neither a process of their own nor a clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ob_async._cli import main
from ob_async.simulator import Simulator, SimulatorConfig
from tests.cli.support import ACCESS_KEY_ID, SECRET, use_cli_credentials, write_plan

Refused = Callable[..., str]


def ob_restore(argv: list[str]) -> int | str | None:
    """The command's exit status, as a shell would see it (argparse's errors exit 2)."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


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


@pytest.fixture
def refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Refused:
    """Run ``ob-restore drill PLAN --endpoint SIMULATOR ARGS`` with the environment's
    ``env`` set; assert exit 2 with nothing sent; return its stderr."""
    use_cli_credentials(monkeypatch)
    monkeypatch.chdir(tmp_path)

    def run(plan: Path, *args: str, **env: str) -> str:
        for name, value in env.items():
            monkeypatch.setenv(name, value)

        async def drill() -> tuple[int | str | None, dict[str, Any]]:
            config = SimulatorConfig(access_key_id=ACCESS_KEY_ID, access_key_secret=SECRET, seed=41)
            async with Simulator(config) as sim:
                argv = ["drill", str(plan), "--endpoint", sim.url, *args]
                code = await asyncio.to_thread(ob_restore, argv)
                return code, sim.stats()

        code, stats = asyncio.run(drill())
        out, err = capsys.readouterr()
        assert code == 2, out + err
        assert api_requests(stats) == 0
        return err

    return run


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
    tmp_path: Path, refused: Refused, name: str, expected: str
) -> None:
    err = refused(plan_with(tmp_path, "target_tenant_name", f'"{name}"'))
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
    tmp_path: Path, refused: Refused, setting: str, expected: str
) -> None:
    plan = write_plan(tmp_path / "plan.toml", 1)
    key = setting.split(" ", maxsplit=1)[0]
    plan.write_text(plan.read_text().replace(f"\n{key} = ", f"\n{key}_old = ", 1))
    text = plan.read_text().replace(f"{key}_old = ", "#", 1)
    plan.write_text(text.replace("[defaults]", f"[defaults]\n{setting}", 1))
    assert expected in refused(plan)


def test_a_rate_too_small_to_ever_finish_is_refused(tmp_path: Path, refused: Refused) -> None:
    plan = write_plan(tmp_path / "plan.toml", 2, drill="rate = 1e-300")
    assert "drill.rate" in refused(plan)
    plan = write_plan(tmp_path / "plan.toml", 2)
    assert "--rate" in refused(plan, "--rate", "1e-300")


def test_a_restore_list_of_comments_only_is_refused(tmp_path: Path, refused: Refused) -> None:
    (tmp_path / "list.jsonl").write_text("# nothing yet\n\n# still nothing\n")
    plan = tmp_path / "plan.toml"
    plan.write_text(
        '[drill]\nrestore_list = "list.jsonl"\n[defaults]\ntarget_instance_id = "ob-dr-east"\n'
    )
    assert "holds no restores" in refused(plan)


def test_a_blank_secret_is_refused(tmp_path: Path, refused: Refused) -> None:
    plan = write_plan(tmp_path / "plan.toml", 2)
    err = refused(plan, OB_ACCESS_KEY_SECRET="   ")
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
    tmp_path: Path, refused: Refused, flags: tuple[str, ...], expected: str
) -> None:
    (tmp_path / "sub").mkdir()
    plan = write_plan(tmp_path / "plan.toml", 2)
    before = plan.read_text()
    assert expected in refused(plan, *flags)
    assert plan.read_text() == before


def test_submit_refuses_an_oversized_request_id_and_a_bad_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = [
        "submit", "--simulate",
        "--source-instance-id", "ob-prod-sh", "--source-tenant-id", "tsh001",
        "--target-instance-id", "ob-dr-east", "--zone", "cn-shanghai-e",
        "--restore-time", "2026-01-13T05:58:34Z", "--cpu", "1", "--memory", "2",
        "--unit-num", "1",
    ]  # fmt: skip
    assert main([*base, "--target-tenant-name", "ok_name", "--request-id", "r" * 10_000]) == 2
    assert "--request-id: is 10000 characters long" in capsys.readouterr().err
    assert main([*base, "--target-tenant-name", "bad name"]) == 2
    assert "--target-tenant-name: 'bad name' is not a tenant name" in capsys.readouterr().err
