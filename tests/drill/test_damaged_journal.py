"""A resume from a damaged journal stops with an error naming the journal line, before
anything is sent (it raised a KeyError from the drill's internals: issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.support import run_drill, simulator, write_plan


def test_a_sent_item_without_its_restore_time_is_named_by_its_journal_line(
    tmp_path: Path,
) -> None:
    plan = write_plan(tmp_path / "plan.toml", 2)
    journal = tmp_path / "j.jsonl"
    with simulator("--restore-seconds", "0.2", "--seed", "3") as sim:
        assert run_drill(plan, sim, "--journal", str(journal)).returncode == 0
        lines = [json.loads(line) for line in journal.read_text().splitlines()]
        damaged = next(line for line in lines if line["event"] == "submitting")
        key = damaged["key"]
        del damaged["restoreTime"]
        # The item was sent and never settled: a resume must reconcile it.
        kept = [line for line in lines if line.get("key") != key or line is damaged]
        journal.write_text("".join(json.dumps(line) + "\n" for line in kept))
        number = kept.index(damaged) + 1
        posts_before = sim.stats()["requestsByRoute"].get("restore", 0)
        resumed = run_drill(plan, sim, "--journal", str(journal), "--resume")
        posts_after = sim.stats()["requestsByRoute"].get("restore", 0)
    assert resumed.returncode == 2, resumed.stderr
    assert f"journal {journal}, line {number}: item {key} was sent" in resumed.stderr
    assert "records no restoreTime" in resumed.stderr
    assert "Traceback" not in resumed.stderr
    assert posts_after == posts_before
