"""Run-wide failures are one message, exit 2, nothing more sent: not one failure per item.

Each case runs the real CLI against a real simulator process (or an endpoint with
nothing behind it); the bound on the time is the test's own subprocess timeout.
"""

from __future__ import annotations

import socket
import subprocess
import sys
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


def test_an_unknown_project_is_one_message_exit_2(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 5)
    with simulator("--seed", "32", "--project", "project-e2e") as sim:
        done = run(drill_command(plan, sim), cli_env(OB_PROJECT_ID="project-typo"), tmp_path)
        stats = sim.stats()
    assert done.returncode == 2, done.stderr
    (message,) = failure_lines(done.stderr)
    assert "does not know the project" in message
    assert "ProjectNotFound" in message
    assert posts(stats) == 0
    assert api_requests(stats) <= 2  # the one read (and its challenge), then nothing


def test_a_project_id_ending_in_cr_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    # What `set -a; . ./.env` gives from a file with CRLF line endings.
    plan = write_plan(tmp_path / "plan.toml", 5)
    with simulator("--seed", "33") as sim:
        done = run(drill_command(plan, sim), cli_env(OB_PROJECT_ID="project-e2e\r"), tmp_path)
        stats = sim.stats()
    assert done.returncode == 2, done.stderr
    (message,) = failure_lines(done.stderr)
    assert "OB_PROJECT_ID" in message
    assert "'\\r'" in message
    assert api_requests(stats) == 0


def test_an_endpoint_that_refuses_connections_is_one_message_exit_2(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    plan = write_plan(tmp_path / "plan.toml", 12)
    command = [
        sys.executable,
        "-m",
        "ob_async",
        "drill",
        str(plan),
        "--endpoint",
        f"http://127.0.0.1:{port}",
    ]
    done = run(command, cli_env(), tmp_path)  # within the 30 s timeout, not minutes
    assert done.returncode == 2, done.stderr
    (message,) = failure_lines(done.stderr)
    assert "cannot be reached" in message


def test_an_endpoint_that_does_not_resolve_is_one_message_exit_2(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 12)
    command = [
        sys.executable,
        "-m",
        "ob_async",
        "drill",
        str(plan),
        "--endpoint",
        "https://no-such-host.invalid",
    ]
    done = run(command, cli_env(), tmp_path)
    assert done.returncode == 2, done.stderr
    (message,) = failure_lines(done.stderr)
    assert "cannot be reached" in message
