"""Deleting what a recorded drill run created, and nothing else.

The journal of a run names every restore it sent (its target and requestId).
The submitter writes a marker derived from the requestId into each target
tenant's description, so a tenant is the run's own only if it has the
journaled name *and* carries that marker: a tenant that merely has the same
name (created by hand, or by another run) is never touched.

:func:`clean_run` looks each one up, deletes it (unless ``dry_run``) and
reports one :class:`CleanupResult` per restore the journal recorded, in journal
order. It is idempotent: a tenant already gone is reported as such, never as a
failure, so a clean-up can be re-run until everything is gone.

A restored tenant the run held for manual validation (the plan's ``hold``) is
not deleted before its hold ends, which the journal records with the item's
final event: :func:`refuse_held` names when it ends (``--force`` overrides).

Like a drill, it meets a run-wide failure (refused credentials, an endpoint that
cannot be reached, an unknown project: :mod:`ob_async._restore.runwide`) once: a
first read, not retried, finds it before anything is deleted, and one met later
stops the rest; :class:`~ob_async._restore.runwide.RunWideError` says it once.
Tenants are cleaned up concurrently, at most ``concurrency`` at a time, every
request within the client's throttle (the API's rate limit).
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from pathlib import Path

import attrs

from ob_async._client import ObClient
from ob_async._restore.runwide import RunWideError, probe, run_wide
from ob_async._restore.submit import submission_marker
from ob_async._wire.tenants import TenantDetail
from ob_async.batch._limits import BatchLimits
from ob_async.drill._journal import JournalState, read_journal
from ob_async.errors import ClientError, InvalidInputError, ObError


class CleanupAction(enum.StrEnum):
    DELETED = "deleted"
    WOULD_DELETE = "would_delete"
    """A dry run: the tenant is the run's own and would be deleted."""
    GONE = "gone"
    """No tenant of that name (already deleted, or never created)."""
    NOT_OURS = "not_ours"
    """A tenant has the name but not the run's marker: kept."""
    FAILED = "failed"
    """The look-up or the deletion failed: try again."""


@attrs.frozen(kw_only=True)
class RunTenant:
    """A restore the journal says was sent: where its tenant would be, and its marker."""

    key: str
    target_instance_id: str
    target_tenant_name: str
    request_id: str
    hold_until: datetime | None = None
    """Held for manual validation until then: not to be deleted before (unless forced)."""

    @property
    def marker(self) -> str:
        return submission_marker(self.request_id)

    def held_at(self, now: datetime) -> bool:
        return self.hold_until is not None and now < self.hold_until


@attrs.frozen(kw_only=True)
class CleanupResult:
    tenant: RunTenant
    action: CleanupAction
    tenant_id: str | None = None
    detail: str | None = None


def run_tenants(journal: JournalState, *, where: str) -> list[RunTenant]:
    """Every restore of the journal that may have been sent, in journal order.

    An item's key is ``TARGET_INSTANCE/TARGET_TENANT_NAME`` (as the plan renders it).
    """
    found = []
    for key, item in journal.items.items():
        if not item.was_sent:
            continue  # journaled ahead of every request: never sent, nothing created
        instance, slash, name = key.partition("/")
        if not slash or not instance or not name or not item.request_id:
            raise InvalidInputError(
                f"item {key!r} has no target or requestId; is this a drill journal?", where=where
            )
        found.append(
            RunTenant(
                key=key,
                target_instance_id=instance,
                target_tenant_name=name,
                request_id=item.request_id,
                hold_until=next(
                    (e.hold_until for e in reversed(item.events) if e.hold_until is not None),
                    None,
                ),
            )
        )
    return found


HELD_NAMED = 5
"""How many held tenants a refusal names one by one (the rest are counted)."""


def holds_in_force(tenants: Iterable[RunTenant], now: datetime) -> str | None:
    """Which tenants of the run are still held for manual validation at ``now``, and
    when the holds end, in words; None when none is."""
    held = [tenant for tenant in tenants if tenant.held_at(now)]
    ends = [tenant.hold_until for tenant in held if tenant.hold_until is not None]
    if not ends:
        return None
    named = ", ".join(
        f"{tenant.key} until {tenant.hold_until.isoformat()}"
        for tenant in held[:HELD_NAMED]
        if tenant.hold_until is not None
    )
    more = f" and {len(held) - HELD_NAMED} more" if len(held) > HELD_NAMED else ""
    return (
        f"{len(held)} restored tenant(s) are held for manual validation ({named}{more}); "
        f"the hold ends at {max(ends).isoformat()}"
    )


def refuse_held(tenants: Iterable[RunTenant], now: datetime, *, where: str) -> None:
    """Raise :class:`InvalidInputError` naming when the holds end, if any tenant of the
    run is still held for manual validation at ``now``: nothing is deleted."""
    held = holds_in_force(tenants, now)
    if held is not None:
        raise InvalidInputError(
            f"{held}: nothing was deleted. Run the clean-up again after then, or pass "
            "--force to delete them now",
            where=where,
        )


