"""A run-wide failure is one message and exit 2, end to end: the real command against a
real simulator process. Each kind of run-wide failure is tested in process, on virtual
time, in tests/drill_behaviour/test_run_wide.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from tests.cli.support import cli_env, drill_command, simulator, write_plan


def run(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=30, check=False, cwd=cwd
    )


def posts(stats: dict[str, Any]) -> int:
    return int(stats["requestsByRoute"].get("restore", 0))


def api_requests(stats: dict[str, Any]) -> int:
    """Requests other than the test's own reads of the stats page."""
    return int(stats["requests"]) - int(stats["requestsByRoute"].get("stats", 0))


def failure_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("ob-restore drill: ")]


def test_a_wrong_secret_is_one_message_exit_2_and_nothing_sent(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 12)
    with simulator("--seed", "31") as sim:
        done = run(
            drill_command(plan, sim, "--journal", str(tmp_path / "j.jsonl")),
            cli_env(OB_ACCESS_KEY_SECRET="not-the-secret"),
            tmp_path,
        )
        stats = sim.stats()
    assert done.returncode == 2, done.stderr
    (message,) = failure_lines(done.stderr)
    assert "refused the credentials" in message
    assert posts(stats) == 0
    assert "FAILED" not in done.stdout
    assert not (tmp_path / "j.jsonl").exists()  # nothing was started, so nothing to resume
