"""What the simulator answers, in exactly the shapes of the contract (contract/openapi.yaml).

Every documented field of every answer is present, with the simulator's own values
where the world has none (a VPC, a proxy cluster, tags): the project's tests meet the
published shapes, not a subset of them. The tests hold the simulator to this: every
answer it sends in the suite is validated against the contract with all documented
fields required (tests/contract).

Times use the three published forms: ``createTime`` and the windows
``2026-01-13T05:58:34Z``; the tenant list's ``gmtCreate`` ``2021-09-20 12:00:00``;
describe's ``gmtCreate`` ``2025-06-02 22:12:10.0``. The simulator's local time, the
zone of the zone-less forms, is UTC.

The tenant list carries each tenant's ``tenantConnections`` empty: an address is
worked out (and its MySQL listener started) by describe, for one tenant at a time.
"""

from __future__ import annotations

import time
import zlib
from typing import Any

from ob_async.simulator._fixture import BackupSetSpec
from ob_async.simulator._world import Instance, Tenant, wire_time

ADDRESS_ONLINE = "ONLINE"
ADDRESS_CREATING = "CREATING"
_GIB = 1 << 30
_VPC = "vpc-simulator"
_PROXY_CLUSTER = "proxy-simulator"


def list_time(moment: float) -> str:
    """``2021-09-20 12:00:00``: the tenant list's ``gmtCreate`` form (local time: UTC)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(moment))


def detail_time(moment: float) -> str:
    """``2025-06-02 22:12:10.0``: the form the address pages show for ``gmtCreate``."""
    return list_time(moment) + ".0"


def region_of(zone: str) -> str:
    """``cn-shanghai-e`` → ``cn-shanghai``: a zone's region, by the published naming."""
    head, dash, _ = zone.rpartition("-")
    return head if dash and head else zone


def tenant(item: Tenant, *, gmt_create: str, connections: list[dict[str, Any]]) -> dict[str, Any]:
    """A ``TenantDTO``."""
    used_cpu = item.cpu_total if item.status == "ONLINE" else 0
    return {
        "tenantId": item.tenant_id,
        "ocpTenantId": zlib.crc32(item.tenant_id.encode()),
        "tenantName": item.tenant_name,
        "managementMode": "DBaaS",
        "gmtCreate": gmt_create,
        "createTime": wire_time(item.create_time),
        "tenantMode": item.tenant_mode,
        "primaryRegion": region_of(item.primary_zone),
        "primaryZone": item.primary_zone,
        "status": item.status,
        "cpu": item.cpu_total,
        "mem": item.memory_total,
        "unitCpu": item.cpu,
        "unitMem": item.memory,
        "unitNum": item.unit_num,
        "vpcId": _VPC,
        "deployType": "multiple",
        "description": item.description,
        "tenantConnections": connections,
        "tenantZones": [
            {
                "name": item.primary_zone,
                "replicaType": "FULL",
                "region": region_of(item.primary_zone),
                "role": "READWRITE",
            }
        ],
        "tenantResource": {
            "cpu": {
                "totalCpu": float(item.cpu_total),
                "usedCpu": float(used_cpu),
                "unitCpu": float(item.cpu),
            },
            "memory": {
                "totalMemory": float(item.memory_total),
                "usedMemory": float(item.memory_total) / 2,
                "unitMemory": float(item.memory),
            },
            "disk": {"totalDiskSize": float(item.disk), "usedDiskSize": float(item.used_disk)},
            "unitNum": item.unit_num,
        },
        "enableBinlogService": False,
        "readonlyConnectionAddable": "false",
        "timeZone": "+00:00",
        "charset": "utf8mb4",
        "lowerCaseTableNamesParam": 1,
        "tagList": [{"tagKey": "source", "tagValue": "ob-async-simulator"}],
        "tenantCompatibilityMode": item.tenant_mode,
        "dataMergeTime": "02:00",
        "enableProxyPublicLink": False,
    }


def listed_tenant(item: Tenant) -> dict[str, Any]:
    """An entry of the tenant list's ``dataList``: a ``TenantDTO``."""
    return tenant(item, gmt_create=list_time(item.create_time), connections=[])


def described_tenant(item: Tenant, connections: list[dict[str, Any]]) -> dict[str, Any]:
    """Describe tenant's ``data``: a ``TenantDTO`` with its connections."""
    return tenant(item, gmt_create=detail_time(item.create_time), connections=connections)


def address_id(item: Tenant) -> str:
    """The one address of a simulated tenant (both networks reach its listener)."""
    return f"addr-{item.tenant_id}-obproxy"


