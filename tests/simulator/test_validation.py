"""Every refusal of the restore POST: its status, errorCode, and a message naming the field."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from ob_async.simulator import ManualClock, Simulator
from ob_async.simulator._validation import REQUIRED_FIELDS
from ob_async.simulator._world import wire_time

from ._helpers import RESTORE_PATH, ApiClient, Reply, restore_body, seed_body


def assert_refused(reply: Reply, status: int, code: str, *named: str) -> None:
    assert reply.status == status, reply.text
    assert reply.headers["Content-Type"].startswith("application/json")
    envelope = reply.json
    assert set(envelope) == {"success", "errorCode", "errorMessage", "requestId"}
    assert envelope["success"] is False
    assert envelope["errorCode"] == code, envelope
    for name in named:
        assert name in envelope["errorMessage"], envelope["errorMessage"]


async def test_the_seed_body_is_accepted(api: ApiClient, sim: Simulator) -> None:
    reply = await api.restore(seed_body(), request_id="seed-1")
    assert reply.status == 200, reply.text
    assert reply.json["data"] == {}
    assert reply.json["requestId"] == "seed-1"
    assert [t["tenantName"] for t in sim.tenants("obxxx")][-1] == "RestoredTenant001"


async def test_body_not_json(api: ApiClient) -> None:
    uri = RESTORE_PATH.format(instance="obxxx") + "?requestId=r"
    reply = await api.call(
        "POST", uri, raw=b'{"sourceInstanceId": ', headers={"Content-Type": "application/json"}
    )
    assert_refused(reply, 400, "InvalidJson", "not valid JSON")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        (b'{"a": "\xff"}', "not UTF-8"),
        (b'{"a": NaN', "not valid JSON"),
    ],
)
async def test_bodies_that_are_not_json_are_named_so(
    api: ApiClient, raw: bytes, message: str
) -> None:
    uri = RESTORE_PATH.format(instance="obxxx") + "?requestId=r"
    reply = await api.call("POST", uri, raw=raw, headers={"Content-Type": "application/json"})
    assert_refused(reply, 400, "InvalidJson", message)


async def test_json_the_standard_library_reads_is_read_too(api: ApiClient) -> None:
    # NaN and 1e400 are no JSON numbers, but Python's json reads them; the body gets
    # as far as field validation, which names the fields, not a JSON error.
    uri = RESTORE_PATH.format(instance="obxxx") + "?requestId=r"
    body = b'{"tenantResource": {"cpu": NaN, "memory": 1e400, "unitNum": 1}}'
    reply = await api.call("POST", uri, raw=body, headers={"Content-Type": "application/json"})
    assert reply.json["errorCode"] != "InvalidJson", reply.text


async def test_body_not_an_object(api: ApiClient) -> None:
    uri = RESTORE_PATH.format(instance="obxxx") + "?requestId=r"
    reply = await api.call("POST", uri, raw=b"[1, 2]", headers={"Content-Type": "application/json"})
    assert_refused(reply, 400, "InvalidBody", "JSON object", "array")


@pytest.mark.parametrize("field", REQUIRED_FIELDS)
async def test_each_missing_required_field(api: ApiClient, field: str) -> None:
    body = seed_body()
    del body[field]
    assert_refused(await api.restore(body), 400, "MissingParameter", field)


async def test_null_counts_as_missing(api: ApiClient) -> None:
    body = seed_body()
    body["targetTenantName"] = None
    assert_refused(await api.restore(body), 400, "MissingParameter", "targetTenantName")


@pytest.mark.parametrize("key", ["cpu", "memory", "unitNum"])
async def test_each_missing_resource(api: ApiClient, key: str) -> None:
    resources = {"cpu": 1, "memory": 4, "unitNum": 1}
    del resources[key]
    reply = await api.restore(seed_body(tenantResource=resources))
    assert_refused(reply, 400, "MissingParameter", f"tenantResource.{key}")


async def test_unitnum_spelling_of_the_seed_table_is_accepted(
    api: ApiClient, sim: Simulator
) -> None:
    reply = await api.restore(seed_body(tenantResource={"cpu": 2, "memory": 8, "unitnum": 3}))
    assert reply.status == 200, reply.text
    created = sim.tenants("obxxx")[-1]
    assert created["tenantResource"]["unitNum"] == 3


async def test_disagreeing_unit_spellings_are_refused(api: ApiClient) -> None:
    resources = {"cpu": 1, "memory": 4, "unitNum": 1, "unitnum": 2}
    reply = await api.restore(seed_body(tenantResource=resources))
    assert_refused(reply, 400, "InvalidParameterValue", "tenantResource.unitNum")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sourceInstanceId": 5}, "sourceInstanceId"),
        ({"targetTenantName": ["a"]}, "targetTenantName"),
        ({"targetTenantDescription": 1}, "targetTenantDescription"),
        ({"restoreTime": 1768283914}, "restoreTime"),
        ({"fromRemote": "false"}, "fromRemote"),
        ({"fromRemote": 0}, "fromRemote"),
        ({"tenantResource": [1, 4, 1]}, "tenantResource"),
        ({"tenantResource": {"cpu": "1", "memory": 4, "unitNum": 1}}, "tenantResource.cpu"),
        ({"tenantResource": {"cpu": 1, "memory": 4.5, "unitNum": 1}}, "tenantResource.memory"),
        ({"tenantResource": {"cpu": 1, "memory": 4, "unitNum": True}}, "tenantResource.unitNum"),
        ({"restoreObjects": {}}, "restoreObjects"),
        ({"restoreObjects": "db1"}, "restoreObjects"),
    ],
)
async def test_mistyped_fields(api: ApiClient, changes: dict[str, Any], field: str) -> None:
    assert_refused(await api.restore(seed_body(**changes)), 400, "InvalidParameterType", field)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tenantResource": {"cpu": 0, "memory": 4, "unitNum": 1}}, "tenantResource.cpu"),
        ({"tenantResource": {"cpu": 1, "memory": -4, "unitNum": 1}}, "tenantResource.memory"),
        ({"restoreMode": "from_snapshot"}, "restoreMode"),
        ({"restoreObjectType": "schema"}, "restoreObjectType"),
        ({"targetTenantName": "  "}, "targetTenantName"),
        ({"targetTenantName": "bad-name"}, "targetTenantName"),
        ({"sourceTenantId": ""}, "sourceTenantId"),
    ],
)
async def test_values_out_of_their_domain(
    api: ApiClient, changes: dict[str, Any], field: str
) -> None:
    assert_refused(await api.restore(seed_body(**changes)), 400, "InvalidParameterValue", field)


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-13 05:58:34",
        "2026-01-13T05:58:34+08:00",
        "2026-01-13T05:58:34.250Z",
        "2026-01-13T05:58:34",
        "2026-13-13T05:58:34Z",
        "2026-02-30T05:58:34Z",
        "\uff12\uff10\uff12\uff16-01-13T05:58:34Z",  # full-width digits
        "yesterday",
    ],
)
async def test_restore_time_must_be_utc_seconds(api: ApiClient, value: str) -> None:
    reply = await api.restore(seed_body(restoreTime=value))
    assert_refused(reply, 400, "InvalidRestoreTime", "restoreTime", value)


async def test_every_problem_is_named_and_the_most_basic_sets_the_code(api: ApiClient) -> None:
    body = seed_body(restoreMode="nope", fromRemote="no", sourceTenantId=None)
    reply = await api.restore(body)
    assert_refused(reply, 400, "MissingParameter", "sourceTenantId", "fromRemote", "restoreMode")


async def test_path_instance_must_be_the_target(api: ApiClient) -> None:
    reply = await api.restore(restore_body("t_path"), instance="obxxx")
    assert_refused(reply, 400, "InstanceIdMismatch", "instanceId", "targetInstanceId", "obxxx")


async def test_path_instance_may_be_configured_to_be_the_source(
    session: aiohttp.ClientSession,
) -> None:
    async with Simulator(path_instance="source") as sim:
        api = ApiClient(session, sim)
        assert (await api.restore(restore_body("t_src"), instance="obxxx")).status == 200
        reply = await api.restore(restore_body("t_src2"), instance="ob-dr-east")
        assert_refused(reply, 400, "InstanceIdMismatch", "sourceInstanceId")


async def test_unknown_source_instance(api: ApiClient) -> None:
    reply = await api.restore(restore_body("t1", sourceInstanceId="ob-nowhere"))
    assert_refused(reply, 404, "SourceInstanceNotFound", "sourceInstanceId", "ob-nowhere")


async def test_unknown_source_tenant(api: ApiClient) -> None:
    reply = await api.restore(restore_body("t1", sourceTenantId="tnone"))
    assert_refused(reply, 404, "SourceTenantNotFound", "sourceTenantId", "tnone")


async def test_restore_time_outside_every_window(api: ApiClient) -> None:
    reply = await api.restore(restore_body("t1", restoreTime="2025-06-01T00:00:00Z"))
    assert_refused(reply, 400, "RestoreTimeOutOfRange", "restoreTime", "txxx")


async def test_rolling_window_follows_the_clock(api: ApiClient, clock: ManualClock) -> None:
    # The built-in windows end five minutes before now.
    recent = wire_time(clock.time() - 600)
    assert (await api.restore(restore_body("t_recent", restoreTime=recent))).status == 200
    too_recent = wire_time(clock.time() - 60)
    reply = await api.restore(restore_body("t_too_recent", restoreTime=too_recent))
    assert_refused(reply, 400, "RestoreTimeOutOfRange", "restoreTime")
    clock.advance(300)
    assert (await api.restore(restore_body("t_later", restoreTime=too_recent))).status == 200


async def test_unknown_target_instance(api: ApiClient) -> None:
    reply = await api.restore(seed_body(targetInstanceId="ob-nowhere"))
    assert_refused(reply, 404, "TargetInstanceNotFound", "targetInstanceId", "ob-nowhere")


async def test_zone_not_in_the_target(api: ApiClient) -> None:
    reply = await api.restore(
        seed_body(targetInstanceId="ob-dr-west", targetTenantPrimaryZone="cn-shanghai-e")
    )
    assert_refused(reply, 400, "InvalidPrimaryZone", "targetTenantPrimaryZone", "ob-dr-west")


async def test_not_enough_capacity_left(api: ApiClient, sim: Simulator) -> None:
    big = {"cpu": 1000, "memory": 4000, "unitNum": 4}
    reply = await api.restore(restore_body("t_big", tenantResource=big))
    assert_refused(reply, 409, "InsufficientCapacity", "tenantResource", "ob-dr-east")
    assert [t["tenantName"] for t in sim.tenants("ob-dr-east")] == ["dr_sentinel"]


async def test_target_name_already_used(api: ApiClient) -> None:
    reply = await api.restore(restore_body("dr_sentinel"))
    assert_refused(reply, 409, "TenantNameConflict", "targetTenantName", "dr_sentinel")


async def test_request_id_is_required_on_the_restore(api: ApiClient, sim: Simulator) -> None:
    reply = await api.call("POST", RESTORE_PATH.format(instance="obxxx"), body=seed_body())
    assert_refused(reply, 400, "MissingParameter", "requestId")
    assert len(sim.tenants("obxxx")) == 3


async def test_body_must_be_sent_as_json(api: ApiClient) -> None:
    uri = RESTORE_PATH.format(instance="obxxx") + "?requestId=r"
    reply = await api.call("POST", uri, body=seed_body(), headers={"Content-Type": "text/plain"})
    assert_refused(reply, 415, "UnsupportedMediaType", "Content-Type", "text/plain")


async def test_oversized_body(session: aiohttp.ClientSession) -> None:
    async with Simulator(max_body_bytes=512) as sim:
        api = ApiClient(session, sim)
        body = seed_body(targetTenantDescription="x" * 1000)
        assert_refused(await api.restore(body), 413, "RequestTooLarge", "512")


async def test_no_refusal_created_anything(api: ApiClient, sim: Simulator) -> None:
    for body in (
        seed_body(sourceTenantId="tnone"),
        seed_body(restoreTime="2020-01-01T00:00:00Z"),
        seed_body(targetTenantPrimaryZone="cn-beijing-h"),
        seed_body(tenantResource={"cpu": 0, "memory": 4, "unitNum": 1}),
    ):
        assert (await api.restore(body)).status != 200
    assert len(sim.tenants("obxxx")) == 3
    stats = sim.stats()
    assert stats["restoresAccepted"] == 0
    assert sum(stats["refusals"].values()) == 4 + stats["challengesIssued"]


async def test_messages_do_not_echo_huge_values(api: ApiClient) -> None:
    reply = await api.restore(seed_body(targetTenantName="x-" * 20000, restoreMode="m" * 50000))
    assert_refused(reply, 400, "InvalidParameterValue", "targetTenantName", "restoreMode")
    assert len(reply.json["errorMessage"]) < 600
