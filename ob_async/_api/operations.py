"""The API operations: one method per documented call, returning typed models.

Each method is a single call (no retries: retrying is the caller's policy, see
:mod:`ob_async._restore.retry`); the page iterators take a :class:`Retrier` that each
page's request runs under, so that one failed page does not cost the whole listing.
Every call and its shapes are in contract/openapi.yaml. Answers are read
tolerantly (:mod:`ob_async._wire.tolerant`): a response whose ``data`` lacks a field
the client decides on, or has one of the wrong type, is a
:class:`~ob_async.errors.ProtocolError` naming the call and the JSON path of every
bad field; anything else that does not fit is left out of the model. List calls
always send ``pageSize`` (the pages of the reference disagree on its default).
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Protocol, TypeVar
from urllib.parse import quote

from ob_async._http.session import Session
from ob_async._wire.addresses import TenantConnection
from ob_async._wire.backups import BackupSet, RestorableTenant
from ob_async._wire.codec import format_time, from_answer, to_json_bytes
from ob_async._wire.instances import Instance
from ob_async._wire.models import Envelope, Page, RestoreObjectType, RestoreRequest
from ob_async._wire.tenants import DeletedTenant, TenantDetail, TenantSummary
from ob_async.errors import InvalidInputError, ProtocolError

T = TypeVar("T")

MAX_PAGE_SIZE = 100
"""The largest page the iterators ask for."""

MAX_PAGES = 100_000
"""Iterators stop with a ProtocolError past this many pages (ten million items)."""


class Retrier(Protocol):
    """Runs an idempotent call until it succeeds or fails for good (a retry policy)."""

    async def __call__(self, operation: Callable[[], Awaitable[T]], /) -> T: ...


def instance_path(instance_id: str, *rest: str) -> str:
    """``/api/v2/instances/{instanceId}/...`` with every segment percent-encoded."""
    if not instance_id:
        raise InvalidInputError("is empty", where="instance_id")
    segments = [quote(instance_id, safe=""), *(quote(part, safe="") for part in rest)]
    return "/api/v2/instances/" + "/".join(segments)


_RESTORE_SUFFIX = "/backup/restore"


@functools.lru_cache(maxsize=1024)
def _restore_path(instance_id: str) -> str:
    """The restore POST's path; a drill sends thousands to a handful of instances."""
    return instance_path(instance_id) + _RESTORE_SUFFIX


