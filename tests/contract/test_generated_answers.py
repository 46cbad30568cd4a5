"""Every read call parses any answer the contract allows, and keeps what it decides on.

Answers are generated from the contract's response schemas (tests/support/schema_strategy.py):
every field the contract documents may be there or not, with any value of its type,
and fields it does not document may come along. Each answer goes through the real
operation (``OpenApi``, over a session that returns it), which must not fail, and
the fields the client decides on must come out as they were generated.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ob_async._api.operations import OpenApi
from ob_async._http.session import Session
from ob_async._wire.envelope import open_envelope
from ob_async._wire.models import Envelope
from tests.support.contract import resolved
from tests.support.schema_strategy import strategy

# --- the three published time forms -------------------------------------------------

_moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31))
_offsets = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-14), max_value=timedelta(hours=14))
).map(lambda zone: zone if zone.utcoffset(None) else UTC)


@st.composite
def ob_times(draw: st.DrawFn) -> str:
    moment = draw(_moments).replace(microsecond=0)
    form = draw(st.sampled_from(["iso", "offset", "plain", "tenths"]))
    if form == "iso":
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if form == "offset":
        return moment.replace(tzinfo=draw(_offsets)).isoformat()
    if form == "plain":
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    return moment.strftime("%Y-%m-%d %H:%M:%S") + f".{draw(st.integers(0, 9))}"


def expected_time(text: str) -> datetime:
    """The contract's rule: ISO-8601, a zone-less time being UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def answers(envelope: str) -> st.SearchStrategy[dict[str, Any]]:
    return strategy(resolved(envelope), {"ob-time": ob_times()})


# --- a session that returns one answer ------------------------------------------------


class Answering:
    """Stands for the session: every call gets ``body`` back, as the session reads it."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.body = json.dumps(document).encode()
        self.calls: list[tuple[str, str, dict[str, str] | None]] = []

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: bytes | None = None,
        request_id: str | None = None,
    ) -> Envelope:
        self.calls.append((method, path, params))
        return open_envelope(200, self.body, headers={}, request_id=request_id or "r")


def api_answering(document: dict[str, Any]) -> tuple[OpenApi, Answering]:
    session = Answering(document)
    return OpenApi(cast(Session, session)), session


PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def connection_decisions(entry: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "addressId",
        "intranetAddress",
        "intranetDomain",
        "intranetPort",
        "intranetAddressStatus",
        "internetAddress",
        "internetDomain",
        "internetPort",
        "internetAddressStatus",
        "addressStatus",
        "useSSL",
    )
    return {key: entry.get(key) for key in keys}


def parsed_connection(model: Any) -> dict[str, Any]:
    return {
        "addressId": model.address_id,
        "intranetAddress": model.intranet_address,
        "intranetDomain": model.intranet_domain,
        "intranetPort": model.intranet_port,
        "intranetAddressStatus": model.intranet_address_status,
        "internetAddress": model.internet_address,
        "internetDomain": model.internet_domain,
        "internetPort": model.internet_port,
        "internetAddressStatus": model.internet_address_status,
        "addressStatus": model.address_status,
        "useSSL": model.use_ssl,
    }


# --- one test per read call -------------------------------------------------------------


@PROPERTY
@given(answers("TenantPageEnvelope"))
async def test_list_tenants(document: dict[str, Any]) -> None:
    api, session = api_answering(document)
    page = await api.list_tenants("ob1", page_number=2, page_size=50)
    data = document["data"]
    assert [(t.tenant_id, t.tenant_name, t.status) for t in page.data_list] == [
        (t["tenantId"], t["tenantName"], t["status"]) for t in data["dataList"]
    ]
    assert (page.total, page.has_more) == (data.get("total"), data.get("hasMore"))
    [(_, _, params)] = session.calls
    assert params is not None
    assert params["pageSize"] == "50"  # always sent


@PROPERTY
@given(answers("TenantDetailEnvelope"))
async def test_describe_tenant(document: dict[str, Any]) -> None:
    api, _ = api_answering(document)
    detail = await api.describe_tenant("ob1", "t1")
    data = document["data"]
    assert (detail.tenant_id, detail.tenant_name, detail.status, detail.description) == (
        data["tenantId"],
        data["tenantName"],
        data["status"],
        data["description"],
    )
    created = data.get("createTime")
    assert detail.create_time == (expected_time(created) if created is not None else None)
    assert (detail.primary_zone, detail.unit_cpu, detail.unit_mem, detail.unit_num) == (
        data.get("primaryZone"),
        data.get("unitCpu"),
        data.get("unitMem"),
        data.get("unitNum"),
    )
    assert [parsed_connection(c) for c in detail.tenant_connections] == [
        connection_decisions(c) for c in data.get("tenantConnections", [])
    ]


@PROPERTY
@given(answers("TenantConnectionEnvelope"))
async def test_describe_tenant_address(document: dict[str, Any]) -> None:
    api, session = api_answering(document)
    address = await api.describe_tenant_address("ob1", "t1", "addr-1")
    assert parsed_connection(address) == connection_decisions(document["data"])
    [(_, _, params)] = session.calls
    assert params == {"addressId": "addr-1"}


@PROPERTY
@given(answers("InstanceEnvelope"))
async def test_describe_instance(document: dict[str, Any]) -> None:
    api, _ = api_answering(document)
    instance = await api.describe_instance("ob1")
    zones = document["data"].get("availableZones")
    assert instance.available_zones == (tuple(zones) if zones is not None else None)


@PROPERTY
@given(answers("RestorableTenantsEnvelope"))
async def test_list_restorable_tenants(document: dict[str, Any]) -> None:
    api, _ = api_answering(document)
    tenants = await api.list_restorable_tenants("ob1")
    assert [
        (t.tenant_id, [(w.start_time, w.end_time) for w in t.time_interval_list]) for t in tenants
    ] == [
        (
            t["tenantId"],
            [
                (expected_time(w["startTime"]), expected_time(w["endTime"]))
                for w in t.get("timeIntervalList", [])
            ],
        )
        for t in document["data"]
    ]


@PROPERTY
@given(answers("BackupSetPageEnvelope"))
async def test_list_backup_sets(document: dict[str, Any]) -> None:
    api, session = api_answering(document)
    page = await api.list_backup_sets("ob1")
    data = document["data"]
    assert [s.backup_set_id for s in page.data_list] == [s["backupSetId"] for s in data["dataList"]]
    assert page.total == data.get("total")
    [(_, _, params)] = session.calls
    assert params is not None
    assert "pageSize" in params


@PROPERTY
@given(answers("DeletedTenantEnvelope"))
async def test_delete_tenant(document: dict[str, Any]) -> None:
    api, _ = api_answering(document)
    deleted = await api.delete_tenant("ob1", "t1")
    assert deleted.tenant_id == document["data"].get("tenantId")


@pytest.mark.parametrize(
    "envelope",
    [
        "TenantPageEnvelope",
        "TenantDetailEnvelope",
        "TenantConnectionEnvelope",
        "InstanceEnvelope",
        "RestorableTenantsEnvelope",
        "BackupSetPageEnvelope",
        "DeletedTenantEnvelope",
    ],
)
def test_every_read_calls_answer_is_generated(envelope: str) -> None:
    # The generators above are drawn from these schemas: each must resolve completely.
    schema: Callable[[str], dict[str, Any]] = resolved
    assert "$ref" not in json.dumps(schema(envelope))
