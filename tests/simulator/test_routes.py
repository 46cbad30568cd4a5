"""Lifecycle, read routes, envelopes, delete, project header, unknown routes, stats."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from unittest import mock

import aiohttp
import pytest
from aiohttp.test_utils import make_mocked_request

from ob_async.simulator import ManualClock, Simulator, SimulatorConfig
from ob_async.simulator._fixture import parse_fixture
from ob_async.simulator._world import wire_time
from tests.support.contract import schema

from ._helpers import ApiClient, raw_call, restore_body

TENANT_KEYS = set(schema("TenantDTO")["properties"])
"""The contract's TenantDTO: the list and describe answer every documented field."""


async def describe(api: ApiClient, instance: str, tenant_id: str) -> dict[str, Any]:
    reply = await api.call("GET", f"/api/v2/instances/{instance}/tenants/{tenant_id}")
    assert reply.status == 200, reply.text
    data: dict[str, Any] = reply.json["data"]
    return data


async def test_restore_lifecycle_on_schedule(
    api: ApiClient, sim: Simulator, clock: ManualClock
) -> None:
    reply = await api.restore(restore_body("t_life", targetTenantDescription="drill 7"))
    assert reply.status == 200, reply.text
    created = sim.tenants("ob-dr-east")[-1]
    assert created["status"] == "RESTORING"
    detail = await describe(api, "ob-dr-east", created["tenantId"])
    assert set(detail) == TENANT_KEYS
    assert detail["description"] == "drill 7"
    assert detail["createTime"] == wire_time(clock.time())
    assert detail["primaryZone"] == "cn-shanghai-e"
    assert (detail["unitCpu"], detail["unitMem"], detail["unitNum"]) == (1, 4, 1)
    assert detail["tenantResource"]["cpu"]["unitCpu"] == 1.0
    assert detail["tenantResource"]["memory"]["totalMemory"] == 4.0
    assert detail["tenantResource"]["disk"]["totalDiskSize"] == 64.0
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.0", detail["gmtCreate"])
    [connection] = detail["tenantConnections"]
    assert connection["addressStatus"] == "CREATING"
    assert connection["intranetAddress"] is None
    clock.advance(59)
    assert (await describe(api, "ob-dr-east", created["tenantId"]))["status"] == "RESTORING"
    clock.advance(2)
    detail = await describe(api, "ob-dr-east", created["tenantId"])
    assert detail["status"] == "ONLINE"
    [connection] = detail["tenantConnections"]
    assert connection["addressStatus"] == "ONLINE"
    assert connection["intranetAddress"] == "127.0.0.1"
    assert connection["intranetPort"] > 0
    assert sim.stats()["tenantStatusesByInstance"]["ob-dr-east"] == {"ONLINE": 2}


async def test_failure_rate_one_and_configured_statuses(session: aiohttp.ClientSession) -> None:
    clock = ManualClock()
    async with Simulator(
        clock=clock,
        restore_seconds="1-3",
        failure_rate=1.0,
        restoring_status="RESTORE",
        failed_status="FAILED",
    ) as sim:
        api = ApiClient(session, sim)
        for number in range(20):
            assert (await api.restore(restore_body(f"t_f{number}"))).status == 200
        clock.advance(0.9)
        assert sim.stats()["tenantStatusesByInstance"]["ob-dr-east"] == {
            "ONLINE": 1,
            "RESTORE": 20,
        }
        clock.advance(2.2)
        assert sim.stats()["tenantStatusesByInstance"]["ob-dr-east"] == {
            "ONLINE": 1,
            "FAILED": 20,
        }


async def test_restore_in_real_time(session: aiohttp.ClientSession) -> None:
    async with Simulator(restore_seconds=0.2) as sim:
        api = ApiClient(session, sim)
        assert (await api.restore(restore_body("t_real"))).status == 200
        tenant_id = sim.tenants("ob-dr-east")[-1]["tenantId"]
        assert (await describe(api, "ob-dr-east", tenant_id))["status"] == "RESTORING"
        for _ in range(100):
            if (await describe(api, "ob-dr-east", tenant_id))["status"] == "ONLINE":
                break
            await asyncio.sleep(0.05)
        assert (await describe(api, "ob-dr-east", tenant_id))["status"] == "ONLINE"


SMALL = {
    "instances": [
        {
            "id": "src",
            "zones": ["z"],
            "cpu": 8,
            "memory": 32,
            "tenants": [
                {
                    "id": "ts",
                    "name": "source",
                    "cpu": 2,
                    "memory": 8,
                    "windows": [{"start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z"}],
                }
            ],
        },
        {"id": "dst", "zones": ["z"], "cpu": 4, "memory": 16},
    ]
}


def small_body(name: str) -> dict[str, Any]:
    return restore_body(
        name,
        sourceInstanceId="src",
        sourceTenantId="ts",
        targetInstanceId="dst",
        targetTenantPrimaryZone="z",
        tenantResource={"cpu": 4, "memory": 16, "unitNum": 1},
    )


