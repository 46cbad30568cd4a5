"""A run-wide failure met in the middle of a clean-up (the credentials revoked, say) stops
it: what was done is reported, in journal order, then the failure once; nothing more is
sent."""

from __future__ import annotations

import pytest

from ob_async._client import ObClient
from ob_async._http.credentials import Credentials
from ob_async._restore.runwide import RunWideError
from ob_async._wire.models import Page
from ob_async._wire.tenants import TenantDetail, TenantSummary
from ob_async.drill._cleanup import CleanupAction, RunTenant, clean_run
from ob_async.errors import AuthenticationError


class _Api:
    """Every tenant is the run's own; deletes are refused from the fourth on."""

    def __init__(self, tenants: list[RunTenant]) -> None:
        self.markers = {t.target_tenant_name: t.marker for t in tenants}
        self.deletes: list[str] = []

    async def list_tenants(
        self, instance_id: str, *, tenant_name: str, **_: object
    ) -> Page[TenantSummary]:
        summary = TenantSummary(
            tenant_id=f"id-{tenant_name}", tenant_name=tenant_name, status="ONLINE"
        )
        return Page(data_list=(summary,), total=1)

    async def describe_tenant(self, instance_id: str, tenant_id: str) -> TenantDetail:
        name = tenant_id.removeprefix("id-")
        return TenantDetail(
            tenant_id=tenant_id, tenant_name=name, status="ONLINE", description=self.markers[name]
        )

    async def delete_tenant(self, instance_id: str, tenant_id: str) -> None:
        self.deletes.append(tenant_id)
        if len(self.deletes) > 3:
            raise AuthenticationError("credentials refused", status=401)


async def test_a_run_wide_failure_mid_clean_up_stops_it_after_reporting_what_was_done() -> None:
    tenants = [
        RunTenant(
            key=f"dr/t{n}", target_instance_id="dr", target_tenant_name=f"t{n}", request_id=f"r{n}"
        )
        for n in range(1, 11)
    ]
    api = _Api(tenants)
    client = ObClient("https://api.example.test", Credentials("AK", access_key_secret="sk"), "p1")
    for name in ("list_tenants", "describe_tenant", "delete_tenant"):
        setattr(client, name, getattr(api, name))
    done: list[tuple[str, CleanupAction]] = []

    async def clean() -> None:
        async for result in clean_run(client, tenants, concurrency=1):
            done.append((result.tenant.target_tenant_name, result.action))

    with pytest.raises(RunWideError, match="refused the credentials"):
        await clean()
    assert done == [(f"t{n}", CleanupAction.DELETED) for n in (1, 2, 3)]
    assert api.deletes == ["id-t1", "id-t2", "id-t3", "id-t4"]  # and nothing after
    await client.close()
