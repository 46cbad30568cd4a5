"""``ObCleanupOperator``: delete the tenants that restore tasks or a drill run created.

A tenant is deleted only when it has the recorded name *and* carries the restore's
requestId marker in its description, as ``ob-restore cleanup`` does: a tenant of the same
name that they did not create is kept, and said so. Idempotent: a tenant already gone is
reported as gone, so the task can be retried until everything is.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from ob_async.airflow import _drill_adapter as drill
from ob_async.airflow._hook import ObCloudHook
from ob_async.airflow._provider_info import DEFAULT_CONNECTION_ID
from ob_async.airflow._records import SubmittedRestore
from ob_async.airflow._settings import ConnectionSettings
from ob_async.errors import InvalidInputError


class ObCleanupOperator(BaseOperator):
    """Delete what ``restores`` (restore tasks' ``submission`` records) or a drill's
    ``journal`` created; give one or both.

    In a DAG, pass ``XComArg(restore_task, key="submission")``: every restore task pushes
    its record there before it sends anything, so restores that failed are cleaned up too.

    :param restores: records with ``request_id``, ``instance_id`` and ``tenant_name``
    :param journal: a drill run's journal
    :param preview: only look, and say what would be deleted (a dry run)
    :param ob_conn_id: the Airflow connection (type ``oceanbase_cloud``)
    """

    template_fields: Sequence[str] = ("restores", "journal")
    ui_color = "#ffd9b3"

    def __init__(
        self,
        *,
        restores: Iterable[Any] | None = None,
        journal: str | None = None,
        preview: bool = False,
        ob_conn_id: str = DEFAULT_CONNECTION_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.restores = restores
        self.journal = journal
        self.preview = preview
        self.ob_conn_id = ob_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        try:
            tenants = self._tenants()
        except InvalidInputError as error:
            raise AirflowFailException(f"{self.task_id}: {error}") from None
        settings = ObCloudHook(self.ob_conn_id).task_settings()
        results = asyncio.run(self._clean(settings, tenants))
        counts = Counter(result["action"] for result in results)
        for result in results:
            self.log.info(
                "%s %s/%s%s",
                result["action"],
                result["instance_id"],
                result["tenant_name"],
                f": {result['detail']}" if result["detail"] else "",
            )
        if counts[drill.CleanupAction.FAILED]:
            raise AirflowException(
                f"{counts[drill.CleanupAction.FAILED]} of {len(results)} clean-up(s) failed; "
                "retry the task (what is gone is reported as gone)"
            )
        return {"counts": dict(counts), "tenants": results}

    def _tenants(self) -> list[drill.RunTenant]:
        if self.restores is None and self.journal is None:
            raise InvalidInputError("give restores, a journal, or both", where="ObCleanupOperator")
        tenants: list[drill.RunTenant] = []
        if self.journal is not None:
            tenants += drill.journal_tenants(Path(self.journal))
        if self.restores is not None:
            tenants += drill.restore_tenants(
                SubmittedRestore.from_json(record, where=f"restores[{index}]")
                for index, record in enumerate(_records(self.restores))
                if record is not None  # a mapped task that stopped before it pushed one
            )
        return tenants

    async def _clean(
        self, settings: ConnectionSettings, tenants: list[drill.RunTenant]
    ) -> list[dict[str, Any]]:
        async with settings.client() as client:
            return await drill.clean_up(client, tenants, dry_run=self.preview)


def _records(restores: Iterable[Any]) -> list[Any]:
    """The records, read by position when they are a sequence: the XComs of a mapped task
    (Airflow's lazy sequence) are then read once each, without a look past the last one."""
    if isinstance(restores, Sequence) and not isinstance(restores, str | bytes):
        return [restores[index] for index in range(len(restores))]
    return list(restores)
