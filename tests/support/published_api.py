"""A small API server that answers in the published shapes, independent of ob_async.simulator.

Its documents are written here from the contract (contract/openapi.yaml), every
documented field present, with the nested shapes the provider's schemas have:
``tenantResource.cpu`` an object of numbers, ``tenantZones`` of ``TenantZoneDTO``,
``tenantConnections`` of ``TenantConnectionDTO``, ``gmtCreate`` without a zone. The
tests check each document against the contract, so a client that meets this server
meets the real API's shapes, whatever our own simulator says.

It checks the restore body against the contract's ``RestoreRequest`` (strictly, as a
write), can lose the answers to the first POSTs after acting on them, and counts the
tenants it creates and the POSTs it receives. No authentication: the digest engine has
servers of its own (tests/digest).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import attrs
from aiohttp import web
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.support.contract import contract

SOURCE_INSTANCE = "ob-src"
SOURCE_TENANT = "t-src"
TARGET_INSTANCE = "ob-dr"
ZONES = ("ap-southeast-1a", "ap-southeast-1b")


def iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def validator(name: str) -> Draft202012Validator:
    """A validator of the contract's schema ``name``."""
    registry: Registry[Any] = Registry().with_resource(
        "urn:contract", Resource.from_contents(contract(), default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"urn:contract#/components/schemas/{name}"}, registry=registry
    )


@attrs.define
class PublishedTenant:
    tenant_id: str
    name: str
    description: str
    zone: str
    created: float
    status: str = "RESTORING"

    def document(self) -> dict[str, Any]:
        """A ``TenantDTO`` with every documented field."""
        return {
            "tenantId": self.tenant_id,
            "ocpTenantId": 1000 + int(self.tenant_id.removeprefix("t")),
            "tenantName": self.name,
            "managementMode": "DBaaS",
            "gmtCreate": time.strftime("%Y-%m-%d %H:%M:%S.0", time.gmtime(self.created)),
            "createTime": iso(self.created),
            "tenantMode": "MySQL",
            "primaryRegion": "ap-southeast-1",
            "primaryZone": self.zone,
            "status": self.status,
            "cpu": 2,
            "mem": 8,
            "unitCpu": 2,
            "unitMem": 8,
            "unitNum": 1,
            "vpcId": "vpc-1",
            "deployType": "multiple",
            "description": self.description,
            "tenantConnections": [
                {
                    "tenantId": self.tenant_id,
                    "vpcId": "vpc-1",
                    "userVpcOwnerId": "owner-1",
                    "addressId": f"rs-{self.tenant_id}-OBPROXY-INTRANET",
                    "serviceType": "OBPROXY_INTRANET",
                    "addressType": "MASTER",
                    "networkType": "intranet",
                    "role": "READWRITE",
                    "intranetAddress": "10.0.0.7",
                    "intranetPort": 3306,
                    "intranetDomain": f"{self.tenant_id}.intra.example",
                    "intranetAddressStatus": "ONLINE",
                    "internetAddress": "",
                    "internetPort": 0,
                    "internetDomain": "",
                    "internetAddressStatus": "CLOSED",
                    "intranetPeeringAddress": "",
                    "intranetPeeringPort": 0,
                    "intranetPeeringDomain": "",
                    "intranetPeeringAddressStatus": "CLOSED",
                    "intranetAddressMasterZoneId": self.zone,
                    "intranetAddressSlaveZoneId": "",
                    "connectionZones": [self.zone],
                    "addressStatus": "ONLINE",
                    "userNameFormat": "USER",
                    "privateLinkList": [
                        {
                            "privateLinkEndpointId": "ep-1",
                            "intranetAddress": "10.0.0.8",
                            "privateLinkStatus": "CLOSED",
                            "privateLinkDomain": "",
                            "privateLinkServiceId": "svc-1",
                            "intranetDomain": "",
                            "privateLinkServiceAccount": "",
                            "privateLinkUserAccount": "",
                        }
                    ],
                    "peeringDstVpcId": "",
                    "peeringDstCidrList": "",
                    "peeringId": "",
                    "useSSL": False,
                    "proxyClusterId": "pxy-1",
                    "maxConnectionNum": 5000,
                    "internetMaxConnectionNum": 0,
                    "intranetPeeringMaxConnectionNum": 0,
                    "enableRPc": False,
                    "intranetRpcPort": 2882,
                    "internetRpcPort": 0,
                    "proxyClusterInfo": {
                        "proxyClusterId": "pxy-1",
                        "proxyMode": "SHARED",
                        "zone": self.zone,
                        "unitSpec": "2C4G",
                        "unitNum": 1,
                        "unitNumLimit": 4,
                        "status": "ONLINE",
                        "proxyServiceVersion": "4.3.2",
                        "proxyVersion": "4.3.2",
                        "createTime": "2025-06-02 22:12:10.0",
                        "expireTime": "",
                    },
                    "vswitchId": "vsw-1",
                }
            ],
            "tenantZones": [
                {"name": zone, "replicaType": "FULL", "region": "ap-southeast-1", "role": role}
                for zone, role in zip(ZONES, ("LEADER", "FOLLOWER"), strict=True)
            ],
            "tenantResource": {
                "cpu": {"totalCpu": 2.0, "usedCpu": 0.4, "unitCpu": 2.0},
                "memory": {"totalMemory": 8.0, "usedMemory": 3.1, "unitMemory": 8.0},
                "disk": {"totalDiskSize": 100.0, "usedDiskSize": 1.5},
                "unitNum": 1,
            },
            "enableBinlogService": False,
            "readonlyConnectionAddable": "true",
            "timeZone": "+08:00",
            "charset": "utf8mb4",
            "lowerCaseTableNamesParam": 1,
            "tagList": [{"tagKey": "env", "tagValue": "dr"}],
            "tenantCompatibilityMode": "MySQL",
            "dataMergeTime": "02:00",
            "enableProxyPublicLink": False,
        }


