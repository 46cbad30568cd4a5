"""`ob-restore drill --simulate` with data checks, end to end: the demo data drill as its
comment runs it, and the tenant password the command passes on to the simulated tenants.
The data checks' behaviour (failures by name, the RPO, bad definitions refused) is tested
in process in tests/drill_behaviour/test_data_checks.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli.support import cli_env, read_report

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


def test_the_password_of_the_variable_is_what_the_simulated_tenants_accept(
    tmp_path: Path,
) -> None:
    plan = tmp_path / "data-drill.toml"
    plan.write_text(EXAMPLE.read_text())
    done = _simulated_drill(plan, OB_TENANT_PASSWORD="A-Chosen-Tenant-Pass")
    assert done.returncode == 0, done.stderr
