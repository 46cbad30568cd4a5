"""The command line of rehearsals: ``ob-restore drill --seed`` draws the same random restore
points again (a run without one prints the seed it drew), and ``ob-restore cleanup
--journal`` refuses tenants still held for validation unless ``--force``."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ob_async import ObClient, PollConfig
from ob_async._cli import main
from ob_async.drill._plan import load_plan
from ob_async.drill._runner import DrillOptions, DrillRunner
from ob_async.simulator import Simulator, SimulatorConfig
from tests.cli.support import (
    ACCESS_KEY_ID,
    PROJECT,
    SECRET,
    cli_env,
    use_cli_credentials,
    write_plan,
)

# Fixed windows only (no "now-..."), so that the same seed draws the same points however
# long apart the runs are.
_SOURCE_TENANT = """
[[instances.tenants]]
id = "tsh00{n}"
name = "sh_{n}"
cpu = 1
memory = 2
windows = [
  {{ start = "2026-01-01T00:00:00Z", end = "2026-01-31T23:59:59Z" }},
  {{ start = "2026-03-01T00:00:00Z", end = "2026-03-01T06:00:00Z" }},
]
"""
FIXTURE = (
    textwrap.dedent(
        """
        [[instances]]
        id = "ob-prod-sh"
        zones = ["cn-shanghai-b"]
        cpu = 64
        memory = 256
        """
    )
    + "".join(_SOURCE_TENANT.format(n=n) for n in range(1, 5))
    + textwrap.dedent(
        """
        [[instances]]
        id = "ob-dr-east"
        zones = ["cn-shanghai-e"]
        cpu = 64
        memory = 256
        """
    )
)


def _dry_run(
    tmp_path: Path, name: str, *flags: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    report = tmp_path / f"{name}.json"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "ob_async", "drill", str(tmp_path / "plan.toml")),
            *("--simulate", "--dry-run", "--report-json", str(report), *flags),
        ],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    if done.returncode != 0:
        return done, {}
    items = json.loads(report.read_text())["items"]
    return done, {item["key"]: item["restoreTime"] for item in items}


def test_the_same_seed_draws_the_same_points_and_a_run_without_one_prints_its_own(
    tmp_path: Path,
) -> None:
    (tmp_path / "fixture.toml").write_text(FIXTURE)
    write_plan(
        tmp_path / "plan.toml", 4, drill='simulator_fixture = "fixture.toml"', restore_time="random"
    )
    done, first = _dry_run(tmp_path, "a", "--seed", "42")
    assert done.returncode == 0, done.stderr
    assert len(set(first.values())) == 4
    _, again = _dry_run(tmp_path, "b", "--seed", "42")
    assert again == first
    _, other = _dry_run(tmp_path, "c", "--seed", "43")
    assert other.keys() == first.keys()
    assert all(other[key] != first[key] for key in first)
    done, unseeded = _dry_run(tmp_path, "d")
    said = re.search(
        r"drawn with seed (\d+) \(ob-restore drill --seed \1 draws them again\)",
        done.stdout + done.stderr,
    )
    assert said is not None, done.stdout + done.stderr
    seed = said.group(1)
    assert f"4 random (seed {seed}: --seed {seed} draws them again)" in done.stdout
    report = json.loads((tmp_path / "d.json").read_text())
    assert report["summary"]["restorePoints"]["seed"] == int(seed)
    assert {item["restorePointSeed"] for item in report["items"]} == {int(seed)}
    _, reproduced = _dry_run(tmp_path, "e", "--seed", seed)
    assert reproduced == unseeded


@pytest.mark.parametrize("seed", ["-1", "abc"])
def test_a_bad_seed_is_exit_2_naming_it(tmp_path: Path, seed: str) -> None:
    write_plan(tmp_path / "plan.toml", 1, restore_time="random")
    done, _ = _dry_run(tmp_path, "x", "--seed", seed)
    assert done.returncode == 2
    assert "--seed" in done.stderr


@pytest.mark.timeout(60)
async def test_cleanup_refuses_held_tenants_naming_when_the_hold_ends_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_cli_credentials(monkeypatch)
    plan = load_plan(write_plan(tmp_path / "plan.toml", 3, drill='hold = "2h"'))
    journal = tmp_path / "run.jsonl"
    config = SimulatorConfig(
        access_key_id=ACCESS_KEY_ID, access_key_secret=SECRET, restore_seconds=(0.1, 0.1)
    )
    async with Simulator(config) as sim:
        async with ObClient(
            sim.url,
            sim.credentials,
            PROJECT,
            poll=PollConfig(initial_interval=0.1, max_interval=0.2),
        ) as client:
            report = await DrillRunner(
                client, plan, DrillOptions(journal_path=journal, cleanup=True)
            ).run()
        due = report.cleanup_due
        report.close()
        assert due is not None
        assert report.held == 3
        assert sim.stats()["deletes"] == 0  # the drill asked for clean-up, and held them

        cleanup = ["cleanup", "--journal", str(journal), "--endpoint", sim.url]
        code = await asyncio.to_thread(main, cleanup)
        out, err = capsys.readouterr()
        assert code == 2
        assert out == ""
        assert "3 restored tenant(s) are held for manual validation" in err
        assert f"the hold ends at {due.isoformat()}" in err
        assert "--force" in err
        assert sim.stats()["deletes"] == 0

        code = await asyncio.to_thread(main, [*cleanup, "--dry-run"])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "3 would be deleted" in out
        assert f"the hold ends at {due.isoformat()}: a clean-up before then is refused" in out
        assert sim.stats()["deletes"] == 0

        code = await asyncio.to_thread(main, [*cleanup, "--force"])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "3 deleted" in out
        assert sim.stats()["deletes"] == 3
