"""Models and the wire codec: the seed round-trips, times are strict, errors name fields."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from ob_async._wire import codec, jsonwire
from ob_async._wire.backups import BackupSet, RestorableTenant
from ob_async._wire.models import (
    Envelope,
    Page,
    RestoreMode,
    RestoreObjectType,
    RestoreRequest,
    TenantResource,
)
from ob_async._wire.tenants import TenantDetail, TenantSummary
from ob_async.errors import InvalidInputError

SEED_BODY = json.loads((Path(__file__).parent / "data" / "seed_restore_body.json").read_text())


def _nested(depth: int) -> list[object]:
    outer: list[object] = []
    inner = outer
    for _ in range(depth):
        inner.append([])
        inner = inner[0]  # type: ignore[assignment]
    return outer


def make_request(**changes: object) -> RestoreRequest:
    fields: dict[str, object] = {
        "source_instance_id": "obxxx",
        "source_tenant_id": "txxx",
        "target_instance_id": "obxxx",
        "target_tenant_name": "RestoredTenant001",
        "target_tenant_primary_zone": "cn-shanghai-e",
        "restore_time": datetime(2026, 1, 13, 5, 58, 34, tzinfo=UTC),
        "tenant_resource": TenantResource(cpu=1, memory=4, unit_num=1),
        "target_tenant_description": "Test",
    }
    fields.update(changes)
    return RestoreRequest(**fields)  # type: ignore[arg-type]


def test_seed_example_round_trips_to_identical_json() -> None:
    request = codec.from_wire(RestoreRequest, SEED_BODY)
    assert request == make_request()
    assert codec.to_wire(request) == SEED_BODY
    assert json.loads(codec.to_json_bytes(request)) == SEED_BODY


def test_seed_table_spelling_unitnum_is_read_and_unitnum_is_always_written() -> None:
    body = dict(SEED_BODY, tenantResource={"cpu": 2, "memory": 8, "unitnum": 3})
    request = codec.from_wire(RestoreRequest, body)
    assert request.tenant_resource == TenantResource(cpu=2, memory=8, unit_num=3)
    assert codec.to_wire(request)["tenantResource"] == {"cpu": 2, "memory": 8, "unitNum": 3}


def test_non_utc_time_is_sent_in_utc_with_z() -> None:
    moment = datetime(2026, 1, 13, 13, 58, 34, 999_999, tzinfo=timezone(timedelta(hours=8)))
    assert codec.to_wire(make_request(restore_time=moment))["restoreTime"] == (
        "2026-01-13T05:58:34Z"
    )


def test_naive_restore_time_is_refused_at_construction() -> None:
    with pytest.raises(InvalidInputError, match="restore_time: must be timezone-aware"):
        make_request(restore_time=datetime(2026, 1, 13, 5, 58, 34))


def test_naive_restore_time_on_the_wire_is_refused() -> None:
    body = dict(SEED_BODY, restoreTime="2026-01-13 05:58:34")
    with pytest.raises(InvalidInputError, match=r"\$\.restoreTime: .*has no timezone"):
        codec.from_wire(RestoreRequest, body)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tenant_resource": None}, "tenant_resource"),
        ({"target_tenant_name": ""}, "target_tenant_name: must not be empty"),
        ({"source_instance_id": "  "}, "source_instance_id: must not be empty"),
        ({"restore_mode": "from_nowhere"}, "restore_mode: unknown value 'from_nowhere'"),
        ({"restore_object_type": "schema"}, "restore_object_type: unknown value 'schema'"),
        ({"from_remote": "yes"}, "from_remote: must be true or false"),
        ({"restore_objects": [{"db": [1.5, math.nan]}]}, r"restore_objects\[0\]\.db\[1\]: nan"),
        ({"restore_objects": [{"t": math.inf}]}, r"restore_objects\[0\]\.t: inf is not"),
        ({"restore_objects": [{1: "x"}]}, r"restore_objects\[0\]: key 1 is not a string"),
        ({"restore_objects": [{"when": datetime(2026, 1, 1, tzinfo=UTC)}]}, "a datetime is not"),
        ({"restore_objects": [_nested(80)]}, "nested deeper than 64 levels"),
    ],
)
def test_request_validation_names_the_field(changes: dict[str, object], message: str) -> None:
    with pytest.raises((InvalidInputError, TypeError), match=message):
        make_request(**changes)


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        ({"cpu": 0, "memory": 4, "unit_num": 1}, "cpu: must be positive, got 0"),
        ({"cpu": 1, "memory": -4, "unit_num": 1}, "memory: must be positive, got -4"),
        ({"cpu": 1, "memory": 4, "unit_num": True}, "unit_num: must be an integer"),
        ({"cpu": 1.5, "memory": 4, "unit_num": 1}, "cpu: must be an integer"),
    ],
)
def test_resources_must_be_positive_integers(resource: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        TenantResource(**resource)  # type: ignore[arg-type]


def test_enums_accept_their_wire_values() -> None:
    request = make_request(restore_mode="from_time_point", restore_object_type="database")
    assert request.restore_mode is RestoreMode.FROM_TIME_POINT
    assert request.restore_object_type is RestoreObjectType.DATABASE


def test_every_problem_of_a_wire_request_is_named_with_its_path() -> None:
    body = dict(
        SEED_BODY,
        fromRemote="false",
        tenantResource={"cpu": 1, "memory": "4", "unitNum": 1},
        restoreTime="yesterday",
    )
    with pytest.raises(InvalidInputError) as caught:
        codec.from_wire(RestoreRequest, body)
    message = str(caught.value)
    assert "$.fromRemote: expected true or false, got str 'false'" in message
    assert "$.tenantResource.memory: expected an integer, got str '4'" in message
    assert "$.restoreTime: unparsable time 'yesterday'" in message


def test_missing_seed_required_wire_fields_are_listed() -> None:
    body = {k: v for k, v in SEED_BODY.items() if k not in ("fromRemote", "restoreMode")}
    with pytest.raises(InvalidInputError, match=r"missing required field.*fromRemote, restoreMode"):
        codec.from_wire(RestoreRequest, body)


def test_tenant_list_page_parses_both_time_forms_and_ignores_unknown_fields() -> None:
    data = {
        "dataList": [
            {
                "tenantId": "t1",
                "tenantName": "a",
                "status": "ONLINE",
                "gmtCreate": "2021-09-20 12:00:00",
                "somethingNew": {"x": 1},
            },
            {
                "tenantId": "t2",
                "tenantName": "b",
                "status": "RESTORING",
                "gmtCreate": "2026-01-13T05:58:34Z",
                "cpu": 2,
                "mem": 8,
                "unitNum": 1,
            },
        ],
        "total": 2,
    }
    page = codec.structure_page(TenantSummary, data)
    assert page.total == 2
    first, second = page.data_list
    assert first.gmt_create == datetime(2021, 9, 20, 12, 0, tzinfo=UTC)
    assert first.is_online
    assert second.gmt_create == datetime(2026, 1, 13, 5, 58, 34, tzinfo=UTC)
    assert not second.is_online
    assert second.mem == 8.0


def test_missing_required_response_field_is_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match=r"\$\.dataList\[0\]\.tenantId: required field"):
        codec.structure_page(TenantSummary, {"dataList": [{"tenantName": "a", "status": "X"}]})


def test_tenant_detail_and_resource() -> None:
    detail = codec.from_answer(
        TenantDetail,
        {
            "tenantId": "t1",
            "tenantName": "a",
            "status": "ONLINE",
            "description": "drill",
            "tenantResource": {
                "cpu": {"totalCpu": 2.0, "usedCpu": 0.5, "unitCpu": 2.0},
                "memory": {"totalMemory": 8.0, "usedMemory": 1.0, "unitMemory": 8.0},
                "disk": {"totalDiskSize": 100.0, "usedDiskSize": 3.0},
                "unitNum": 1,
            },
            "createTime": "2026-01-13T05:58:34Z",
            "gmtCreate": "2025-06-02 22:12:10.0",
        },
    )
    assert detail.tenant_resource is not None
    assert detail.tenant_resource.unit_num == 1
    assert detail.tenant_resource.cpu is not None
    assert detail.tenant_resource.cpu.used_cpu == 0.5
    assert detail.create_time == datetime(2026, 1, 13, 5, 58, 34, tzinfo=UTC)
    assert detail.gmt_create == datetime(2025, 6, 2, 22, 12, 10, tzinfo=UTC)


def test_an_informative_field_of_another_shape_is_left_out_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The old notes' flat tenantResource: numbers where the provider has objects.
    with caplog.at_level("DEBUG", logger="ob_async.wire"):
        detail = codec.from_answer(
            TenantDetail,
            {
                "tenantId": "t1",
                "tenantName": "a",
                "status": "ONLINE",
                "description": "drill",
                "tenantResource": {"cpu": 2, "memory": 8, "disk": 100, "unitNum": 1},
                "newField": {"from": "a newer server"},
            },
        )
    assert detail.tenant_resource is not None
    assert (detail.tenant_resource.cpu, detail.tenant_resource.unit_num) == (None, 1)
    logged = caplog.text
    assert "$.tenantResource.cpu left out: expected a JSON object, got int" in logged
    assert "$.tenantResource.disk left out" in logged
    assert "$.newField left out: not in the contract" in logged


def test_a_field_the_client_decides_on_is_refused_with_its_path() -> None:
    base = {"tenantId": "t1", "tenantName": "a", "status": "ONLINE", "description": "d"}
    for changes, path in (
        ({"status": None}, "$.status"),
        ({"description": ["marker"]}, "$.description"),
        ({"createTime": "yesterday"}, "$.createTime"),
        ({"tenantConnections": [{"intranetPort": "3306"}]}, "$.tenantConnections[0].intranetPort"),
    ):
        with pytest.raises(InvalidInputError, match=re.escape(path)):
            codec.from_answer(TenantDetail, {**base, **changes})
    without = {key: value for key, value in base.items() if key != "description"}
    with pytest.raises(InvalidInputError, match=r"\$\.description: required field missing"):
        codec.from_answer(TenantDetail, without)


def test_restorable_tenant_windows() -> None:
    tenant = codec.from_wire(
        RestorableTenant,
        {
            "tenantId": "txxx",
            "tenantName": "src",
            "timeIntervalList": [
                {"startTime": "2026-01-10T00:00:00Z", "endTime": "2026-01-12T00:00:00Z"},
                {
                    "startTime": "2026-01-13T00:00:00Z",
                    "endTime": "2026-01-14T00:00:00Z",
                    "storageType": "OSS",
                },
            ],
        },
    )
    inside = datetime(2026, 1, 13, 5, 58, 34, tzinfo=UTC)
    assert tenant.window_containing(inside) == tenant.time_interval_list[1]
    assert tenant.window_containing(datetime(2026, 1, 12, 12, tzinfo=UTC)) is None
    assert tenant.latest_restorable_time == datetime(2026, 1, 14, tzinfo=UTC)


def test_backup_sets_page() -> None:
    page = codec.from_wire(
        Page[BackupSet],
        {
            "dataList": [
                {
                    "backupSetId": "bs1",
                    "backupMode": "PHYSICAL_BACKUP",
                    "backupObjectType": "TENANT",
                    "checkpoint": "2026-01-13 05:00:00",
                    "status": "DONE",
                    "startTime": "2026-01-13T04:00:00Z",
                    "endTime": "2026-01-13T05:00:00Z",
                    "tenantId": "txxx",
                }
            ],
            "total": 1,
            "hasMore": False,
        },
    )
    assert page.data_list[0].status == "DONE"
    assert page.has_more is False


def test_envelope_fields() -> None:
    envelope = codec.from_wire(
        Envelope,
        {"success": False, "errorCode": "E001R000", "errorMessage": "Unknown Error"},
    )
    assert envelope.error_code == "E001R000"
    with pytest.raises(InvalidInputError, match=r"\$\.success: expected true or false"):
        codec.from_wire(Envelope, {"success": "true"})


def test_naive_datetime_is_refused_on_response_models_too() -> None:
    with pytest.raises(InvalidInputError, match="gmt_create: must be timezone-aware"):
        TenantSummary(
            tenant_id="t", tenant_name="n", status="ONLINE", gmt_create=datetime(2026, 1, 1)
        )


def test_from_json_names_bad_json() -> None:
    with pytest.raises(InvalidInputError, match="not valid JSON"):
        codec.from_json(RestoreRequest, b"{not json")


def test_restore_objects_of_every_json_shape_go_out_as_given() -> None:
    objects = [{"database": "db1", "tables": ["t1", "t2"], "weight": 0.5, "flag": None}]
    big = 2**70  # beyond 64 bits
    request = make_request(restore_objects=[*objects, big])
    assert json.loads(codec.to_json_bytes(request))["restoreObjects"] == [*objects, big]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'{"a":1}', {"a": 1}),
        (b'{"a":' + b"1" * 400 + b"}", {"a": int("1" * 400)}),
        (b'{"a":-9223372036854775809}', {"a": -(2**63) - 1}),
        (b'{"a":1e400}', {"a": math.inf}),  # msgspec refuses it; json reads it
        (b'{"a":NaN}', {"a": math.nan}),
        ('{"a":"é"}'.encode("utf-16"), {"a": "é"}),  # msgspec reads only UTF-8
    ],
)
def test_wire_json_reads_what_the_standard_library_reads(
    payload: bytes, expected: dict[str, object]
) -> None:
    # json.dumps compares NaN too (NaN != NaN) and tells 1 from 1.0.
    assert json.dumps(jsonwire.loads(payload)) == json.dumps(expected)


@pytest.mark.parametrize("payload", [b"{", b"", b"\xff", b'{"a":"\xff"}', b"[" * 5000])
def test_wire_json_refuses_what_is_not_json(payload: bytes) -> None:
    with pytest.raises((ValueError, RecursionError)):
        jsonwire.loads(payload)
