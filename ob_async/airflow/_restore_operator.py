"""``ObRestoreOperator``: one restore per task instance, submitted once, waited for deferred.

The requestId is derived from the task instance (DAG, task, run, map index), not drawn at
random: a retried or cleared task instance sends the same one, looks its target up first,
and adopts the tenant its earlier try created (the submitter proves it by the requestId's
marker in the tenant's description) instead of restoring a second time. The submission is
pushed to XCom (key ``submission``) before the request is sent, so that a clean-up finds it
whatever became of the task.

Deferrable (the default), the task then frees its worker slot and the triggerer waits
(:class:`~ob_async.airflow._trigger.ObTenantOnlineTrigger`); otherwise the worker waits.
Either way it returns a :class:`~ob_async.airflow._records.RestoreRecord` as JSON, and fails
when the restore failed, vanished or ran out of time, or (``fail_on_missed_rto``) missed its
RTO.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowException, AirflowFailException

from ob_async._client import ObClient
from ob_async._restore.outcome import RestoreState, RtoVerdict
from ob_async._restore.submit import RestoreSubmission, SubmissionOutcome
from ob_async._wire.models import RestoreRequest, TenantResource
from ob_async.airflow._hook import ObCloudHook
from ob_async.airflow._provider_info import DEFAULT_CONNECTION_ID
from ob_async.airflow._records import (
    RestoreRecord,
    SubmittedRestore,
    TenantWait,
    WaitResult,
    restore_request_id,
)
from ob_async.airflow._settings import ConnectionSettings
from ob_async.airflow._trigger import ObTenantOnlineTrigger
from ob_async.errors import InvalidInputError, ObError

LATEST = "latest"
TRIGGER_GRACE = timedelta(minutes=5)
"""How long after its own deadline Airflow gives up on a trigger that never answered (a
triggerer lost with it): the trigger ends itself with ``timed_out`` at its deadline."""

_VERDICT_FAILURES = frozenset({RestoreState.FAILED, RestoreState.VANISHED})
"""Ends that a retry of the task cannot change (it would adopt the same tenant)."""


def _seconds(value: float | timedelta | None, where: str) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds <= 0:
        raise InvalidInputError(f"must be positive, got {value!r}", where=where)
    return seconds


class ObRestoreOperator(BaseOperator):
    """Restore one OceanBase Cloud tenant from backup, and wait for it to come ONLINE.

    :param source_instance_id: the instance whose backup is restored
    :param source_tenant_id: the tenant restored
    :param target_instance_id: where the new tenant is created (the call is addressed there)
    :param target_tenant_name: the new tenant's name; make it unique per run (e.g. with
        ``{{ ds_nodash }}``): a retry finds its tenant by this name
    :param target_tenant_primary_zone: the new tenant's primary zone
    :param restore_time: an ISO 8601 time with a zone, or ``"latest"`` (the end of the
        source's newest restorable window, read when the task runs)
    :param cpu: cores of the new tenant
    :param memory: GB of memory of the new tenant
    :param unit_num: units per zone
    :param description: the new tenant's description (the requestId's marker is added)
    :param rto: the recovery time objective (seconds or a timedelta), from submission
    :param timeout: how long to wait for ONLINE (seconds or a timedelta)
    :param fail_on_missed_rto: fail the task when the tenant came ONLINE after its RTO
    :param deferrable: wait in the triggerer (default) rather than in the worker
    :param ob_conn_id: the Airflow connection (type ``oceanbase_cloud``)
    """

    template_fields: Sequence[str] = (
        "source_instance_id",
        "source_tenant_id",
        "target_instance_id",
        "target_tenant_name",
        "target_tenant_primary_zone",
        "restore_time",
        "cpu",
        "memory",
        "unit_num",
        "description",
    )
    ui_color = "#b3d9ff"

    def __init__(
        self,
        *,
        source_instance_id: str,
        source_tenant_id: str,
        target_instance_id: str,
        target_tenant_name: str,
        target_tenant_primary_zone: str,
        cpu: int | str,
        memory: int | str,
        unit_num: int | str = 1,
        restore_time: str = LATEST,
        description: str = "",
        rto: float | timedelta | None = None,
        timeout: float | timedelta = timedelta(hours=2),
        fail_on_missed_rto: bool = True,
        deferrable: bool = True,
        ob_conn_id: str = DEFAULT_CONNECTION_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.source_instance_id = source_instance_id
        self.source_tenant_id = source_tenant_id
        self.target_instance_id = target_instance_id
        self.target_tenant_name = target_tenant_name
        self.target_tenant_primary_zone = target_tenant_primary_zone
        self.cpu = cpu
        self.memory = memory
        self.unit_num = unit_num
        self.restore_time = restore_time
        self.description = description
        self.rto_seconds = _seconds(rto, "rto")
        self.timeout_seconds = _seconds(timeout, "timeout")
        self.fail_on_missed_rto = fail_on_missed_rto
        self.deferrable = deferrable
        self.ob_conn_id = ob_conn_id

    # --- the first run: submit, then defer (or wait here) ------------------------------

    def execute(self, context: Context) -> dict[str, Any]:
        ti = context["ti"]
        map_index = ti.map_index if ti.map_index is not None else -1
        request_id = restore_request_id(ti.dag_id, ti.task_id, ti.run_id, map_index)
        settings = ObCloudHook(self.ob_conn_id).task_settings()
        ti.xcom_push(
            key="submission",
            value=SubmittedRestore(
                request_id=request_id,
                instance_id=self.target_instance_id,
                tenant_name=self.target_tenant_name,
            ).to_json(),
        )
        # A later try of the same task instance may find the tenant its earlier try made.
        reconcile = ti.try_number > 1
        if self.deferrable:
            submission, restore_time = asyncio.run(self._submit(settings, request_id, reconcile))
            wait = self._wait_for(submission, restore_time)
            self.defer(
                trigger=ObTenantOnlineTrigger(**wait.to_json()),
                method_name="execute_complete",
                # A retry may adopt a tenant whose deadline has passed: the trigger then
                # says so at once, before Airflow's own timeout would.
                timeout=max(wait.deadline - datetime.now(UTC), timedelta(0)) + TRIGGER_GRACE,
            )
        return asyncio.run(self._submit_and_wait(settings, request_id, reconcile))

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        """Resumed from the trigger: judge the wait and return the record."""
        return self._judge(WaitResult.from_json(event))

    # --- the pieces -----------------------------------------------------------------

    def _request(self, restore_time: datetime) -> RestoreRequest:
        try:
            return RestoreRequest(
                source_instance_id=self.source_instance_id,
                source_tenant_id=self.source_tenant_id,
                target_instance_id=self.target_instance_id,
                target_tenant_name=self.target_tenant_name,
                target_tenant_primary_zone=self.target_tenant_primary_zone,
                restore_time=restore_time,
                tenant_resource=TenantResource(
                    cpu=int(self.cpu), memory=int(self.memory), unit_num=int(self.unit_num)
                ),
                target_tenant_description=self.description,
            )
        except (TypeError, ValueError) as error:
            raise AirflowFailException(f"{self.task_id}: bad restore parameters: {error}") from None

    def _wants_latest(self) -> bool:
        return str(self.restore_time).strip().lower() == LATEST

    async def _restore_time(self, client: ObClient) -> datetime:
        text = str(self.restore_time).strip()
        if not self._wants_latest():
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                moment = None
            if moment is None or moment.tzinfo is None:
                raise AirflowFailException(
                    f"{self.task_id}: restore_time {text!r} is neither 'latest' nor an ISO "
                    "8601 time with a zone"
                )
            return moment
        source, tenant_id = self.source_instance_id, self.source_tenant_id
        tenants = await client.retrying(
            lambda: client.list_restorable_tenants(source, tenant_id=tenant_id)
        )
        found = next((tenant for tenant in tenants if tenant.tenant_id == tenant_id), None)
        latest = found.latest_restorable_time if found is not None else None
        if latest is None:
            raise AirflowFailException(
                f"{self.task_id}: restore_time 'latest': source tenant {tenant_id} has no "
                f"restorable window in {source}"
            )
        return latest

    async def _submit_with(
        self, client: ObClient, request_id: str, reconcile: bool
    ) -> tuple[RestoreSubmission, str]:
        restore_time = await self._restore_time(client)
        submission = RestoreSubmission.new(
            self.target_instance_id, self._request(restore_time), request_id=request_id
        )
        # The requestId names this task instance, whenever its first try ran.
        submission.caller_request_id = True
        await client.submit_restore(
            self.target_instance_id,
            submission.request,
            submission=submission,
            reconcile_first=reconcile,
        )
        if not submission.submitted:
            error = submission.error or ObError(f"the submission ended {submission.outcome}")
            if submission.outcome is SubmissionOutcome.CONFLICT:
                raise AirflowFailException(f"{self.task_id}: {error}")
            raise AirflowException(
                f"{self.task_id}: restore {request_id} not submitted "
                f"({submission.outcome.value}): {error}"
            )
        self.log.info(
            "restore %s %s: %s/%s from %s/%s at %s",
            request_id,
            submission.outcome.value,
            self.target_instance_id,
            self.target_tenant_name,
            self.source_instance_id,
            self.source_tenant_id,
            restore_time.isoformat(),
        )
        return submission, restore_time.isoformat()

    async def _submit(
        self, settings: ConnectionSettings, request_id: str, reconcile: bool
    ) -> tuple[RestoreSubmission, str]:
        async with settings.client() as client:
            return await self._submit_with(client, request_id, reconcile)

    async def _submit_and_wait(
        self, settings: ConnectionSettings, request_id: str, reconcile: bool
    ) -> dict[str, Any]:
        async with settings.client() as client:
            submission, restore_time = await self._submit_with(client, request_id, reconcile)
            wait = self._wait_for(submission, restore_time)
            outcome = await client.wait_until_online(
                wait.instance_id,
                wait.tenant_name,
                timeout=max((wait.deadline - datetime.now(UTC)).total_seconds(), 0.001),
                started_at=wait.submitted_at,
                rto_seconds=wait.rto_seconds,
            )
        return self._judge(WaitResult.of(wait, outcome))

    def _wait_for(self, submission: RestoreSubmission, restore_time: str) -> TenantWait:
        # An adopted tenant was submitted by an earlier try: its creation time is the
        # start of its recovery, not this try's lookup.
        started = (
            submission.accepted_at
            if submission.outcome is SubmissionOutcome.ADOPTED
            else submission.first_attempt_at
        ) or datetime.now(UTC)
        assert self.timeout_seconds is not None
        return TenantWait(
            conn_id=self.ob_conn_id,
            instance_id=submission.target_instance_id,
            tenant_name=submission.target_tenant_name,
            request_id=submission.request_id,
            submitted_at=started,
            deadline=started + timedelta(seconds=self.timeout_seconds),
            rto_seconds=self.rto_seconds,
            restore_time=restore_time,
            latest=self._wants_latest(),
            submission=submission.outcome.value,
        )

    def _judge(self, result: WaitResult) -> dict[str, Any]:
        record = RestoreRecord.of(result)
        where = f"{result.instance_id}/{result.tenant_name} (requestId {result.request_id})"
        if result.state in _VERDICT_FAILURES:
            raise AirflowFailException(f"restore of {where} {result.state}: {result.error}")
        if result.state is not RestoreState.ONLINE:
            raise AirflowException(f"restore of {where} {result.state}: {result.error}")
        self.log.info(
            "restore of %s ONLINE after %.1fs (between %.1fs and %.1fs); RTO %s",
            where,
            result.recovery_seconds or 0.0,
            result.recovery_lower_seconds or 0.0,
            result.recovery_seconds or 0.0,
            result.rto_verdict or "not set",
        )
        if self.fail_on_missed_rto and result.rto_verdict is RtoVerdict.MISSED:
            raise AirflowFailException(
                f"restore of {where} missed its RTO of {result.rto_seconds:.0f}s: ONLINE "
                f"after {result.recovery_seconds:.1f}s"
            )
        return record.to_json()
