"""The validation step of a drill: does the restored tenant look like what was asked for?

Coming ONLINE is necessary but not sufficient: a drill also checks, from the
tenant's detail, that it is the tenant asked for — its name, its primary zone,
and its resources (CPU, memory, units). Fields the server leaves out are not
held against it; only a value that differs is a problem.
"""

from __future__ import annotations

from ob_async._wire.models import ONLINE, RestoreRequest, TenantDetail


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
    resource = detail.tenant_resource
    if resource is not None:
        asked = request.tenant_resource
        for field, got, wanted in (
            ("cpu", resource.cpu, asked.cpu),
            ("memory", resource.memory, asked.memory),
            ("unitNum", resource.unit_num, asked.unit_num),
        ):
            if got is not None and float(got) != float(wanted):
                problems.append(f"{field} is {got:g}, not {wanted}")
    return problems
