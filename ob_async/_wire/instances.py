"""An instance as describe instance returns it (the provider's
``DescribeInstanceResponseV2OpenAPI``, contract/openapi.yaml).

Decided on: ``availableZones``, the zones a restored tenant's primary zone may be
one of (the drill's zone check), when present. Everything else is informative
(:mod:`ob_async._wire.tolerant`).
"""

from __future__ import annotations

import attrs

from ob_async._wire.tenants import Tag
from ob_async._wire.tolerant import informative


@attrs.frozen(kw_only=True)
class InstanceCpu:
    """``resource.cpu`` (the provider's ``CpuDoV2``): cores."""

    total_cpu: float | None = informative()
    used_cpu: float | None = informative()


@attrs.frozen(kw_only=True)
class InstanceMemory:
    """``resource.memory`` (the provider's ``MemoryDoV2``): GiB."""

    total_memory: float | None = informative()
    used_memory: float | None = informative()


@attrs.frozen(kw_only=True)
class InstanceDisk:
    """``resource.disk`` (the provider's ``DiskDoV2``)."""

    total_disk_size: float | None = informative()
    used_disk_size: float | None = informative()


@attrs.frozen(kw_only=True)
class InstanceResource:
    """``resource`` (the provider's ``ResourceDoV2``)."""

    cpu: InstanceCpu | None = informative()
    memory: InstanceMemory | None = informative()
    disk: InstanceDisk | None = informative()


@attrs.frozen(kw_only=True)
class Instance:
    """An OceanBase instance (cluster)."""

    available_zones: tuple[str, ...] | None = None
    """None when the answer does not say (the zone check then has nothing to check)."""
    instance_id: str | None = informative()
    instance_name: str | None = informative()
    region: str | None = informative()
    vpc_id: str | None = informative()
    instance_class: str | None = informative()
    series: str | None = informative()
    pay_type: str | None = informative()
    create_time: str | None = informative()
    expire_time: str | None = informative()
    version: str | None = informative()
    ob_rpm_version: str | None = informative()
    deploy_type: str | None = informative()
    disk_type: str | None = informative()
    deploy_mode: str | None = informative()
    replica_mode: str | None = informative()
    data_merge_time: str | None = informative()
    status: str | None = informative()
    resource: InstanceResource | None = informative()
    cloud_provider: str | None = informative()
    instance_type: str | None = informative()
    instance_role: str | None = informative()
    primary_instance_id: str | None = informative()
    standby_instance_ids: tuple[str, ...] = informative(factory=tuple)
    sale_channel: str | None = informative()
    management_mode: str | None = informative()
    tag_list: tuple[Tag, ...] = informative(factory=tuple)
    node_num: int | None = informative()
    cpu_architecture: str | None = informative()
    project_id: str | None = informative()
    stop_time: str | None = informative()
