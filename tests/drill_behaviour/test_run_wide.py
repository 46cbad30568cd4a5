"""Run-wide failures end the drill with one error, before anything is sent: never one
failure per item. (The command line prints that error and exits 2: tests/cli.)

The bound on the time is virtual: a run-wide failure is known within seconds of the
drill's clock, not after minutes of retries.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from ob_async._http.credentials import Credentials
from ob_async._restore.runwide import RunWideError
from ob_async.errors import InvalidInputError
from tests.drill_behaviour.harness import DrillWorld, drill_world
from tests.support.drill_plans import ACCESS_KEY_ID, write_plan
from tests.support.virtual_time import VirtualClock, on_virtual_time

KNOWN_WITHIN = 30.0
"""Seconds of the drill's clock within which a run-wide failure ends it."""


def api_requests(world: DrillWorld) -> int:
    stats = world.stats()
    return int(stats["requests"]) - int(stats["requestsByRoute"].get("stats", 0))


async def refused(world: DrillWorld, plan: Path, journal: Path, **client: object) -> str:
    """Run the drill; it ends with one run-wide error, soon, sending no restore."""
    clock = VirtualClock()
    started = clock.monotonic()
    events: list[str] = []
    with pytest.raises(RunWideError) as raised:
        await world.drill(
            plan,
            journal=journal,
            client=world.client(**client),
            on_event=lambda runner, event, fields: events.append(event),
        )
    assert clock.monotonic() - started < KNOWN_WITHIN
    assert "item" not in events  # no item reported failed
    assert world.restore_posts() == 0
    assert not journal.exists()  # nothing was started, so nothing to resume
    return str(raised.value)


@on_virtual_time
async def test_a_wrong_secret_is_one_error_and_nothing_sent(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 12)
    async with drill_world(tmp_path, seed=31) as world:
        wrong = Credentials(ACCESS_KEY_ID, access_key_secret="not-the-secret")
        message = await refused(world, plan, tmp_path / "j.jsonl", credentials=wrong)
    assert "refused the credentials" in message


@on_virtual_time
async def test_an_unknown_project_is_one_error_after_one_read(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 5)
    async with drill_world(tmp_path, seed=32, projects=("project-e2e",)) as world:
        message = await refused(world, plan, tmp_path / "j.jsonl", project="project-typo")
        assert api_requests(world) <= 2  # the one read (and its challenge), then nothing
    assert "does not know the project" in message
    assert "ProjectNotFound" in message


@on_virtual_time
async def test_an_endpoint_that_refuses_connections_is_one_error(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    plan = write_plan(tmp_path / "plan.toml", 12)
    async with drill_world(tmp_path, seed=34) as world:
        message = await refused(
            world, plan, tmp_path / "j.jsonl", endpoint=f"http://127.0.0.1:{port}"
        )
    assert "cannot be reached" in message


@on_virtual_time
async def test_an_endpoint_that_does_not_resolve_is_one_error(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 12)
    async with drill_world(tmp_path, seed=35) as world:
        message = await refused(
            world, plan, tmp_path / "j.jsonl", endpoint="https://no-such-host.invalid"
        )
    assert "cannot be reached" in message


@on_virtual_time
async def test_a_project_id_ending_in_cr_is_refused_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    # What `set -a; . ./.env` gives from a file with CRLF line endings.
    async with drill_world(tmp_path, seed=33) as world:
        with pytest.raises(InvalidInputError) as raised:
            world.client(project="project-e2e\r")
        assert api_requests(world) == 0
    assert "OB_PROJECT_ID" in str(raised.value)
    assert "'\\r'" in str(raised.value)
