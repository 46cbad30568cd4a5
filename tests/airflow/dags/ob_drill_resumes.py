"""A DAG of the tests: a whole drill in one task, whose first try dies mid-run, then the
clean-up of what the drill's journal recorded.

The plan and the journal live in ``drill/`` beside the DAGs folder (the test writes the plan).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import DAG, TriggerRule

from ob_async.airflow import ObCleanupOperator, ObDrillOperator

DRILL = Path(__file__).resolve().parent.parent / "drill"

with DAG(
    dag_id="ob_drill_resumes",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    default_args={"retries": 1, "retry_delay": timedelta(0)},
) as dag:
    drill = ObDrillOperator(
        task_id="drill",
        plan=str(DRILL / "plan.toml"),
        journal=str(DRILL / "drill-{{ ds_nodash }}.jsonl"),
        report_json=str(DRILL / "report-{{ ds_nodash }}.json"),
        execution_timeout=timedelta(seconds=6),
    )
    cleanup = ObCleanupOperator(
        task_id="cleanup",
        journal=str(DRILL / "drill-{{ ds_nodash }}.jsonl"),
        trigger_rule=TriggerRule.ALL_DONE,
    )
    drill >> cleanup
