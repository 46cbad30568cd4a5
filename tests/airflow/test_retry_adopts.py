"""A task instance retried after its first POST's answer was lost adopts the tenant that POST
created: one restore, not two, and the task succeeds on its second try.

The simulator holds the restore's answer (a ``slow`` fault) past the task's
``execution_timeout``: the first try dies with its request processed (as when a worker dies
mid-request), and Airflow retries the task instance (tests/airflow/dags/ob_retry_adopts.py).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable

import pytest

from ob_async.airflow._records import restore_request_id
from tests.airflow.harness import AirflowHome, SimulatorThread, connection_env, run_scenario

pytestmark = pytest.mark.timeout(600)

DAG_ID = "ob_retry_adopts"


def test_a_retried_task_adopts_the_tenant_its_lost_post_created(
    airflow_home: AirflowHome, start_simulator: Callable[..., SimulatorThread]
) -> None:
    secret = "canary-" + secrets.token_hex(12)
    simulator = start_simulator(
        access_key_secret=secret, restore_seconds=0.5, faults="slow@restore=1.0:30"
    )
    env = connection_env(
        "oceanbase_cloud_default",
        conn_type="oceanbase_cloud",
        host=simulator.url,
        login=simulator.simulator.access_key_id,
        password=secret,
        extra={"project_id": "rehearsals", "poll_initial_interval": 0.2, "poll_max_interval": 1},
    )
    result, output = run_scenario(
        airflow_home, "run_dag", DAG_ID, "2026-03-02T00:00:00+00:00", extra=env
    )
    run_id = result["run_id"]
    assert result["state"] == "success", output[-20000:]
    assert "AirflowTaskTimeout" in output  # the first try did die mid-request
    [(try_number, state)] = airflow_home.rows(
        "SELECT try_number, state FROM task_instance WHERE dag_id = ? AND run_id = ?",
        DAG_ID,
        run_id,
    )
    assert (try_number, state) == (2, "success")
    [(value,)] = airflow_home.rows(
        "SELECT value FROM xcom WHERE dag_id = ? AND run_id = ? AND key = 'return_value'",
        DAG_ID,
        run_id,
    )
    record = json.loads(value)
    request_id = restore_request_id(DAG_ID, "restore", run_id, -1)
    assert record["request_id"] == request_id
    assert record["submission"] == "adopted"
    assert record["state"] == "online"
    # The ground truth: one POST for the target, and one restore.
    stats = simulator.stats()
    assert stats["requestIdsByTargetTenant"] == {"tsh004_retry_20260302": [request_id]}
    assert stats["restoresAccepted"] == 1
    assert [t["tenantName"] for t in simulator.tenants("ob-dr-east")].count(
        "tsh004_retry_20260302"
    ) == 1
