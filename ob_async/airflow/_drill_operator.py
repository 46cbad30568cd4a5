"""``ObDrillOperator``: a whole drill plan in one task, journaled, resumed by a retry.

The journal is the drill's record (written ahead of every request); a retried or cleared
task instance resumes it, so nothing is restored twice and every item of the plan is still
reported exactly once. The summary goes to XCom (key ``summary``, and the return value).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from ob_async._restore.runwide import RunWideError
from ob_async.airflow import _drill_adapter as drill
from ob_async.airflow._hook import ObCloudHook
from ob_async.airflow._provider_info import DEFAULT_CONNECTION_ID
from ob_async.errors import InvalidInputError


class ObDrillOperator(BaseOperator):
    """Run a drill plan (``ob-restore drill PLAN``) in the task, against the connection.

    :param plan: the plan file (TOML)
    :param journal: the journal file: template it per run (``drill-{{ ds_nodash }}.jsonl``);
        a retry of the task resumes it
    :param cleanup: delete each restored tenant once ONLINE and checked (None: as the plan says)
    :param report_json: write the JSON report there too
    :param junit: write the JUnit report there too
    :param fail_on_failures: fail the task when a restore failed, missed its RTO or was not
        started (the summary is in XCom either way)
    :param ob_conn_id: the Airflow connection (type ``oceanbase_cloud``)
    """

    template_fields: Sequence[str] = ("plan", "journal", "report_json", "junit")
    ui_color = "#b3d9ff"

    def __init__(
        self,
        *,
        plan: str,
        journal: str,
        cleanup: bool | None = None,
        report_json: str | None = None,
        junit: str | None = None,
        fail_on_failures: bool = True,
        ob_conn_id: str = DEFAULT_CONNECTION_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.plan = plan
        self.journal = journal
        self.cleanup = cleanup
        self.report_json = report_json
        self.junit = junit
        self.fail_on_failures = fail_on_failures
        self.ob_conn_id = ob_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        ti = context["ti"]
        journal = Path(self.journal)
        resume = ti.try_number > 1
        if not resume and journal.exists():
            raise AirflowFailException(
                f"journal {journal} already exists on this task's first try: it records "
                "another run; template the path per run (e.g. drill-{{ ds_nodash }}.jsonl)"
            )
        try:
            plan = drill.load_plan(Path(self.plan))
            settings = ObCloudHook(self.ob_conn_id).task_settings()
            outcome = asyncio.run(
                drill.run_drill(
                    settings,
                    plan,
                    journal=journal,
                    resume=resume,
                    cleanup=self.cleanup,
                    report_json=Path(self.report_json) if self.report_json else None,
                    junit=Path(self.junit) if self.junit else None,
                    log=self.log.info,
                )
            )
        except (InvalidInputError, RunWideError) as error:
            # Bad input or a failure every restore would meet: a retry cannot help.
            raise AirflowFailException(f"drill {self.plan}: {error}") from None
        ti.xcom_push(key="summary", value=outcome.summary)
        counts = outcome.summary["summary"]
        self.log.info(
            "drill %s: %s restore(s), %s restored, %s missed RTO, %s failed, %s not started; "
            "journal %s",
            plan.name,
            counts["items"],
            counts["ok"],
            outcome.missed_rto,
            outcome.failed,
            outcome.not_started,
            outcome.journal,
        )
        if outcome.run_error is not None:
            raise AirflowException(f"drill {plan.name} stopped: {outcome.run_error}")
        if self.fail_on_failures and (outcome.failed or outcome.missed_rto or outcome.not_started):
            raise AirflowFailException(
                f"drill {plan.name}: {outcome.failed} restore(s) failed, {outcome.missed_rto} "
                f"missed their RTO, {outcome.not_started} not started (summary in XCom 'summary')"
            )
        return outcome.summary
