"""The example DAG (examples/airflow/weekly_rehearsal.py), end to end under ``dag.test()``
against the embedded simulator: mapped restores deferred to the trigger, data checks over
the MySQL protocol, the clean-up, and the notification when something failed. And the
secrets it was given are nowhere after a run: not in the metadata database (XComs, rendered
fields, trigger rows included), the logs, or the home's files.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

import pytest

from tests.airflow.harness import (
    AirflowHome,
    SimulatorThread,
    Webhook,
    connection_env,
    run_scenario,
)

pytestmark = pytest.mark.timeout(600)

DAG_ID = "ob_weekly_rehearsal"
SOURCES = ("tsh001", "tsh002", "tsh003")


def _connections(simulator: SimulatorThread, secret: str, tenant_secret: str) -> dict[str, str]:
    return {
        **connection_env(
            "oceanbase_cloud_default",
            conn_type="oceanbase_cloud",
            host=simulator.url,
            login=simulator.simulator.access_key_id,
            password=secret,
            extra={
                "project_id": "rehearsals",
                "poll_initial_interval": 0.2,
                "poll_max_interval": 1,
            },
        ),
        **connection_env(
            "oceanbase_tenant_reader",
            conn_type="mysql",
            login="dr_reader",
            password=tenant_secret,
            schema="app",
        ),
    }


def _task_states(home: AirflowHome, run_id: str) -> dict[tuple[str, int], str]:
    rows = home.rows(
        "SELECT task_id, map_index, state FROM task_instance WHERE dag_id = ? AND run_id = ?",
        DAG_ID,
        run_id,
    )
    return {(task, index): state for task, index, state in rows}


def _xcoms(home: AirflowHome, run_id: str, task_id: str, key: str) -> list[Any]:
    rows = home.rows(
        "SELECT value FROM xcom WHERE dag_id = ? AND run_id = ? AND task_id = ? AND key = ? "
        "ORDER BY map_index",
        DAG_ID,
        run_id,
        task_id,
        key,
    )
    return [json.loads(value) for (value,) in rows]


def test_the_example_dag_restores_checks_and_cleans_up_and_leaks_no_secret(
    airflow_home: AirflowHome, start_simulator: Callable[..., SimulatorThread]
) -> None:
    secret = "canary-" + secrets.token_hex(12)
    tenant_secret = "tenant-canary-" + secrets.token_hex(12)
    simulator = start_simulator(
        access_key_secret=secret, tenant_password=tenant_secret, restore_seconds=1.0
    )
    result, output = run_scenario(
        airflow_home,
        "run_dag",
        DAG_ID,
        "2026-03-01T03:00:00+00:00",
        extra=_connections(simulator, secret, tenant_secret),
    )
    run_id = result["run_id"]
    assert result["state"] == "success", output[-20000:]
    states = _task_states(airflow_home, run_id)
    assert states == {
        **{("restore", index): "success" for index in range(3)},
        **{("check_data", index): "success" for index in range(3)},
        ("cleanup", -1): "success",
        ("notify_failure", -1): "skipped",
    }
    # Each restore deferred to the trigger, and came back with its record.
    assert output.count("Pausing task as DEFERRED") == 3
    records = _xcoms(airflow_home, run_id, "restore", "return_value")
    assert [r["tenant_name"] for r in records] == [f"{s}_dr_20260301" for s in SOURCES]
    assert {(r["state"], r["rto_verdict"], r["submission"], r["latest"]) for r in records} == {
        ("online", "met", "submitted", True)
    }
    checks = _xcoms(airflow_home, run_id, "check_data", "return_value")
    assert [c["ok"] for c in checks] == [True, True, True]
    # "latest": the target is on the data-loss exposure, from each restore's request.
    assert {c["rpoTargetAppliesTo"] for c in checks} == {"data_loss_exposure"}
    assert all(c["rpoSeconds"] is not None and c["rpoSeconds"] <= 900 for c in checks)
    # The simulator's ground truth: three restores, each sent once, all deleted again.
    stats = simulator.stats()
    assert stats["restoresAccepted"] == 3
    assert {name: len(ids) for name, ids in stats["requestIdsByTargetTenant"].items()} == {
        f"{s}_dr_20260301": 1 for s in SOURCES
    }
    assert stats["deletes"] == 3
    left = {t["tenantName"] for t in simulator.tenants("ob-dr-east")}
    assert not left & {f"{s}_dr_20260301" for s in SOURCES}
    # The secrets: nowhere in the database, the logs (the run's output), or the home's files.
    for canary in (secret, tenant_secret):
        assert canary not in output
        assert not [value for value in airflow_home.dump() if canary in value]
        assert not [path for path, text in airflow_home.files_text() if canary in text]


def test_a_failed_restore_is_cleaned_up_and_notified(
    airflow_home: AirflowHome, start_simulator: Callable[..., SimulatorThread], webhook: Webhook
) -> None:
    secret = "canary-" + secrets.token_hex(12)
    tenant_secret = "tenant-canary-" + secrets.token_hex(12)
    # Every restore ends RESTORE_FAILED: a verdict a retry cannot change.
    simulator = start_simulator(
        access_key_secret=secret,
        tenant_password=tenant_secret,
        restore_seconds=0.5,
        failure_rate=1.0,
    )
    result, output = run_scenario(
        airflow_home,
        "run_dag",
        DAG_ID,
        "2026-03-08T03:00:00+00:00",
        extra={
            **_connections(simulator, secret, tenant_secret),
            "OB_REHEARSAL_WEBHOOK": webhook.url,
        },
    )
    run_id = result["run_id"]
    assert result["state"] == "failed"
    states = _task_states(airflow_home, run_id)
    assert [states["restore", index] for index in range(3)] == ["failed"] * 3
    assert states["cleanup", -1] == "success"
    assert states["notify_failure", -1] == "failed"  # it notified, then failed the run
    assert [message["run_id"] for message in webhook.received] == [run_id]
    # Failed restores are not retried (the verdict is final), and what they created is gone:
    # the clean-up found them through the records the tasks pushed before sending.
    stats = simulator.stats()
    assert stats["restoresAccepted"] == 3
    assert stats["deletes"] == 3
    cleanup = _xcoms(airflow_home, run_id, "cleanup", "return_value")
    assert cleanup[0]["counts"] == {"deleted": 3}
    assert secret not in output
