"""``ObDataCheckOperator``: prove a restored tenant's data, not only that it is ONLINE.

Mapped over restore tasks' records (``.expand(restore=restore.output)``), it logs into each
restored tenant over the MySQL protocol with a user from an Airflow connection, runs
read-only checks, and measures the RPO the restore achieved, as a drill's data checks do
(:mod:`ob_async.data`). The tenant password is read from that connection and masked; it
never is a parameter of the task.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from airflow.sdk import BaseHook, BaseOperator, Context
from airflow.sdk.exceptions import AirflowFailException
from airflow.sdk.log import mask_secret

from ob_async._wire.addresses import Network
from ob_async.airflow._hook import ObCloudHook
from ob_async.airflow._provider_info import DEFAULT_CONNECTION_ID
from ob_async.airflow._settings import ConnectionSettings
from ob_async.data import (
    CheckSpec,
    DataLimits,
    DataSpec,
    DataVerdict,
    DataVerifier,
    Expectation,
    RpoFigure,
    RpoSpec,
    TenantLogin,
)
from ob_async.data._statements import read_only_problem


class ObDataCheckOperator(BaseOperator):
    """Run read-only checks (and the RPO query) in one restored tenant.

    :param restore: a restore task's record (``instance_id``, ``tenant_id``, ``restore_time``,
        ``submitted_at``)
    :param checks: ``{"name": ..., "sql": ..., "expect": ">= 1000"}`` each (one read-only
        statement; the expectation grammar is the drill plan's)
    :param rpo: ``{"query": ..., "target": SECONDS, "applies_to": ..., "time_zone": ...}``:
        the query finding the newest change in the restored data; the target (optional)
        applies to the data-loss exposure (from the request) or the restore-point gap (from
        the point restored to): by default the exposure for a ``latest`` restore, the gap for
        a past point, as in a drill plan; ``time_zone`` places a value that carries none.
        None: no RPO
    :param tenant_conn_id: an Airflow connection whose login, password and schema are the
        tenant user, its password and the database to open
    :param network: ``intranet`` (the worker is in the VPC) or ``internet``
    :param timeout: seconds to wait for the tenant's address to answer
    :param ob_conn_id: the Airflow connection (type ``oceanbase_cloud``)
    """

    template_fields: Sequence[str] = ("restore", "checks", "rpo")
    ui_color = "#c6ecc6"

    def __init__(
        self,
        *,
        restore: Mapping[str, Any] | str,
        checks: Sequence[Mapping[str, Any]] = (),
        rpo: Mapping[str, Any] | None = None,
        tenant_conn_id: str,
        network: str = Network.INTRANET.value,
        timeout: float = 600.0,
        ob_conn_id: str = DEFAULT_CONNECTION_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.restore = restore
        self.checks = checks
        self.rpo = rpo
        self.tenant_conn_id = tenant_conn_id
        self.network = network
        self.timeout = timeout
        self.ob_conn_id = ob_conn_id

    def execute(self, context: Context) -> dict[str, Any]:
        restore = self.restore
        if not isinstance(restore, Mapping) or not restore.get("tenant_id"):
            raise AirflowFailException(
                f"{self.task_id}: 'restore' must be a restore task's record with a tenant_id, "
                f"got {restore!r}"
            )
        restore_point = _moment(restore.get("restore_time"))
        requested_at = _moment(restore.get("submitted_at"))
        if restore_point is None or requested_at is None:
            raise AirflowFailException(
                f"{self.task_id}: the restore record has no restore_time or submitted_at"
            )
        latest = bool(restore.get("latest"))
        spec = DataSpec(login=self._login(), checks=self._checks(), rpo=self._rpo(latest))
        settings = ObCloudHook(self.ob_conn_id).task_settings()
        verdict = asyncio.run(
            self._verify(
                settings,
                str(restore["instance_id"]),
                str(restore["tenant_id"]),
                spec,
                restore_point=restore_point,
                requested_at=requested_at,
            )
        )
        result = {"tenant_id": restore["tenant_id"], **verdict.to_json()}
        for check in verdict.checks:
            self.log.info(
                "check %r: %s (%s, expected %s)",
                check.name,
                "ok" if check.ok else "FAILED",
                check.value,
                check.expect,
            )
        if not verdict.ok:
            raise AirflowFailException(
                f"data of {restore['instance_id']}/{restore.get('tenant_name')}: "
                + "; ".join(verdict.problems())
            )
        return result

    async def _verify(
        self,
        settings: ConnectionSettings,
        instance_id: str,
        tenant_id: str,
        spec: DataSpec,
        *,
        restore_point: datetime,
        requested_at: datetime,
    ) -> DataVerdict:
        async with settings.client() as client:
            verifier = DataVerifier(client, DataLimits(network=Network(self.network)))
            return await verifier.verify(
                instance_id,
                tenant_id,
                spec,
                restore_point=restore_point,
                requested_at=requested_at,
                timeout=self.timeout,
            )

    def _login(self) -> TenantLogin:
        connection = BaseHook.get_connection(self.tenant_conn_id)
        if not connection.login or not connection.password:
            raise AirflowFailException(
                f"Airflow connection {self.tenant_conn_id!r}: set its login and password "
                "(the tenant user that the checks run as)"
            )
        mask_secret(connection.password)
        return TenantLogin(
            connection.login,
            password=connection.password,
            database=connection.schema or None,
            source=f"Airflow connection {self.tenant_conn_id}",
        )

    def _checks(self) -> tuple[CheckSpec, ...]:
        specs = []
        for index, check in enumerate(self.checks):
            where = f"checks[{index}]"
            try:
                name, sql, expect = str(check["name"]), str(check["sql"]), str(check["expect"])
                expectation = Expectation.parse(expect)
            except KeyError as missing:
                raise AirflowFailException(f"{where}: no {missing}") from None
            except ValueError as error:
                raise AirflowFailException(f"{where}: expect: {error}") from None
            problem = read_only_problem(sql)
            if problem is not None:
                raise AirflowFailException(f"{where}: sql {problem}")
            specs.append(CheckSpec(name=name, sql=sql, expect=expectation))
        return tuple(specs)

    def _rpo(self, latest: bool) -> RpoSpec | None:
        if self.rpo is None:
            return None
        query = str(self.rpo.get("query", ""))
        problem = read_only_problem(query)
        if problem is not None:
            raise AirflowFailException(f"rpo: query {problem}")
        target = self.rpo.get("target")
        applies_to = self.rpo.get("applies_to")
        try:
            return RpoSpec(
                query=query,
                target_seconds=float(target) if target is not None else None,
                target_applies_to=(
                    RpoFigure(applies_to)
                    if applies_to is not None
                    else RpoFigure.for_restore(latest=latest)
                ),
                time_zone=self.rpo.get("time_zone"),
            )
        except ValueError as error:
            raise AirflowFailException(f"rpo: {error}") from None


def _moment(value: Any) -> datetime | None:
    """An aware time from a record's ISO text, or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