def connection(item: Tenant, endpoint: tuple[str, int] | None, *, use_ssl: bool) -> dict[str, Any]:
    """A ``TenantConnectionDTO``: no host and status CREATING until the address is ready."""
    host, port = endpoint if endpoint is not None else (None, None)
    status = ADDRESS_ONLINE if endpoint is not None else ADDRESS_CREATING
    return {
        "tenantId": item.tenant_id,
        "vpcId": _VPC,
        "userVpcOwnerId": "simulator",
        "addressId": address_id(item),
        "serviceType": "OBPROXY_INTRANET",
        "addressType": "MASTER",
        "networkType": "intranet",
        "role": "READWRITE",
        "intranetAddress": host,
        "intranetPort": port,
        "intranetDomain": host,
        "intranetAddressStatus": status,
        "internetAddress": host,
        "internetPort": port,
        "internetDomain": host,
        "internetAddressStatus": status,
        "intranetPeeringAddress": "",
        "intranetPeeringPort": 0,
        "intranetPeeringDomain": "",
        "intranetPeeringAddressStatus": "CLOSED",
        "intranetAddressMasterZoneId": item.primary_zone,
        "intranetAddressSlaveZoneId": "",
        "connectionZones": [item.primary_zone],
        "addressStatus": status,
        "userNameFormat": "USER",
        "privateLinkList": [],
        "peeringDstVpcId": "",
        "peeringDstCidrList": "",
        "peeringId": "",
        "useSSL": use_ssl,
        "proxyClusterId": _PROXY_CLUSTER,
        "maxConnectionNum": 5000,
        "internetMaxConnectionNum": 5000,
        "intranetPeeringMaxConnectionNum": 0,
        "enableRPc": False,
        "intranetRpcPort": 0,
        "internetRpcPort": 0,
        "proxyClusterInfo": {
            "proxyClusterId": _PROXY_CLUSTER,
            "proxyMode": "SHARED",
            "zone": item.primary_zone,
            "unitSpec": "2C4G",
            "unitNum": 1,
            "unitNumLimit": 8,
            "status": "ONLINE",
            "proxyServiceVersion": "4.3.0",
            "proxyVersion": "4.3.0",
            "createTime": wire_time(item.create_time),
            "expireTime": "",
        },
        "vswitchId": "vsw-simulator",
    }


def deleted_tenant(item: Tenant) -> dict[str, Any]:
    """What delete answers: a ``SimpleTenantResponse``."""
    return {"tenantId": item.tenant_id, "jobKey": f"delete-{item.tenant_id}"}


def restorable_tenant(item: Tenant, now: float) -> dict[str, Any]:
    """An entry of the restorable tenants' ``data``."""
    return {
        "tenantId": item.tenant_id,
        "tenantName": item.tenant_name,
        "tenantMode": item.tenant_mode,
        "status": item.status,
        "obVersion": item.ob_version,
        "cpuNum": item.cpu,
        "memoryNum": item.memory,
        "unitNum": item.unit_num,
        "usedDisk": int(item.used_disk * _GIB),
        # The entries' fields are not published (x-unknown): the simulator's own.
        "backupSetRestoreSummaries": [
            {
                "backupSetId": backup_set.backup_set_id,
                "backupMode": backup_set.backup_mode,
                "status": backup_set.status,
                "startTime": wire_time(backup_set.start.resolve(now)),
                "endTime": wire_time(backup_set.end.resolve(now)),
            }
            for backup_set in item.backup_sets
        ],
        "timeIntervalList": [
            {
                "startTime": wire_time(window.start.resolve(now)),
                "endTime": wire_time(window.end.resolve(now)),
                "storageType": window.storage_type,
            }
            for window in item.windows
        ],
    }


def backup_set(item: Tenant, spec: BackupSetSpec, now: float) -> dict[str, Any]:
    """An entry of the backup-set list's ``dataList``."""
    end = wire_time(spec.end.resolve(now))
    return {
        "backupSetId": spec.backup_set_id,
        "backupMode": spec.backup_mode,
        "backupObjectType": spec.backup_object_type,
        "checkpoint": end,
        "dataBackupMode": "FULL_BACKUP",
        "dataBackupSize": round(item.used_disk, 3),
        "dataVersion": 1,
        "downloadEnabled": False,
        "downloadTaskId": -1,
        "status": spec.status,
        "startTime": wire_time(spec.start.resolve(now)),
        "endTime": end,
        "storageClass": "standard",
        "tenantId": item.tenant_id,
    }


def instance(item: Instance, *, created: float, project_id: str) -> dict[str, Any]:
    """Describe instance's ``data``: a ``DescribeInstanceResponseV2OpenAPI``."""
    region = region_of(item.zones[0])
    return {
        "region": region,
        "vpcId": _VPC,
        "instanceId": item.instance_id,
        "instanceName": item.name,
        "instanceClass": "8C32G",
        "series": "NORMAL",
        "payType": "POSTPAY",
        "createTime": wire_time(created),
        "expireTime": "",
        "availableZones": list(item.zones),
        "version": item.ob_version,
        "obRpmVersion": f"{item.ob_version}-simulator",
        "deployType": "multiple",
        "diskType": "cloud_essd",
        "deployMode": "-".join("1" for _ in item.zones),
        "replicaMode": "normal",
        "dataMergeTime": "02:00",
        "status": "ONLINE",
        "resource": {
            "cpu": {"totalCpu": float(item.cpu_capacity), "usedCpu": float(item.cpu_used)},
            "memory": {
                "totalMemory": float(item.memory_capacity),
                "usedMemory": float(item.memory_used),
            },
            "disk": {
                "totalDiskSize": float(item.memory_capacity * 4),
                "usedDiskSize": float(sum(t.used_disk for t in item.tenants.values())),
            },
        },
        "cloudProvider": "SIMULATOR",
        "instanceType": "CLUSTER",
        "instanceRole": "PRIMARY",
        "primaryInstanceId": "",
        "standbyInstanceIds": [],
        "saleChannel": "DIRECT",
        "managementMode": "DBaaS",
        "tagList": [{"tagKey": "source", "tagValue": "ob-async-simulator"}],
        "nodeNum": len(item.zones),
        "cpuArchitecture": "X86",
        "projectId": project_id,
        "stopTime": "",
    }
