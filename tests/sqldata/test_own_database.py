"""A rehearsal against a database the user runs, as docs/proving-the-data.md walks through it:
`ob-restore simulator --sql-address` makes the simulated tenants report it, and a plan's
`[drill] simulator_sql_address` does the same for `--simulate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ob_async._cli import main
from tests.cli.support import simulator, use_cli_credentials
from tests.sqldata.mariadb import READER, READER_PASSWORD, MariaDB

PLAN = """
[drill]
name = "own-db"
poll_initial = "0.2s"
poll_max = "0.5s"
{drill}

[tenant_login]
user = "{reader}"
password_env = "OB_TENANT_PASSWORD"
database = "app"

[rpo]
query = "SELECT MAX(updated_at) FROM app.heartbeat_local"
time_zone = "+08:00"        # the column is a DATETIME in local time
target = "1h"

[[check]]
name = "orders restored"
sql = "SELECT COUNT(*) FROM app.orders"
expect = "= 1200"

[defaults]
target_instance_id = "ob-dr-east"
target_tenant_primary_zone = "cn-shanghai-e"
target_tenant_name = "{{source_tenant_id}}_own"
restore_time = "latest"
cpu = 1
memory = 2
unit_num = 1

[[restore]]
source_instance_id = "ob-prod-sh"
source_tenant_id = "tsh001"
"""


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    use_cli_credentials(monkeypatch)
    monkeypatch.setenv("OB_TENANT_PASSWORD", READER_PASSWORD)


def _checked_item(report: Path, mariadb: MariaDB) -> dict[str, object]:
    [item] = json.loads(report.read_text())["items"]
    assert item["ok"], item
    assert item["checks"][0]["value"] == "1200"
    assert item["newestChange"] == mariadb.newest_heartbeat.isoformat()
    return item  # type: ignore[no-any-return]


@pytest.mark.usefixtures("environment")
def test_the_standalone_simulators_tenants_report_the_sql_address_given(
    tmp_path: Path, mariadb: MariaDB
) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.format(drill="", reader=READER))
    report = tmp_path / "report.json"
    with simulator("--restore-seconds", "0.2", "--sql-address", mariadb.address) as sim:
        code = main(
            [
                *("drill", str(plan), "--endpoint", sim.url),
                *("--journal", str(tmp_path / "j.jsonl"), "--report-json", str(report)),
            ]
        )
    assert code == 0
    _checked_item(report, mariadb)


@pytest.mark.usefixtures("environment")
def test_a_simulated_drill_checks_the_database_its_plan_names(
    tmp_path: Path, mariadb: MariaDB
) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(
        PLAN.format(drill=f'simulator_sql_address = "{mariadb.address}"', reader=READER)
    )
    report = tmp_path / "report.json"
    code = main(
        [
            *("drill", str(plan), "--simulate"),
            *("--journal", str(tmp_path / "j.jsonl"), "--report-json", str(report)),
        ]
    )
    assert code == 0
    _checked_item(report, mariadb)
