"""Tenants as the API returns them: the provider's ``TenantDTO`` and its parts.

The tenant list's ``dataList`` and describe tenant both carry a ``TenantDTO``
(contract/openapi.yaml). What the client decides on is required and well-formed:
``tenantId``, ``tenantName`` and ``status`` everywhere, and in describe the
``description`` (the submission marker reconciliation and clean-up look for). In
describe, ``createTime`` (reconciliation), ``primaryZone`` and the unit resources
(validation) and ``tenantConnections`` (the data checks) are decided on when present.
Everything else is informative (:mod:`ob_async._wire.tolerant`). Tenant status values
other than ``ONLINE`` are not published: ``status`` stays a plain string.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from ob_async._wire.addresses import TenantConnection
from ob_async._wire.models import aware_time
from ob_async._wire.tolerant import informative

ONLINE = "ONLINE"
"""The only tenant status the API documentation confirms: the tenant is usable."""


@attrs.frozen(kw_only=True)
class TenantCpu:
    """``tenantResource.cpu`` (the provider's ``TenantCpuDTO``): cores."""

    total_cpu: float | None = informative()
    used_cpu: float | None = informative()
    unit_cpu: float | None = informative()


@attrs.frozen(kw_only=True)
class TenantMemory:
    """``tenantResource.memory`` (the provider's ``TenantMemoryDTO``): GiB."""

    total_memory: float | None = informative()
    used_memory: float | None = informative()
    unit_memory: float | None = informative()


@attrs.frozen(kw_only=True)
class TenantDisk:
    """``tenantResource.disk`` (the provider's ``TenantDiskDTO``)."""

    total_disk_size: float | None = informative()
    used_disk_size: float | None = informative()


@attrs.frozen(kw_only=True)
class TenantResourceDetail:
    """``tenantResource`` (the provider's ``TenantResourceDTO``): objects of numbers."""

    cpu: TenantCpu | None = informative()
    memory: TenantMemory | None = informative()
    disk: TenantDisk | None = informative()
    unit_num: int | None = informative()


@attrs.frozen(kw_only=True)
class TenantZone:
    """An entry of ``tenantZones`` (the provider's ``TenantZoneDTO``)."""

    name: str | None = informative()
    replica_type: str | None = informative()
    region: str | None = informative()
    role: str | None = informative()


@attrs.frozen(kw_only=True)
class Tag:
    """An entry of ``tagList`` (the provider's ``TagKeyValueDo``)."""

    tag_key: str | None = informative()
    tag_value: str | None = informative()


@attrs.frozen(kw_only=True)
class _TenantFields:
    """The ``TenantDTO`` fields both readings of a tenant share: the three decided on
    everywhere, and those neither decides on."""

    tenant_id: str
    tenant_name: str
    status: str
    ocp_tenant_id: int | None = informative()
    management_mode: str | None = informative()
    gmt_create: datetime | None = informative(validator=aware_time)
    tenant_mode: str | None = informative()
    primary_region: str | None = informative()
    cpu: int | None = informative()
    mem: int | None = informative()
    vpc_id: str | None = informative()
    deploy_type: str | None = informative()
    tenant_zones: tuple[TenantZone, ...] = informative(factory=tuple)
    tenant_resource: TenantResourceDetail | None = informative()
    enable_binlog_service: bool | None = informative()
    readonly_connection_addable: str | None = informative()
    time_zone: str | None = informative()
    charset: str | None = informative()
    lower_case_table_names_param: int | None = informative()
    tag_list: tuple[Tag, ...] = informative(factory=tuple)
    tenant_compatibility_mode: str | None = informative()
    data_merge_time: str | None = informative()
    enable_proxy_public_link: bool | None = informative()

    @property
    def is_online(self) -> bool:
        return self.status == ONLINE


@attrs.frozen(kw_only=True)
class TenantSummary(_TenantFields):
    """A tenant as the tenant list returns it (``dataList[]``)."""

    description: str | None = informative()
    create_time: datetime | None = informative(validator=aware_time)
    primary_zone: str | None = informative()
    unit_cpu: int | None = informative()
    unit_mem: int | None = informative()
    unit_num: int | None = informative()
    tenant_connections: tuple[TenantConnection, ...] = informative(factory=tuple)


@attrs.frozen(kw_only=True)
class TenantDetail(_TenantFields):
    """A tenant as describe tenant returns it."""

    description: str | None
    """The submission marker's carrier; null is read as a tenant without one."""
    create_time: datetime | None = attrs.field(default=None, validator=aware_time)
    primary_zone: str | None = None
    unit_cpu: int | None = None
    """Cores per unit."""
    unit_mem: int | None = None
    """GiB per unit."""
    unit_num: int | None = None
    tenant_connections: tuple[TenantConnection, ...] = ()


@attrs.frozen(kw_only=True)
class DeletedTenant:
    """What the delete call returns (the provider's ``SimpleTenantResponse``).

    Nothing in it is decided on: the tenant is gone whatever it says."""

    tenant_id: str | None = informative()
    job_key: str | None = informative()