def instance_document(instance_id: str) -> dict[str, Any]:
    """A ``DescribeInstanceResponseV2OpenAPI`` with every documented field."""
    return {
        "region": "ap-southeast-1",
        "vpcId": "vpc-1",
        "instanceId": instance_id,
        "instanceName": "dr",
        "instanceClass": "8C32G",
        "series": "NORMAL",
        "payType": "POSTPAY",
        "createTime": "2023-08-28T08:30:54Z",
        "expireTime": "",
        "availableZones": list(ZONES),
        "version": "4.2.3",
        "obRpmVersion": "4.2.3.0-100000232024042317",
        "deployType": "multiple",
        "diskType": "cloud_essd",
        "deployMode": "1-1",
        "replicaMode": "normal",
        "dataMergeTime": "18:00Z",
        "status": "ONLINE",
        "resource": {
            "cpu": {"totalCpu": 16.0, "usedCpu": 2.0},
            "memory": {"totalMemory": 64.0, "usedMemory": 8.0},
            "disk": {"totalDiskSize": 500.0, "usedDiskSize": 20.0},
        },
        "cloudProvider": "AWS",
        "instanceType": "CLUSTER",
        "instanceRole": "PRIMARY",
        "primaryInstanceId": "",
        "standbyInstanceIds": [],
        "saleChannel": "DIRECT",
        "managementMode": "DBaaS",
        "tagList": [],
        "nodeNum": 2,
        "cpuArchitecture": "X86",
        "projectId": "p1",
        "stopTime": "",
    }


def restorable_document(now: float) -> list[dict[str, Any]]:
    """The restorable tenants' ``data``: the source tenant, with a window up to now."""
    return [
        {
            "tenantId": SOURCE_TENANT,
            "tenantName": "src",
            "tenantMode": "MySQL",
            "status": "ONLINE",
            "obVersion": "4.2.3.0",
            "cpuNum": 2,
            "memoryNum": 8,
            "unitNum": 1,
            "usedDisk": 154306565146,
            "backupSetRestoreSummaries": [],
            "timeIntervalList": [
                {"startTime": iso(now - 86400), "endTime": iso(now - 60), "storageType": "standard"}
            ],
        }
    ]


