"""ObDrillOperator and ObCleanupOperator under ``dag.test()``: a drill whose first try dies
mid-run is resumed from its journal by the retry (nothing is restored twice, every restore
is reported once), and the clean-up deletes exactly what the journal recorded.

The simulator holds every restore's answer (a ``slow`` fault) past the first try's
``execution_timeout``: the try dies with its requests processed and journaled as sent
(tests/airflow/dags/ob_drill_resumes.py).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable

import pytest

from tests.airflow.harness import AirflowHome, SimulatorThread, connection_env, run_scenario

pytestmark = pytest.mark.timeout(600)

DAG_ID = "ob_drill_resumes"
PLAN = """
[drill]
name = "airflow-drill"
rto = "15m"
timeout = "10m"
poll_initial = "0.2s"
poll_max = "1s"

[defaults]
target_instance_id = "ob-dr-west"
target_tenant_primary_zone = "cn-chengdu-a"
target_tenant_name = "{source_tenant_id}_af_{date}"
restore_time = "latest"
cpu = 1
memory = 4
unit_num = 1

[[restore]]
source_instance_id = "ob-prod-bj"
source_tenant_id = "tbj001"

[[restore]]
source_instance_id = "ob-prod-bj"
source_tenant_id = "tbj002"

[[restore]]
source_instance_id = "ob-prod-bj"
source_tenant_id = "tbj003"
"""


def test_a_retried_drill_resumes_its_journal_and_the_journal_is_cleaned_up(
    airflow_home: AirflowHome, start_simulator: Callable[..., SimulatorThread]
) -> None:
    secret = "canary-" + secrets.token_hex(12)
    simulator = start_simulator(
        access_key_secret=secret, restore_seconds=0.5, faults="slow@restore=1.0:20"
    )
    drill_dir = airflow_home.path / "drill"
    drill_dir.mkdir(exist_ok=True)
    (drill_dir / "plan.toml").write_text(PLAN, encoding="utf-8")
    env = connection_env(
        "oceanbase_cloud_default",
        conn_type="oceanbase_cloud",
        host=simulator.url,
        login=simulator.simulator.access_key_id,
        password=secret,
        extra={"project_id": "rehearsals"},
    )
    result, output = run_scenario(
        airflow_home, "run_dag", DAG_ID, "2026-04-05T03:00:00+00:00", extra=env
    )
    run_id = result["run_id"]
    assert result["state"] == "success", output[-20000:]
    assert "AirflowTaskTimeout" in output  # the first try died mid-run
    rows = airflow_home.rows(
        "SELECT task_id, try_number, state FROM task_instance WHERE dag_id = ? AND run_id = ?",
        DAG_ID,
        run_id,
    )
    assert sorted(rows) == [("cleanup", 1, "success"), ("drill", 2, "success")]
    [(value,)] = airflow_home.rows(
        "SELECT value FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = 'drill' "
        "AND key = 'summary'",
        DAG_ID,
        run_id,
    )
    summary = json.loads(value)
    assert summary["summary"]["items"] == 3
    assert summary["summary"]["ok"] == 3
    # The retry continued the run its first try began: the same run id as the journal's.
    journal = drill_dir / "drill-20260405.jsonl"
    first = json.loads(journal.read_text(encoding="utf-8").splitlines()[0])
    assert summary["runId"] == first["runId"]
    # Each restore sent once (by the first try), reconciled by the second; then cleaned up.
    stats = simulator.stats()
    sent = stats["requestIdsByTargetTenant"]  # names carry the run's date ({date})
    assert sorted(name.split("_af_")[0] for name in sent) == ["tbj001", "tbj002", "tbj003"]
    assert [len(request_ids) for request_ids in sent.values()] == [1, 1, 1]
    assert stats["restoresAccepted"] == 3
    assert stats["deletes"] == 3
    [(cleanup,)] = airflow_home.rows(
        "SELECT value FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = 'cleanup'",
        DAG_ID,
        run_id,
    )
    assert json.loads(cleanup)["counts"] == {"deleted": 3}
    assert (drill_dir / "report-20260405.json").exists()
