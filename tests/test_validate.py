"""The drill's validation step: the restored tenant is the one asked for."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ob_async._restore.validate import check_restored
from ob_async._wire.models import RestoreRequest, TenantResource
from ob_async._wire.tenants import TenantDetail

REQUEST = RestoreRequest(
    source_instance_id="ob-src",
    source_tenant_id="t-src",
    target_instance_id="ob-dr",
    target_tenant_name="drill_1",
    target_tenant_primary_zone="zone-a",
    restore_time=datetime(2026, 1, 13, tzinfo=UTC),
    tenant_resource=TenantResource(cpu=2, memory=8, unit_num=1),
)


def detail(**changes: object) -> TenantDetail:
    fields: dict[str, object] = {
        "tenant_id": "t1",
        "tenant_name": "drill_1",
        "status": "ONLINE",
        "description": "restored",
        "primary_zone": "zone-a",
        "unit_cpu": 2,
        "unit_mem": 8,
        "unit_num": 1,
    }
    fields.update(changes)
    return TenantDetail(**fields)  # type: ignore[arg-type]


def test_a_faithful_restore_has_no_problem() -> None:
    assert check_restored(REQUEST, detail()) == []


def test_fields_the_server_leaves_out_are_not_held_against_it() -> None:
    assert check_restored(REQUEST, detail(primary_zone=None, unit_mem=None, unit_num=None)) == []


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"status": "RESTORING"}, "status is RESTORING, not ONLINE"),
        ({"tenant_name": "drill_2"}, "name is 'drill_2', not 'drill_1'"),
        ({"primary_zone": "zone-b"}, "primary zone is 'zone-b', not 'zone-a'"),
        ({"unit_cpu": 1}, "unitCpu is 1, not 2"),
        ({"unit_mem": 4}, "unitMem is 4, not 8"),
        ({"unit_num": 3}, "unitNum is 3, not 1"),
    ],
)
def test_each_difference_is_named(changes: dict[str, object], problem: str) -> None:
    assert check_restored(REQUEST, detail(**changes)) == [problem]
