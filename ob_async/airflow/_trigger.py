"""``ObTenantOnlineTrigger``: waits, in the triggerer, for a restored tenant to come ONLINE.

It only waits: the restore was submitted by the task before it deferred, and a trigger may be
run again on another triggerer, so running it twice must not cost a second restore. Its
serialized form holds ids, names, times, the connection id and how the submission ended
(:class:`~ob_async.airflow._records.TenantWait`); the connection, and its secret, is read
in the triggerer when the wait starts.

Waits of one connection share one client (:mod:`ob_async.airflow._shared_clients`), so their
polls coalesce into one list call per instance per interval, under one rate limiter.
Cancelled (the task was killed, or the triggerer moves it), the wait leaves the shared poller
and, if it was the last, closes the client; out of time, it ends with a ``timed_out`` event.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from ob_async._client import ObClient
from ob_async._restore.outcome import RestoreState
from ob_async.airflow._hook import ObCloudHook
from ob_async.airflow._records import TenantWait, WaitResult
from ob_async.airflow._shared_clients import SharedClients
from ob_async.errors import ObError

CLASSPATH = "ob_async.airflow.ObTenantOnlineTrigger"
"""Where the triggerer finds the class: the public name, which stays put as modules move."""


async def _open_client(conn_id: str) -> ObClient:
    client = (await ObCloudHook(conn_id).asettings()).client()
    await client.__aenter__()
    return client


SHARED_CLIENTS = SharedClients(_open_client)
"""The triggerer's clients, one per connection (per event loop)."""


class ObTenantOnlineTrigger(BaseTrigger):
    """Fires once: when the tenant is ONLINE, failed or gone, or its deadline has passed.

    The event's payload is a :class:`~ob_async.airflow._records.WaitResult` as JSON.
    """

    def __init__(
        self,
        *,
        conn_id: str,
        instance_id: str,
        tenant_name: str,
        request_id: str,
        submitted_at: datetime | str,
        deadline: datetime | str,
        rto_seconds: float | None = None,
        restore_time: str | None = None,
        latest: bool = False,
        submission: str = "submitted",
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.wait = TenantWait(
            conn_id=conn_id,
            instance_id=instance_id,
            tenant_name=tenant_name,
            request_id=request_id,
            submitted_at=submitted_at,
            deadline=deadline,
            rto_seconds=rto_seconds,
            restore_time=restore_time,
            latest=latest,
            submission=submission,
        )

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return CLASSPATH, self.wait.to_json()

    async def run(self) -> AsyncIterator[TriggerEvent]:
        result = await self._wait()
        # Yielded after the shared client was given back: nothing is left open when the
        # triggerer takes the event and drops this generator.
        yield TriggerEvent(result.to_json())  # type: ignore[no-untyped-call]

    async def _wait(self) -> WaitResult:
        wait = self.wait
        remaining = (wait.deadline - datetime.now(UTC)).total_seconds()
        if remaining <= 0:
            return WaitResult.ended(
                wait, RestoreState.TIMED_OUT, f"the deadline {wait.deadline.isoformat()} passed"
            )
        try:
            async with SHARED_CLIENTS.borrow(wait.conn_id) as client:
                outcome = await client.wait_until_online(
                    wait.instance_id,
                    wait.tenant_name,
                    timeout=remaining,
                    started_at=wait.submitted_at,
                    rto_seconds=wait.rto_seconds,
                )
        except ObError as error:  # the connection could not be read or the client built
            return WaitResult.ended(wait, RestoreState.ERROR, str(error))
        return WaitResult.of(wait, outcome)
