"""Verify one restored tenant's data: find its address, log in, run the checks, measure the RPO.

The address comes from describe tenant's ``tenantConnections``, on the configured
network (the address call, ``GET .../address?addressId=``, returns the same entry
by its id: describe already has them all). An address that is not ONLINE yet, or
that refuses connections, is tried again (waits doubling
from ``retry_interval`` to 30 s) until the item's deadline; a refused login is
not. Connections are bounded across the whole drill by ``max_connections``.
A failure that stops everything (no address, login refused) is reported on
every check and on the RPO, so that each is accounted for.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from ob_async._client import ObClient
from ob_async._extras import require_extra
from ob_async._wire.addresses import Endpoint, choose_endpoint
from ob_async.data._expectations import value_text
from ob_async.data._results import CheckResult, DataVerdict, RpoMeasurement
from ob_async.data._rpo import RpoFigure, RpoValueError, newest_change
from ob_async.data._spec import DataLimits, DataSpec, RpoSpec
from ob_async.data._sql_error import SqlError
from ob_async.errors import ObError

if TYPE_CHECKING:
    from ob_async.data._driver import ReadOnlySession

logger = logging.getLogger("ob_async.data")

MAX_RETRY_INTERVAL = 30.0


class _Stop(Exception):
    """Nothing more can be checked in this tenant; the message says why."""


class DataVerifier:
    """Verifies restored tenants for a drill; shares one connection bound among them."""

    def __init__(self, client: ObClient, limits: DataLimits | None = None) -> None:
        require_extra("data", "Checking a restored tenant's data")
        self.client = client
        self.limits = limits or DataLimits()
        self._connections = asyncio.Semaphore(self.limits.max_connections)

    async def verify(
        self,
        instance_id: str,
        tenant_id: str,
        spec: DataSpec,
        *,
        restore_point: datetime,
        requested_at: datetime | None = None,
        timeout: float,
    ) -> DataVerdict:
        """The verdict on ``tenant_id``'s data; ``timeout`` bounds the wait for its address.

        ``restore_point``: the point the tenant was restored to (for ``latest``, the
        restorable window's end that was sent); ``requested_at``: when the restore was
        first requested, which the data-loss exposure is measured from (needed when the
        RPO target applies to it).
        """
        if (
            spec.rpo is not None
            and spec.rpo.target_applies_to is RpoFigure.DATA_LOSS_EXPOSURE
            and requested_at is None
        ):
            raise ValueError("an RPO target on the data-loss exposure needs requested_at")
        clock = self.client.clock
        deadline = clock.monotonic() + max(timeout, 0.0)
        moments = _Moments(restore_point, requested_at)
        endpoint: Endpoint | None = None
        try:
            endpoint = await self._address(instance_id, tenant_id, deadline)
            async with self._connections:
                # Imported here, not at the top: the core installs without the driver.
                from ob_async.data._driver import ReadOnlySession  # noqa: PLC0415

                session = ReadOnlySession(endpoint, spec.login, self.limits)
                await self._connect(session, deadline)
                try:
                    return await self._run(session, spec, moments, str(endpoint))
                finally:
                    await session.close()
        except _Stop as stop:
            reason = str(stop)
            return DataVerdict(
                checks=tuple(
                    CheckResult(name=check.name, ok=False, expect=check.expect.text, error=reason)
                    for check in spec.checks
                ),
                rpo=moments.failed(spec.rpo, reason) if spec.rpo else None,
                endpoint=str(endpoint) if endpoint else None,
            )

    async def _address(self, instance_id: str, tenant_id: str, deadline: float) -> Endpoint:
        client, network = self.client, self.limits.network
        interval = self.limits.retry_interval
        status = "no address"
        while True:
            try:
                detail = await client.retrying(
                    lambda: client.describe_tenant(instance_id, tenant_id)
                )
            except ObError as error:
                raise _Stop(f"cannot read the tenant's addresses: {error}") from None
            entries = detail.tenant_connections
            endpoint = choose_endpoint(entries, network)
            if endpoint is not None:
                return endpoint
            statuses = sorted({str(entry.status_of(network)) for entry in entries})
            status = f"address status {', '.join(statuses) or 'none listed'}"
            if not await self._pause(deadline, interval):
                raise _Stop(
                    f"no ONLINE {network.value} address before the item's timeout ({status})"
                )
            interval = min(interval * 2, MAX_RETRY_INTERVAL)

    async def _connect(self, session: ReadOnlySession, deadline: float) -> None:
        interval = self.limits.retry_interval
        while True:
            try:
                await session.connect()
            except SqlError as error:
                if not error.unreachable:
                    raise _Stop(f"login to {session.endpoint} failed: {error}") from None
                logger.info("tenant at %s not reachable yet: %s", session.endpoint, error)
                if not await self._pause(deadline, interval):
                    raise _Stop(
                        f"{session.endpoint} unreachable until the item's timeout: {error}"
                    ) from None
                interval = min(interval * 2, MAX_RETRY_INTERVAL)
            else:
                return

    async def _pause(self, deadline: float, interval: float) -> bool:
        """Sleep before the next try; False when the deadline leaves no time for one."""
        clock = self.client.clock
        remaining = deadline - clock.monotonic()
        if remaining <= 0:
            return False
        await clock.sleep(min(interval, remaining))
        return True

    async def _run(
        self, session: ReadOnlySession, spec: DataSpec, moments: _Moments, endpoint: str
    ) -> DataVerdict:
        results = []
        for check in spec.checks:
            try:
                value = await session.first_value(
                    check.sql, timeout=check.timeout, max_rows=check.max_rows
                )
            except SqlError as error:
                results.append(
                    CheckResult(
                        name=check.name, ok=False, expect=check.expect.text, error=str(error)
                    )
                )
                continue
            problem = check.expect.problem(value)
            results.append(
                CheckResult(
                    name=check.name,
                    ok=problem is None,
                    expect=check.expect.text,
                    value=value_text(value),
                    error=problem,
                )
            )
        if spec.rpo is None:
            return DataVerdict(checks=tuple(results), endpoint=endpoint)
        rpo = spec.rpo
        try:
            cell = await session.first_cell(rpo.query, timeout=rpo.timeout)
            found = newest_change(
                cell.value, time_zone=rpo.time_zone, in_session_zone=cell.in_session_zone
            )
        except SqlError as error:
            measurement = moments.failed(rpo, str(error))
        except RpoValueError as error:
            measurement = moments.failed(rpo, str(error), as_read=error.as_read)
        else:
            measurement = RpoMeasurement.measured(
                found,
                restore_point=moments.restore_point,
                requested_at=moments.requested_at,
                target_seconds=rpo.target_seconds,
                target_applies_to=rpo.target_applies_to,
            )
        return DataVerdict(checks=tuple(results), rpo=measurement, endpoint=endpoint)


@attrs.frozen
class _Moments:
    """The two moments of a restore an RPO is measured from."""

    restore_point: datetime
    requested_at: datetime | None

    def failed(self, rpo: RpoSpec, reason: str, *, as_read: str | None = None) -> RpoMeasurement:
        return RpoMeasurement(
            restore_point=self.restore_point,
            requested_at=self.requested_at,
            newest_change_as_read=as_read,
            target_seconds=rpo.target_seconds,
            target_applies_to=rpo.target_applies_to,
            error=reason,
        )