async def test_delete_removes_and_frees_capacity(session: aiohttp.ClientSession) -> None:
    async with Simulator(fixture=parse_fixture(SMALL)) as sim:
        api = ApiClient(session, sim)
        assert (await api.restore(small_body("first"))).status == 200
        full = await api.restore(small_body("second"))
        assert full.status == 409
        assert full.json["errorCode"] == "InsufficientCapacity"
        [first] = sim.tenants("dst")
        path = f"/api/v2/instances/dst/tenants/{first['tenantId']}"
        deleted = await api.call("DELETE", path)
        assert deleted.status == 200
        assert deleted.json["data"]["tenantId"] == first["tenantId"]
        assert set(deleted.json["data"]) == set(schema("SimpleTenantResponse")["properties"])
        assert sim.tenants("dst") == []
        gone = await api.call("GET", path)
        assert gone.status == 404
        assert gone.json["errorCode"] == "TenantNotFound"
        assert (await api.call("DELETE", path)).json["errorCode"] == "TenantNotFound"
        assert (await api.restore(small_body("second"))).status == 200
        assert (await api.restore(small_body("first"))).status == 409
        assert sim.stats()["deletes"] == 1


async def test_tenant_list_paging_and_fuzzy_name(api: ApiClient, sim: Simulator) -> None:
    base = "/api/v2/instances/ob-prod-sh/tenants"
    default = await api.call("GET", base)
    assert default.status == 200
    envelope = default.json
    assert envelope["totalCount"] == envelope["data"]["total"] == 12
    assert len(envelope["data"]["dataList"]) == 10
    assert set(envelope["data"]["dataList"][0]) == TENANT_KEYS
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", envelope["data"]["dataList"][0]["gmtCreate"]
    )
    pages = []
    for number in (1, 2, 3, 4):
        reply = await api.call("GET", f"{base}?pageNumber={number}&pageSize=5")
        pages.append([t["tenantName"] for t in reply.json["data"]["dataList"]])
    assert [len(page) for page in pages] == [5, 5, 2, 0]
    assert len({name for page in pages for name in page}) == 12
    fuzzy = await api.call("GET", f"{base}?tenantName=PAY")
    assert [t["tenantName"] for t in fuzzy.json["data"]["dataList"]] == ["sh_payments"]
    assert fuzzy.json["totalCount"] == 1
    assert sim.stats()["listCalls"] == {"ob-prod-sh": 6}


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("pageNumber=0", "pageNumber"),
        ("pageNumber=abc", "pageNumber"),
        ("pageNumber=-1", "pageNumber"),
        ("pageSize=0", "pageSize"),
        ("pageSize=101", "pageSize"),
        ("pageSize=1.5", "pageSize"),
    ],
)
async def test_bad_paging_is_refused(api: ApiClient, query: str, named: str) -> None:
    reply = await api.call("GET", f"/api/v2/instances/obxxx/tenants?{query}")
    assert reply.status == 400
    assert reply.json["errorCode"] == "InvalidParameterValue"
    assert named in reply.json["errorMessage"]


async def test_unknown_instance_and_tenant(api: ApiClient) -> None:
    for path, code in (
        ("/api/v2/instances/ob-nowhere/tenants", "InstanceNotFound"),
        ("/api/v2/instances/ob-nowhere/tenants/txxx", "InstanceNotFound"),
        ("/api/v2/instances/obxxx/tenants/tnone", "TenantNotFound"),
        ("/api/v2/instances/ob-nowhere/backup/data/sets", "InstanceNotFound"),
        ("/api/v2/instances/ob-nowhere/backup/restore/tenants", "InstanceNotFound"),
    ):
        reply = await api.call("GET", path)
        assert reply.status == 404, path
        assert reply.json["errorCode"] == code


async def test_success_envelope(api: ApiClient, sim: Simulator) -> None:
    reply = await api.call("GET", "/api/v2/instances/obxxx/tenants/txxx?requestId=trace-9")
    envelope = reply.json
    assert set(envelope) == {"success", "data", "requestId", "server", "cost"}
    assert envelope["success"] is True
    assert envelope["requestId"] == "trace-9"
    assert envelope["server"] == f"127.0.0.1:{sim.port}"
    assert isinstance(envelope["cost"], int)
    generated = (await api.call("GET", "/api/v2/instances/obxxx/tenants/txxx")).json
    assert re.fullmatch(r"[0-9a-f-]{36}", generated["requestId"])
    assert sim.stats()["describeCalls"] == 2


async def test_project_header_is_required(api: ApiClient) -> None:
    for project in (None, "  "):
        reply = await api.call("GET", "/api/v2/instances/obxxx/tenants", project=project)
        assert reply.status == 400
        assert reply.json["errorCode"] == "MissingProjectId"
        assert "X-Ob-Project-Id" in reply.json["errorMessage"]


