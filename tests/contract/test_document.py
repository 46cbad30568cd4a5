"""The contract itself: valid OpenAPI, sourced, and matched by the wire models and routes."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from openapi_spec_validator import validate

from ob_async._wire.addresses import PrivateLink, ProxyClusterInfo, TenantConnection
from ob_async._wire.backups import BackupSet, RestorableTenant, TimeWindow
from ob_async._wire.codec import camel_case
from ob_async._wire.instances import (
    Instance,
    InstanceCpu,
    InstanceDisk,
    InstanceMemory,
    InstanceResource,
)
from ob_async._wire.models import Page, RestoreRequest, TenantResource
from ob_async._wire.tenants import (
    DeletedTenant,
    Tag,
    TenantCpu,
    TenantDetail,
    TenantDisk,
    TenantMemory,
    TenantResourceDetail,
    TenantSummary,
    TenantZone,
)
from ob_async._wire.tolerant import INFORMATIVE
from ob_async.simulator._routes import API_ROUTES
from tests.support.contract import contract, schema

MODELS: list[tuple[type[Any], str]] = [
    (RestoreRequest, "RestoreRequest"),
    (TenantResource, "RestoreTenantResource"),
    (TenantSummary, "TenantDTO"),
    (TenantDetail, "TenantDTO"),
    (TenantResourceDetail, "TenantResourceDTO"),
    (TenantCpu, "TenantCpuDTO"),
    (TenantMemory, "TenantMemoryDTO"),
    (TenantDisk, "TenantDiskDTO"),
    (TenantZone, "TenantZoneDTO"),
    (Tag, "TagKeyValueDo"),
    (TenantConnection, "TenantConnectionDTO"),
    (PrivateLink, "TenantPrivateLinkDTO"),
    (ProxyClusterInfo, "ProxyClusterInfoDTO"),
    (DeletedTenant, "SimpleTenantResponse"),
    (Instance, "DescribeInstanceResponseV2OpenAPI"),
    (InstanceResource, "ResourceDoV2"),
    (InstanceCpu, "CpuDoV2"),
    (InstanceMemory, "MemoryDoV2"),
    (InstanceDisk, "DiskDoV2"),
    (RestorableTenant, "RestorableTenant"),
    (TimeWindow, "TimeInterval"),
    (BackupSet, "BackupSet"),
    (Page, "OBCloudPagingDataTenantDTO"),
]
"""Every wire model and the contract schema it reads or writes."""

ANSWERS = MODELS[2:]
"""The models of answers (the first two are the restore request, written strictly:
every field is always sent, defaults or not)."""

OPERATIONS = {
    ("POST", "/api/v2/instances/{instanceId}/backup/restore"),
    ("GET", "/api/v2/instances/{instanceId}/backup/restore/tenants"),
    ("GET", "/api/v2/instances/{instanceId}/backup/data/sets"),
    ("GET", "/api/v2/instances/{instanceId}"),
    ("GET", "/api/v2/instances/{instanceId}/tenants"),
    ("GET", "/api/v2/instances/{instanceId}/tenants/{tenantId}"),
    ("DELETE", "/api/v2/instances/{instanceId}/tenants/{tenantId}"),
    ("GET", "/api/v2/instances/{instanceId}/tenants/{tenantId}/address"),
}
"""Every call ob_async._api.operations.OpenApi makes."""


def test_the_contract_is_valid_openapi() -> None:
    validate(contract())


def test_every_operation_and_schema_says_where_its_facts_come_from() -> None:
    document = contract()
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert operation.get("x-source"), f"{method} {path}"
    for name, component in document["components"]["schemas"].items():
        if name.endswith("Envelope") and name not in ("ResultEnvelope", "FailureEnvelope"):
            continue  # an envelope of a data schema that says it
        assert component.get("x-source"), name


def test_what_is_not_public_is_said() -> None:
    unknown = contract()["x-unknown"]
    assert {"rate-limits", "error-codes", "restore-task", "restore-status"} <= set(unknown)


def test_the_contract_has_every_call_the_client_makes_and_the_simulator_serves() -> None:
    paths = contract()["paths"]
    published = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    assert published == OPERATIONS
    assert set(API_ROUTES.values()) == OPERATIONS


def test_required_query_parameters_are_marked() -> None:
    address = contract()["paths"]["/api/v2/instances/{instanceId}/tenants/{tenantId}/address"]
    [address_id] = [p for p in address["get"]["parameters"] if p.get("name") == "addressId"]
    assert address_id["required"] is True
    project = contract()["components"]["parameters"]["ProjectId"]
    assert (project["in"], project["required"]) == ("header", True)


@pytest.mark.parametrize(("model", "name"), MODELS, ids=[f"{m.__name__}" for m, _ in MODELS])
def test_every_wire_model_has_exactly_the_contracts_fields(model: type[Any], name: str) -> None:
    wire_names = {camel_case(field.name) for field in attrs.fields(model)}
    assert wire_names == set(schema(name)["properties"])


@pytest.mark.parametrize(("model", "name"), ANSWERS, ids=[f"{m.__name__}" for m, _ in ANSWERS])
def test_what_the_contract_requires_is_what_the_model_decides_on(
    model: type[Any], name: str
) -> None:
    required = set(schema(name).get("required", ()))
    if model is TenantDetail:
        required |= set(schema("TenantDetail")["allOf"][1]["required"])
    without_default = {
        camel_case(field.name) for field in attrs.fields(model) if field.default is attrs.NOTHING
    }
    assert without_default == required
    informative = {
        camel_case(field.name) for field in attrs.fields(model) if field.metadata.get(INFORMATIVE)
    }
    assert not informative & required
