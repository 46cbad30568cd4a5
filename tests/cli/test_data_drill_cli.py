"""`ob-restore drill` with data checks: the demo drill, a failing check, and bad definitions
refused (exit 2, naming the plan line) before anything is sent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.support import cli_env, read_report, run_drill, simulator

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "data-drill.toml"


def _simulated_drill(plan: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = cli_env(**env)
    if "OB_TENANT_PASSWORD" not in env:
        environ.pop("OB_TENANT_PASSWORD", None)
    return subprocess.run(
        [sys.executable, "-m", "ob_async", "drill", str(plan), "--simulate", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
        cwd=plan.parent,
    )


def test_the_demo_data_drill_shows_rpo_and_passing_checks(tmp_path: Path) -> None:
    plan = tmp_path / "data-drill.toml"
    plan.write_text(EXAMPLE.read_text())
    done = _simulated_drill(plan, "--report-json", str(tmp_path / "r.json"))
    assert done.returncode == 0, done.stderr
    assert "recovery point (RPO): p50" in done.stdout
    assert "checks 7 passed, 0 failed" in done.stdout
    assert "tsh001_data_" in done.stdout
    assert "checks 2/2 passed; ok" in done.stdout
    items = read_report(tmp_path / "r.json")["items"]
    assert all(item["metRpo"] for item in items)
    # For latest, the data-loss exposure: the window's 5-minute lag and up to a minute more
    # (a heartbeat a minute), not the under-a-minute gap to the window's end.
    assert all(5 * 60 <= item["rpoSeconds"] < 6 * 60 + 30 for item in items)


def test_a_check_made_impossible_fails_the_drill_by_name(tmp_path: Path) -> None:
    plan = tmp_path / "data-drill.toml"
    plan.write_text(EXAMPLE.read_text().replace('expect = ">= 1000"', 'expect = ">= 1000000"'))
    done = _simulated_drill(plan)
    assert done.returncode == 1, done.stderr
    assert "check 'orders restored' failed: expected >= 1000000, got 1200" in done.stdout
    assert done.stdout.count("FAILED ob-dr-east/") == 3


def test_the_password_of_the_variable_is_what_the_simulated_tenants_accept(
    tmp_path: Path,
) -> None:
    plan = tmp_path / "data-drill.toml"
    plan.write_text(EXAMPLE.read_text())
    done = _simulated_drill(plan, OB_TENANT_PASSWORD="A-Chosen-Tenant-Pass")
    assert done.returncode == 0, done.stderr


_BASE = EXAMPLE.read_text()


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
def test_bad_check_definitions_exit_2_naming_the_line_before_anything_is_sent(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    old, new = change
    assert old in _BASE
    plan = tmp_path / "plan.toml"
    plan.write_text(_BASE.replace(old, new, 1))
    with simulator() as sim:
        done = run_drill(plan, sim)
        requests = sim.stats()["requests"]
    assert done.returncode == 2, done.stdout + done.stderr
    assert expected in done.stderr
    assert requests <= 1  # the stats call itself; the drill sent nothing


def test_a_missing_password_variable_exits_2_naming_its_line(tmp_path: Path) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(_BASE)
    with simulator() as sim:
        done = run_drill(plan, sim)  # a real endpoint: no demo password
        requests = sim.stats()["requests"]
    assert done.returncode == 2
    assert (
        f"{plan}:23: tenant_login.password_env: environment variable OB_TENANT_PASSWORD is not set"
        in done.stderr
    )
    assert requests <= 1


def test_a_password_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "tenant-password"
    secret.write_text("File-Pass-9a8b7c\n")
    secret.chmod(0o644)
    plan = tmp_path / "plan.toml"
    plan.write_text(
        _BASE.replace('password_env = "OB_TENANT_PASSWORD"', 'password_file = "tenant-password"')
    )
    done = _simulated_drill(plan)
    assert done.returncode == 2
    assert "tenant_login.password_file: password file" in done.stderr
    assert "chmod 600" in done.stderr
    secret.chmod(0o600)
    assert _simulated_drill(plan).returncode == 0


def test_json_item_events_carry_the_data_verdict(tmp_path: Path) -> None:
    plan = tmp_path / "data-drill.toml"
    plan.write_text(EXAMPLE.read_text().replace('expect = ">= 1000"', 'expect = ">= 1000000"'))
    done = _simulated_drill(plan, "--json")
    assert done.returncode == 1, done.stderr
    items = [e for e in map(json.loads, done.stdout.splitlines()) if e["event"] == "item"]
    assert len(items) == 3
    for item in items:
        assert item["dataOk"] is False
        assert item["metRpo"] is True
        assert 5 * 60 <= item["rpoSeconds"] < 6 * 60 + 30
        assert "check 'orders restored' failed: expected >= 1000000, got 1200" in item["error"]