async def test_unknown_routes(session: aiohttp.ClientSession, sim: Simulator) -> None:
    reply = await raw_call(session, sim, "GET", "/api/v2/instances/obxxx/nothing?requestId=q")
    assert reply.status == 404
    assert reply.json == {
        "success": False,
        "errorCode": "NotFound",
        "errorMessage": "no route for GET /api/v2/instances/obxxx/nothing",
        "requestId": "q",
    }
    wrong_method = await raw_call(session, sim, "PUT", "/api/v2/instances/obxxx/tenants/txxx")
    assert wrong_method.status == 405
    assert wrong_method.json["errorCode"] == "MethodNotAllowed"
    assert sim.stats()["requestsByRoute"]["unknown"] == 2


async def test_restorable_tenants(api: ApiClient) -> None:
    base = "/api/v2/instances/obxxx/backup/restore/tenants"
    reply = await api.call("GET", base)
    data = reply.json["data"]
    assert [t["tenantId"] for t in data] == ["txxx", "tyyy", "tzzz"]
    assert reply.json["totalCount"] == 3
    txxx = data[0]
    assert {"obVersion", "cpuNum", "memoryNum", "usedDisk", "backupSetRestoreSummaries"} <= set(
        txxx
    )
    assert {"startTime": "2026-01-01T00:00:00Z", "endTime": "2026-01-31T23:59:59Z"}.items() <= (
        txxx["timeIntervalList"][0].items()
    )
    only = await api.call("GET", f"{base}?tenantId=tyyy&restoreObjectType=tenant&fromRemote=false")
    assert [t["tenantId"] for t in only.json["data"]] == ["tyyy"]
    by_set = await api.call("GET", f"{base}?backupSetId=10202")
    assert [t["tenantId"] for t in by_set.json["data"]] == ["tzzz"]
    for query, named in (
        ("restoreObjectType=schema", "restoreObjectType"),
        ("fromRemote=yes", "fromRemote"),
    ):
        bad = await api.call("GET", f"{base}?{query}")
        assert bad.status == 400
        assert named in bad.json["errorMessage"]


async def test_backup_sets(api: ApiClient) -> None:
    base = "/api/v2/instances/obxxx/backup/data/sets"
    everything = (await api.call("GET", f"{base}?pageSize=100")).json
    assert everything["data"]["total"] == everything["totalCount"] == 9
    starts = [item["startTime"] for item in everything["data"]["dataList"]]
    assert starts == sorted(starts, reverse=True)
    first = everything["data"]["dataList"][0]
    assert set(first) == set(schema("BackupSet")["properties"])
    day = (
        await api.call("GET", f"{base}?startTime=2026-01-13T00:00:00Z&endTime=2026-01-13T23:59:59Z")
    ).json
    assert day["data"]["total"] == 3
    assert {item["backupSetId"] for item in day["data"]["dataList"]} == {"10002", "10102", "10202"}
    page = (await api.call("GET", f"{base}?pageSize=4&pageNumber=3")).json
    assert len(page["data"]["dataList"]) == 1
    bad = await api.call("GET", f"{base}?startTime=2026-01-13")
    assert bad.status == 400
    assert "startTime" in bad.json["errorMessage"]


async def test_stats_page_matches_and_is_loopback_only(
    session: aiohttp.ClientSession, api: ApiClient, sim: Simulator
) -> None:
    await api.call("GET", "/api/v2/instances/obxxx/tenants")
    async with session.get(sim.url + "/_simulator/stats") as response:
        assert response.status == 200
        served = await response.json()
    local = sim.stats()
    assert served["tenantsByInstance"] == local["tenantsByInstance"]
    assert served["challengesIssued"] == local["challengesIssued"] == 1
    assert served["listCalls"] == {"obxxx": 1}
    assert local["requestsByRoute"]["stats"] == 1

    transport = mock.Mock()
    transport.get_extra_info.return_value = ("10.1.2.3", 50000)
    remote = make_mocked_request("GET", "/_simulator/stats", transport=transport)
    refused = await sim.application.stats_page(remote)
    assert refused.status == 403
    assert b'"errorCode":"Forbidden"' in refused.body  # type: ignore[operator]


def test_ground_truth_of_an_unknown_instance_is_an_error() -> None:
    with pytest.raises(KeyError, match="ob-nowhere"):
        Simulator().tenants("ob-nowhere")


async def test_options_override_a_config(session: aiohttp.ClientSession) -> None:
    base = SimulatorConfig(restore_seconds=5, digest_algorithms="MD5")
    async with Simulator(base, digest_algorithms="SHA-256", failure_rate=0.5) as sim:
        assert sim.config.restore_seconds == (5.0, 5.0)
        assert sim.config.digest_algorithms == ("SHA-256",)
        assert sim.config.failure_rate == 0.5
        assert sim.url == f"http://127.0.0.1:{sim.port}"
        challenge = await raw_call(session, sim, "GET", "/api/v2/instances/obxxx/tenants")
        assert [c["algorithm"] for c in challenge.challenges] == ["SHA-256"]


async def test_stats_is_plain_json_data(api: ApiClient, sim: Simulator) -> None:
    await api.call("GET", "/api/v2/instances/ob-nowhere/tenants")
    stats = sim.stats()
    assert json.loads(json.dumps(stats)) == stats
    assert all(type(key) is str for key in stats["refusals"])
