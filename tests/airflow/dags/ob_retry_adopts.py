"""A DAG of the tests: one restore whose first try dies after its POST reached the server.

The simulator holds the restore's response (a ``slow`` fault) longer than the task's
``execution_timeout``: the first try is killed with its request processed and its answer
lost, as when a worker dies mid-request; Airflow retries the task instance.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG

from ob_async.airflow import ObRestoreOperator

with DAG(
    dag_id="ob_retry_adopts",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    default_args={"retries": 1, "retry_delay": timedelta(0)},
) as dag:
    ObRestoreOperator(
        task_id="restore",
        source_instance_id="ob-prod-sh",
        source_tenant_id="tsh004",
        target_instance_id="ob-dr-east",
        target_tenant_primary_zone="cn-shanghai-e",
        target_tenant_name="tsh004_retry_{{ ds_nodash }}",
        cpu=1,
        memory=4,
        execution_timeout=timedelta(seconds=4),
    )