def load_run_tenants(path: Path) -> tuple[str, list[RunTenant]]:
    """The run id and the restores it sent, from the journal at ``path``."""
    where = f"journal {path}"
    state = read_journal(path)
    run_id = state.run.run_id
    if run_id is None:
        raise InvalidInputError("has no 'run' line: not a drill journal", where=where)
    return run_id, run_tenants(state, where=where)


DEFAULT_CONCURRENCY = BatchLimits().max_submits
"""Tenants cleaned up at once: as many as a batch submits at once."""
AHEAD_PER_SLOT = 4
"""Tenants started per slot ahead of the one reported next (a batch's look-ahead)."""


async def clean_run(
    client: ObClient,
    tenants: list[RunTenant],
    *,
    dry_run: bool = False,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> AsyncIterator[CleanupResult]:
    """Delete each tenant the run created (a dry run only looks), one result per restore
    in journal order; raises :class:`RunWideError` (after the results of what was done)
    when a failure would be every tenant's."""
    if concurrency < 1:
        raise InvalidInputError(f"must be at least 1, got {concurrency}", where="concurrency")
    if not tenants:
        return
    first = tenants[0]
    await probe(
        lambda: client.list_tenants(first.target_instance_id, tenant_name=first.target_tenant_name)
    )
    cleaning = _Cleaning(client, dry_run=dry_run, concurrency=concurrency)
    pending = cleaning.tasks
    # Started ahead of the result awaited (results go out in journal order), but only so
    # far ahead: a journal of 100,000 restores is not 100,000 tasks at once.
    ahead = AHEAD_PER_SLOT * concurrency
    remaining = iter(tenants)
    try:
        while True:
            while (
                len(pending) < ahead
                and cleaning.run_wide is None
                and (tenant := next(remaining, None)) is not None
            ):
                pending.append(asyncio.create_task(cleaning.clean(tenant)))
            if not pending:
                break
            task = pending.popleft()
            await asyncio.wait((task,))
            if cleaning.run_wide is not None and (task.cancelled() or task.exception()):
                continue  # stopped by the run-wide failure, which is said once below
            yield task.result()
    finally:
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    if cleaning.run_wide is not None:
        raise cleaning.run_wide


class _Cleaning:
    """The tenants of one clean-up, at most ``concurrency`` at a time; the first
    run-wide failure cancels the others."""

    def __init__(self, client: ObClient, *, dry_run: bool, concurrency: int) -> None:
        self.client = client
        self.dry_run = dry_run
        self.slots = asyncio.Semaphore(concurrency)
        self.tasks: deque[asyncio.Task[CleanupResult]] = deque()
        """Started, and not yet reported."""
        self.run_wide: RunWideError | None = None

    async def clean(self, tenant: RunTenant) -> CleanupResult:
        async with self.slots:
            try:
                return await _clean_one(self.client, tenant, dry_run=self.dry_run)
            except RunWideError as error:
                if self.run_wide is None:
                    self.run_wide = error
                    current = asyncio.current_task()
                    for task in self.tasks:
                        if task is not current:
                            task.cancel()
                raise


async def _clean_one(client: ObClient, tenant: RunTenant, *, dry_run: bool) -> CleanupResult:
    def result(action: CleanupAction, detail: str | None = None) -> CleanupResult:
        return CleanupResult(
            tenant=tenant,
            action=action,
            tenant_id=found.tenant_id if found is not None else None,
            detail=detail,
        )

    found: TenantDetail | None = None
    try:
        found = await client.retrying(lambda: _find(client, tenant))
    except ObError as error:
        _raise_run_wide(error)
        return result(CleanupAction.FAILED, str(error))
    if found is None:
        return result(CleanupAction.GONE)
    if tenant.marker not in (found.description or ""):
        return result(
            CleanupAction.NOT_OURS,
            "its description lacks this run's requestId marker: not created by this run",
        )
    if dry_run:
        return result(CleanupAction.WOULD_DELETE)
    tenant_id = found.tenant_id
    try:
        await client.retrying(lambda: client.delete_tenant(tenant.target_instance_id, tenant_id))
    except ObError as error:
        _raise_run_wide(error)
        # 404: gone meanwhile (a retried delete whose first try went through).
        gone = isinstance(error, ClientError) and error.status == 404
        return result(CleanupAction.GONE) if gone else result(CleanupAction.FAILED, str(error))
    return result(CleanupAction.DELETED)


def _raise_run_wide(error: ObError) -> None:
    failure = run_wide(error)
    if failure is not None:
        raise failure from error


async def _find(client: ObClient, tenant: RunTenant) -> TenantDetail | None:
    """The tenant of that name carrying the run's marker; else any of that name; else None."""
    others: list[TenantDetail] = []
    name, instance = tenant.target_tenant_name, tenant.target_instance_id
    async for summary in client.iter_tenants(instance, tenant_name=name):
        if summary.tenant_name != name:
            continue
        detail = await client.describe_tenant(instance, summary.tenant_id)
        if tenant.marker in (detail.description or ""):
            return detail
        others.append(detail)
    return others[0] if others else None
