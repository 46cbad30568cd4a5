"""The validation step of a drill: does the restored tenant look like what was asked for?

Coming ONLINE is necessary but not sufficient: a drill also checks, from the
tenant's detail, that it is the tenant asked for — its name, its primary zone,
and its unit resources (``unitCpu`` cores and ``unitMem`` GiB per unit, ``unitNum``
units: the provider reads a tenant's unit this way). Fields the server leaves out
are not held against it; only a value that differs is a problem.
"""

from __future__ import annotations

from ob_async._wire.models import RestoreRequest
from ob_async._wire.tenants import ONLINE, TenantDetail


def check_restored(request: RestoreRequest, detail: TenantDetail) -> list[str]:
    """Every way ``detail`` differs from what ``request`` asked for (empty: it matches)."""
    problems: list[str] = []
    if detail.status != ONLINE:
        problems.append(f"status is {detail.status}, not {ONLINE}")
    if detail.tenant_name != request.target_tenant_name:
        problems.append(f"name is {detail.tenant_name!r}, not {request.target_tenant_name!r}")
    zone = detail.primary_zone
    if zone is not None and zone != request.target_tenant_primary_zone:
        problems.append(f"primary zone is {zone!r}, not {request.target_tenant_primary_zone!r}")
    asked = request.tenant_resource
    for field, got, wanted in (
        ("unitCpu", detail.unit_cpu, asked.cpu),
        ("unitMem", detail.unit_mem, asked.memory),
        ("unitNum", detail.unit_num, asked.unit_num),
    ):
        if got is not None and got != wanted:
            problems.append(f"{field} is {got}, not {wanted}")
    return problems
