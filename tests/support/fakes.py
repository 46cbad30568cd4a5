"""Test doubles: a clock that does not wait, and a scripted API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ob_async._api.operations import OpenApi, Retrier
from ob_async._wire.models import Envelope, Page, RestoreRequest
from ob_async._wire.tenants import TenantDetail, TenantSummary
from ob_async.errors import ProtocolError


class FakeClock:
    """Monotonic and wall time that advance only when something sleeps."""

    def __init__(self, start: datetime = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)) -> None:
        self.elapsed = 0.0
        self.start = start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.elapsed

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds
        await asyncio.sleep(0)


Step = Callable[[RestoreRequest, str], Any]


class ScriptedApi:
    """An OpenApi stand-in: each POST runs the next scripted step.

    A step may raise an error, or return normally (accepted). ``creates`` marks
    steps that create the tenant before raising (the lost-response case).
    """

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.steps: list[tuple[BaseException | None, bool]] = []
        self.post_request_ids: list[str] = []
        self.tenants: dict[str, TenantDetail] = {}
        self.lookups = 0

    def script(self, *steps: tuple[BaseException | None, bool]) -> None:
        self.steps.extend(steps)

    def existing(self, name: str, description: str, created: datetime | None = None) -> None:
        self.tenants[name] = TenantDetail(
            tenant_id=f"t-{name}",
            tenant_name=name,
            status="RESTORING",
            description=description,
            create_time=created or self.clock.now(),
        )

    async def create_restore_task(
        self, instance_id: str, request: RestoreRequest, *, request_id: str | None = None
    ) -> Envelope:
        assert request_id is not None
        self.post_request_ids.append(request_id)
        error, creates = self.steps.pop(0) if self.steps else (None, True)
        if creates or error is None:
            if request.target_tenant_name in self.tenants and error is None:
                raise AssertionError("the submitter sent a duplicate restore")
            self.tenants.setdefault(
                request.target_tenant_name,
                TenantDetail(
                    tenant_id=f"t-{request.target_tenant_name}",
                    tenant_name=request.target_tenant_name,
                    status="RESTORING",
                    description=request.target_tenant_description,
                    create_time=self.clock.now(),
                ),
            )
        if error is not None:
            raise error
        return Envelope(success=True, data={}, request_id=request_id)

    async def iter_tenants(
        self,
        instance_id: str,
        *,
        tenant_name: str | None = None,
        page_size: int = 100,
        retry: Retrier | None = None,
    ) -> AsyncIterator[TenantSummary]:
        self.lookups += 1
        for tenant in list(self.tenants.values()):
            if tenant_name is None or tenant_name in tenant.tenant_name:
                yield TenantSummary(
                    tenant_id=tenant.tenant_id, tenant_name=tenant.tenant_name, status=tenant.status
                )

    async def describe_tenant(
        self, instance_id: str, tenant_id: str, *, request_id: str | None = None
    ) -> TenantDetail:
        return next(t for t in self.tenants.values() if t.tenant_id == tenant_id)


class FlakyPagesApi(OpenApi):
    """Five full pages of tenants; the first request for each page comes back damaged
    (a 200 whose body is cut short), as a flaky network does to a few percent of reads."""

    def __init__(self) -> None:
        super().__init__(session=None)  # type: ignore[arg-type]
        self.names = [f"t{n:03d}" for n in range(450)]
        self.requests: list[int] = []

    async def list_tenants(
        self,
        instance_id: str,
        *,
        tenant_name: str | None = None,
        page_number: int = 1,
        page_size: int = 10,
        request_id: str | None = None,
    ) -> Page[TenantSummary]:
        first_request_for_page = page_number not in self.requests
        self.requests.append(page_number)
        if first_request_for_page:
            raise ProtocolError("HTTP 200 response is not JSON", status=200)
        names = self.names[(page_number - 1) * page_size : page_number * page_size]
        return Page(
            data_list=tuple(
                TenantSummary(tenant_id=f"id-{n}", tenant_name=n, status="ONLINE") for n in names
            ),
            total=len(self.names),
        )