class OpenApi:
    """Typed access to the OceanBase Cloud restore-related calls over a :class:`Session`."""

    def __init__(self, session: Session) -> None:
        self.session = session

    async def create_restore_task(
        self, instance_id: str, request: RestoreRequest, *, request_id: str | None = None
    ) -> Envelope:
        """``POST .../backup/restore``: one attempt, no retry.

        The API returns no task id; follow the restore through the target tenant
        (``request.target_tenant_name`` in ``request.target_instance_id``).
        """
        return await self.session.call(
            "POST",
            _restore_path(instance_id),
            body=to_json_bytes(request),
            request_id=request_id,
        )

    async def list_restorable_tenants(
        self,
        instance_id: str,
        *,
        tenant_id: str | None = None,
        backup_set_id: str | None = None,
        restore_object_type: RestoreObjectType | None = None,
        from_remote: bool | None = None,
        request_id: str | None = None,
    ) -> list[RestorableTenant]:
        """``GET .../backup/restore/tenants``: source tenants with their restorable windows."""
        params = _params(
            tenantId=tenant_id,
            backupSetId=backup_set_id,
            restoreObjectType=restore_object_type.value if restore_object_type else None,
            fromRemote=None if from_remote is None else str(from_remote).lower(),
        )
        envelope = await self.session.call(
            "GET",
            instance_path(instance_id, "backup", "restore", "tenants"),
            params=params,
            request_id=request_id,
        )
        return _data(envelope, list[RestorableTenant], "list_restorable_tenants")

    async def list_tenants(
        self,
        instance_id: str,
        *,
        tenant_name: str | None = None,
        page_number: int = 1,
        page_size: int = 10,
        request_id: str | None = None,
    ) -> Page[TenantSummary]:
        """``GET .../tenants``: one page; ``tenant_name`` is a fuzzy match on the server."""
        _check_paging(page_number, page_size)
        envelope = await self.session.call(
            "GET",
            instance_path(instance_id, "tenants"),
            params=_params(
                pageNumber=str(page_number), pageSize=str(page_size), tenantName=tenant_name
            ),
            request_id=request_id,
        )
        return _data(envelope, Page[TenantSummary], "list_tenants")

    async def iter_tenants(
        self,
        instance_id: str,
        *,
        tenant_name: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        retry: Retrier | None = None,
    ) -> AsyncIterator[TenantSummary]:
        """Every tenant of an instance, page after page; each page's request under
        ``retry`` when given (a listing of many pages is otherwise only as likely
        to get through as all of its requests together)."""

        def fetch(number: int) -> Awaitable[Page[TenantSummary]]:
            def read() -> Awaitable[Page[TenantSummary]]:
                return self.list_tenants(
                    instance_id, tenant_name=tenant_name, page_number=number, page_size=page_size
                )

            return read() if retry is None else retry(read)

        async for page in self._pages(fetch, page_size):
            for tenant in page.data_list:
                yield tenant

    async def describe_tenant(
        self, instance_id: str, tenant_id: str, *, request_id: str | None = None
    ) -> TenantDetail:
        """``GET .../tenants/{tenantId}``."""
        envelope = await self.session.call(
            "GET", instance_path(instance_id, "tenants", tenant_id), request_id=request_id
        )
        return _data(envelope, TenantDetail, "describe_tenant")

    async def describe_tenant_address(
        self, instance_id: str, tenant_id: str, address_id: str, *, request_id: str | None = None
    ) -> TenantConnection:
        """``GET .../tenants/{tenantId}/address?addressId=...``: one connection address
        (the ``addressId`` values are in :meth:`describe_tenant`'s ``tenant_connections``)."""
        if not address_id:
            raise InvalidInputError("is empty", where="address_id")
        envelope = await self.session.call(
            "GET",
            instance_path(instance_id, "tenants", tenant_id, "address"),
            params={"addressId": address_id},
            request_id=request_id,
        )
        return _data(envelope, TenantConnection, "describe_tenant_address")

    async def describe_instance(
        self, instance_id: str, *, request_id: str | None = None
    ) -> Instance:
        """``GET /api/v2/instances/{instanceId}``: the instance, with its ``availableZones``."""
        envelope = await self.session.call("GET", instance_path(instance_id), request_id=request_id)
        return _data(envelope, Instance, "describe_instance")

    async def delete_tenant(
        self, instance_id: str, tenant_id: str, *, request_id: str | None = None
    ) -> DeletedTenant:
        """``DELETE .../tenants/{tenantId}``: immediate and irreversible."""
        envelope = await self.session.call(
            "DELETE", instance_path(instance_id, "tenants", tenant_id), request_id=request_id
        )
        return _data(envelope, DeletedTenant, "delete_tenant")

    async def list_backup_sets(
        self,
        instance_id: str,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        page_number: int = 1,
        page_size: int = 10,
        request_id: str | None = None,
    ) -> Page[BackupSet]:
        """``GET .../backup/data/sets``: one page of backup sets."""
        _check_paging(page_number, page_size)
        envelope = await self.session.call(
            "GET",
            instance_path(instance_id, "backup", "data", "sets"),
            params=_params(
                startTime=format_time(start_time) if start_time else None,
                endTime=format_time(end_time) if end_time else None,
                pageNumber=str(page_number),
                pageSize=str(page_size),
            ),
            request_id=request_id,
        )
        return _data(envelope, Page[BackupSet], "list_backup_sets")

    @staticmethod
    async def _pages(
        fetch: Callable[[int], Awaitable[Page[T]]], page_size: int
    ) -> AsyncIterator[Page[T]]:
        # The server's total is a hint, not a promise: stop at the first short or
        # empty page too, and give up on a server that never stops sending full pages,
        # or that sends the same full page again (it ignores pageNumber).
        number = 1
        seen = 0
        previous: tuple[T, ...] = ()
        while True:
            if number > MAX_PAGES:
                raise ProtocolError(f"the server kept sending full pages past page {MAX_PAGES}")
            page = await fetch(number)
            if page.data_list and page.data_list == previous:
                raise ProtocolError(
                    f"the server answered page {number} with the items of page {number - 1}; "
                    "it ignores pageNumber"
                )
            previous = page.data_list
            yield page
            seen += len(page.data_list)
            if (
                len(page.data_list) < page_size
                or page.has_more is False
                or (page.total is not None and seen >= page.total)
            ):
                return
            number += 1


def _params(**values: str | None) -> dict[str, str]:
    return {name: value for name, value in values.items() if value is not None}


def _check_paging(page_number: int, page_size: int) -> None:
    if page_number < 1:
        raise InvalidInputError(f"must be 1 or more, got {page_number}", where="page_number")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInputError(
            f"must be between 1 and {MAX_PAGE_SIZE}, got {page_size}", where="page_size"
        )


def _data(envelope: Envelope, cls: type[T], operation: str) -> T:
    try:
        return from_answer(cls, envelope.data)
    except InvalidInputError as error:
        raise ProtocolError(
            f"{operation}: unexpected response data: {error}", request_id=envelope.request_id
        ) from None
