"""The example DAG, end to end under ``dag.test()``, against the embedded simulator."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from tests.airflow.harness import AirflowHome, SimulatorThread, connection_env, run_scenario

pytestmark = pytest.mark.timeout(600)

DAG_ID = "ob_weekly_rehearsal"


def test_the_example_dag_restores_checks_and_cleans_up(
    airflow_home: AirflowHome, start_simulator: Callable[..., SimulatorThread]
) -> None:
    canary = "canary-" + secrets.token_hex(12)
    tenant_canary = "tenant-canary-" + secrets.token_hex(12)
    simulator = start_simulator(
        access_key_secret=canary, tenant_password=tenant_canary, restore_seconds=0.5
    )
    env = {
        **connection_env(
            "oceanbase_cloud_default",
            conn_type="oceanbase_cloud",
            host=simulator.url,
            login=simulator.simulator.access_key_id,
            password=canary,
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
            password=tenant_canary,
            schema="app",
        ),
    }
    result, output = run_scenario(
        airflow_home, "run_dag", DAG_ID, "2026-03-01T03:00:00+00:00", extra=env
    )
    assert result["state"] == "success", output[-20000:]
    stats = simulator.stats()
    assert stats["restoresAccepted"] == 3