class PublishedApi:
    """The server; ``lose_answers`` POSTs are acted on and their answers lost."""

    def __init__(self, *, lose_answers: int = 0) -> None:
        self.lose_answers = lose_answers
        self.tenants: dict[str, PublishedTenant] = {}
        self.posts = 0
        self.url = ""
        self._ids = itertools.count(1)
        self._restore_body = validator("RestoreRequest")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[PublishedApi]:
        app = web.Application()
        base = "/api/v2/instances/{instanceId}"
        app.router.add_post(f"{base}/backup/restore", self.restore)
        app.router.add_get(f"{base}/backup/restore/tenants", self.restorable)
        app.router.add_get(f"{base}/tenants", self.list_tenants)
        app.router.add_get(f"{base}/tenants/{{tenantId}}", self.describe_tenant)
        app.router.add_get(base, self.describe_instance)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        try:
            yield self
        finally:
            await runner.cleanup()

    @staticmethod
    def ok(request: web.Request, data: Any, **extra: Any) -> web.Response:
        envelope = {
            "success": True,
            "data": data,
            "requestId": request.query.get("requestId", ""),
            "server": "10.1.2.3:8080",
            "cost": 3,
            **extra,
        }
        return web.json_response(envelope)

    @staticmethod
    def refuse(request: web.Request, status: int, code: str, message: str) -> web.Response:
        body = {
            "success": False,
            "errorCode": code,
            "errorMessage": message,
            "requestId": request.query.get("requestId", ""),
        }
        return web.json_response(body, status=status)

    async def restore(self, request: web.Request) -> web.StreamResponse:
        self.posts += 1
        body = json.loads(await request.read())
        problems = [error.message for error in self._restore_body.iter_errors(body)]
        if problems or not request.headers.get("X-Ob-Project-Id"):
            return self.refuse(request, 400, "InvalidParameter", "; ".join(problems))
        name = body["targetTenantName"]
        if any(tenant.name == name for tenant in self.tenants.values()):
            return self.refuse(request, 409, "TenantNameConflict", f"{name} exists")
        tenant_id = f"t{next(self._ids)}"
        self.tenants[tenant_id] = PublishedTenant(
            tenant_id=tenant_id,
            name=name,
            description=body["targetTenantDescription"],
            zone=body["targetTenantPrimaryZone"],
            created=time.time(),
        )
        if self.lose_answers > 0:
            self.lose_answers -= 1
            assert request.transport is not None
            request.transport.abort()  # acted on, answer lost
        return self.ok(request, {})

    async def restorable(self, request: web.Request) -> web.Response:
        return self.ok(request, restorable_document(time.time()), totalCount=1)

    async def list_tenants(self, request: web.Request) -> web.Response:
        name = request.query.get("tenantName", "")
        number = int(request.query.get("pageNumber", "1"))
        size = int(request.query.get("pageSize", "10"))
        found = [t for t in self.tenants.values() if name.lower() in t.name.lower()]
        page = found[(number - 1) * size : number * size]
        data = {
            "dataList": [tenant.document() for tenant in page],
            "total": len(found),
            "hasMore": number * size < len(found),
        }
        return self.ok(request, data, totalCount=len(found))

    async def describe_tenant(self, request: web.Request) -> web.Response:
        tenant = self.tenants.get(request.match_info["tenantId"])
        if tenant is None:
            return self.refuse(request, 404, "TenantNotFound", "no such tenant")
        return self.ok(request, tenant.document())

    async def describe_instance(self, request: web.Request) -> web.Response:
        return self.ok(request, instance_document(request.match_info["instanceId"]))
