"""A drill that proves the data: it logs into each restored tenant (the simulator's, over
the MySQL protocol), runs the plan's checks, measures the recovery point, and fails an
item by the name of the check that failed. Bad check definitions are refused when the
plan is read, naming the line, before anything could be sent.

The demo data drill through the command line, and the tenant password it passes on to
the simulator, are tested end to end in tests/cli/test_data_drill_cli.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ob_async.drill import load_plan
from ob_async.errors import InvalidInputError
from tests.drill_behaviour.harness import drill_world
from tests.support.virtual_time import on_virtual_time

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data-drill.toml"
_BASE = EXAMPLE.read_text()
IMPOSSIBLE = _BASE.replace('expect = ">= 1000"', 'expect = ">= 1000000"')


@pytest.fixture(autouse=True)
def _no_tenant_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OB_TENANT_PASSWORD", raising=False)


@on_virtual_time
async def test_the_demo_data_drill_measures_rpo_and_passes_its_checks(tmp_path: Path) -> None:
    plan = tmp_path / "data-drill.toml"
    plan.write_text(_BASE)
    async with drill_world(tmp_path, seed=51) as world:
        run = await world.drill(plan, journal=tmp_path / "j.jsonl", simulated=True)
    assert run.by_state == {"online": 3}
    text = "\n".join(run.summary_lines)
    assert "recovery point (RPO): p50" in text
    assert "checks 7 passed, 0 failed" in text
    assert all(item["metRpo"] for item in run.items)
    # For latest, the data-loss exposure: the window's 5-minute lag and up to a minute more
    # (a heartbeat a minute), not the under-a-minute gap to the window's end.
    assert all(5 * 60 <= item["rpoSeconds"] < 6 * 60 + 30 for item in run.items)
    assert all(item["cleanup"]["deleted"] for item in run.items)  # the plan's cleanup = true


@on_virtual_time
async def test_a_check_made_impossible_fails_each_item_by_name(tmp_path: Path) -> None:
    plan = tmp_path / "data-drill.toml"
    plan.write_text(IMPOSSIBLE)
    async with drill_world(tmp_path, seed=52) as world:
        run = await world.drill(plan, journal=tmp_path / "j.jsonl", simulated=True)
    assert run.report["summary"]["failed"] == 3
    expected = "check 'orders restored' failed: expected >= 1000000, got 1200"
    items = [fields for event, fields in run.events if event == "item"]
    assert len(items) == 3
    for item in items:  # the live view's and the JSON events' items
        assert item["dataOk"] is False
        assert item["metRpo"] is True
        assert 5 * 60 <= item["rpoSeconds"] < 6 * 60 + 30
        assert expected in item["error"]
    failures = list(run.junit.iter("failure"))
    assert len(failures) == 3
    assert all(
        expected in (failure.text or "") + (failure.get("message") or "") for failure in failures
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('sql = "SELECT COUNT(*) FROM app.orders"', 'sql = "SELECT 1; DROP TABLE app.orders"'),
            ":36: check[1].sql: holds more than one statement",
        ),
        (
            ('sql = "SELECT COUNT(*) FROM app.orders"', 'sql = "DELETE FROM app.orders"'),
            ":36: check[1].sql: starts with 'DELETE'",
        ),
        (('expect = ">= 1000"', 'expect = "at least 1000"'), ":37: check[1].expect: 'at least"),
        (
            (
                'query = "SELECT MAX(updated_at) FROM app.heartbeat"',
                'query = "UPDATE app.x SET a=1"',
            ),
            ":28: rpo.query: starts with 'UPDATE'",
        ),
        (
            ('password_env = "OB_TENANT_PASSWORD"', 'password = "hunter2hunter2"'),
            "tenant_login.password: the password never goes in the plan",
        ),
        (('target = "15m"', 'target = "soon"'), ":31: rpo.target: unreadable duration"),
        (
            ('time_zone = "UTC"', 'time_zone = "Asia/Shangai"'),
            ":29: rpo.time_zone: unknown time zone 'Asia/Shangai'",
        ),
        (
            ('time_zone = "UTC"', 'time_zone = "UTC"\ntarget_applies_to = "exposure"'),
            ":30: rpo.target_applies_to: unknown figure 'exposure'",
        ),
        (
            ("[drill]\n", '[drill]\nsimulator_sql_address = "localhost"\n'),
            ":14: drill.simulator_sql_address: must be HOST:PORT, got 'localhost'",
        ),
        (('network = "intranet"', 'network = "vpn"'), "tenant_login.network: unknown network"),
    ],
)
def test_bad_check_definitions_are_refused_naming_the_line(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in _BASE
    plan = tmp_path / "plan.toml"
    plan.write_text(_BASE.replace(old, new, 1))
    with pytest.raises(InvalidInputError) as raised:
        load_plan(plan)  # before any client exists: nothing can have been sent
    assert expected in str(raised.value)


def test_a_missing_password_variable_is_refused_naming_its_line(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(_BASE)
    with pytest.raises(InvalidInputError) as raised:
        load_plan(plan)  # a real endpoint: no demo password
    assert (
        f"{plan}:23: tenant_login.password_env: environment variable OB_TENANT_PASSWORD is not set"
        in str(raised.value)
    )


@on_virtual_time
async def test_a_password_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "tenant-password"
    secret.write_text("File-Pass-9a8b7c\n")
    secret.chmod(0o644)
    plan = tmp_path / "plan.toml"
    plan.write_text(
        _BASE.replace('password_env = "OB_TENANT_PASSWORD"', 'password_file = "tenant-password"')
    )
    with pytest.raises(InvalidInputError) as raised:
        load_plan(plan, simulated=True)
    assert "tenant_login.password_file: password file" in str(raised.value)
    assert "chmod 600" in str(raised.value)
    secret.chmod(0o600)
    async with drill_world(tmp_path, seed=53, tenant_password="File-Pass-9a8b7c") as world:
        run = await world.drill(plan, journal=tmp_path / "j.jsonl", simulated=True)
    assert run.by_state == {"online": 3}
    assert run.report["summary"]["failed"] == 0
