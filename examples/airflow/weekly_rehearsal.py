"""A weekly disaster-recovery rehearsal on Apache Airflow, with the ob-async provider.

Each Sunday it restores a list of production tenants into the DR region (one mapped task
instance each, waiting in the triggerer, not on a worker), proves each restored tenant's data
with read-only checks and the measured RPO, deletes what it restored (only that: each tenant
carries its restore's requestId marker), and notifies when anything failed.

Connections (see docs/airflow.md):

- ``oceanbase_cloud_default`` (type ``oceanbase_cloud``): host = the endpoint, login = the
  AccessKey ID, password = the AccessKey secret, extra = ``{"project_id": "..."}``;
- ``oceanbase_tenant_reader``: login and password of a read-only user that exists in each
  source tenant (it comes back with the restore), schema = the database to open.

Failures are sent to the webhook in ``OB_REHEARSAL_WEBHOOK`` (a JSON POST), if set.
The identities below are those of the embedded simulator's world (``ob-restore simulator``);
replace them with yours.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import DAG, TriggerRule, XComArg, task
from airflow.sdk.exceptions import AirflowFailException

from ob_async.airflow import ObCleanupOperator, ObDataCheckOperator, ObRestoreOperator

RESTORES = [
    {"source_instance_id": "ob-prod-sh", "source_tenant_id": source}
    for source in ("tsh001", "tsh002", "tsh003")
]
"""What to rehearse: one restore per entry (any ObRestoreOperator argument may be set here)."""

CHECKS = [
    {"name": "orders restored", "sql": "SELECT COUNT(*) FROM app.orders", "expect": ">= 1000"},
    {
        "name": "heartbeat present",
        "sql": "SELECT COUNT(*) FROM app.heartbeat WHERE updated_at > '2025-01-01'",
        "expect": "> 0",
    },
]

logger = logging.getLogger(__name__)


with DAG(
    dag_id="ob_weekly_rehearsal",
    schedule="0 3 * * 0",
    start_date=datetime(2026, 1, 4),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1)},
    tags=["oceanbase", "disaster-recovery"],
) as dag:
    restore = ObRestoreOperator.partial(
        task_id="restore",
        target_instance_id="ob-dr-east",
        target_tenant_primary_zone="cn-shanghai-e",
        # One name per source and run: a retried task finds its own tenant by it.
        target_tenant_name="{{ task.source_tenant_id }}_dr_{{ ds_nodash }}",
        description="weekly DR rehearsal {{ ds }}",
        restore_time="latest",
        cpu=2,
        memory=8,
        rto=timedelta(minutes=15),
        timeout=timedelta(hours=2),
    ).expand_kwargs(RESTORES)

    check_data = ObDataCheckOperator.partial(
        task_id="check_data",
        tenant_conn_id="oceanbase_tenant_reader",
        checks=CHECKS,
        # For a "latest" restore the target is on the data-loss exposure: from the request
        # to the newest change restored (the log archive's lag included).
        rpo={
            "query": "SELECT MAX(updated_at) FROM app.heartbeat",
            "time_zone": "UTC",  # the zone the DATETIME column is written in
            "target": 900,
        },
    ).expand(restore=restore.output)

    # Every restore task records what it sends before sending it, so the restores that
    # failed are deleted too; all_done: clean up whatever happened before.
    cleanup = ObCleanupOperator(
        task_id="cleanup",
        restores=XComArg(restore, key="submission"),
        trigger_rule=TriggerRule.ALL_DONE,
    )

    @task(trigger_rule=TriggerRule.ONE_FAILED, retries=0)
    def notify_failure(**context: Any) -> None:
        run = context["dag_run"]
        message = {
            "text": f"DR rehearsal {run.dag_id} {run.run_id} FAILED: see its task logs",
            "dag_id": run.dag_id,
            "run_id": run.run_id,
        }
        logger.error(message["text"])
        webhook = os.environ.get("OB_REHEARSAL_WEBHOOK")
        if webhook:
            request = urllib.request.Request(  # noqa: S310 - the operator's own webhook URL
                webhook,
                data=json.dumps(message).encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - as above
                pass
        # The watcher pattern: the run's state follows its leaves, and this is the leaf that
        # runs when something failed, so it fails too, and the run with it.
        raise AirflowFailException(message["text"])

    restore >> check_data >> cleanup
    [restore, check_data, cleanup] >> notify_failure()


if __name__ == "__main__":
    dag.test()  # one run now, in this process (the triggers too): python weekly_rehearsal.py
