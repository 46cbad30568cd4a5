"""The restore request, the envelope and the page: typed value objects of the wire.

Every class is a frozen attrs class with snake_case fields; the camelCase wire
form is produced and read by :mod:`ob_async._wire.codec`. The request is written
strictly: validation covers what the seed states (required fields, positive
resources, the documented enum values). The answers' models live beside this
module (:mod:`.tenants`, :mod:`.addresses`, :mod:`.backups`, :mod:`.instances`) and
are read tolerantly (:mod:`.tolerant`); contract/openapi.yaml is what they match.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs

from ob_async.errors import InvalidInputError

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)

JsonValue = Any
"""A decoded JSON value whose shape the API documentation does not fix."""

_MAX_JSON_DEPTH = 64


class RestoreMode(enum.StrEnum):
    """How the restore point is chosen (``restoreMode``)."""

    FROM_BACKUP_SET = "from_backup_set"
    FROM_TIME_POINT = "from_time_point"


class RestoreObjectType(enum.StrEnum):
    """What is restored (``restoreObjectType``)."""

    TENANT = "tenant"
    CLUSTER = "cluster"
    DATABASE = "database"
    TABLE = "table"


# --- validators -------------------------------------------------------------------


def _non_empty(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str):
        raise InvalidInputError(
            f"must be a string, got {type(value).__name__}", where=attribute.name
        )
    if not value.strip():
        raise InvalidInputError("must not be empty", where=attribute.name)


def _positive_int(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(
            f"must be an integer, got {type(value).__name__} {value!r}", where=attribute.name
        )
    if value <= 0:
        raise InvalidInputError(f"must be positive, got {value}", where=attribute.name)


def aware_time(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: a datetime (or None) that carries its zone."""
    if value is None:
        return
    if not isinstance(value, datetime):
        raise InvalidInputError(
            f"must be a datetime, got {type(value).__name__}", where=attribute.name
        )
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise InvalidInputError(
            "must be timezone-aware (a naive datetime is ambiguous; use UTC)",
            where=attribute.name,
        )


def _known_member(enum_type: type[E], value: object) -> E | object:
    """The enum member for a known value, the value itself otherwise.

    The validator :func:`_member_of` then refuses unknown values with the field
    name, which a converter cannot know.
    """
    if type(value) is enum_type:
        return value
    try:
        return enum_type(value)
    except ValueError:
        return value


def _to_restore_mode(value: object) -> RestoreMode | object:
    return _known_member(RestoreMode, value)


def _to_restore_object_type(value: object) -> RestoreObjectType | object:
    return _known_member(RestoreObjectType, value)


def _member_of(enum_type: type[E]) -> Callable[[object, attrs.Attribute[E], object], None]:
    def check(instance: object, attribute: attrs.Attribute[E], value: object) -> None:
        if not isinstance(value, enum_type):
            allowed = ", ".join(repr(member.value) for member in enum_type)
            raise InvalidInputError(
                f"unknown value {value!r}; expected one of {allowed}", where=attribute.name
            )

    return check


def _json_values(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not value:
        return
    problem = _json_problem(value, attribute.name)
    if problem is not None:
        raise InvalidInputError(problem[1], where=problem[0])


def _json_problem(value: object, where: str, depth: int = 0) -> tuple[str, str] | None:
    """Where ``value`` stops being JSON the wire can carry, and why; None if it all is."""
    if isinstance(value, float) and not math.isfinite(value):
        return where, f"{value} is not a JSON number"
    if value is None or isinstance(value, str | bool | int | float):
        return None
    if depth >= _MAX_JSON_DEPTH:
        return where, f"nested deeper than {_MAX_JSON_DEPTH} levels"
    if isinstance(value, list | tuple):
        children = [(f"{where}[{index}]", item) for index, item in enumerate(value)]
    elif isinstance(value, Mapping):
        odd_keys = [key for key in value if not isinstance(key, str)]
        if odd_keys:
            return where, f"key {odd_keys[0]!r} is not a string"
        children = [(f"{where}.{key}", item) for key, item in value.items()]
    else:
        return where, f"a {type(value).__name__} is not a JSON value"
    problems = (_json_problem(child, child_where, depth + 1) for child_where, child in children)
    return next((problem for problem in problems if problem is not None), None)


def _bool(instance: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidInputError(
            f"must be true or false, got {type(value).__name__} {value!r}", where=attribute.name
        )


# --- request side -------------------------------------------------------------------

RESTORE_REQUIRED_WIRE_FIELDS = (
    "sourceInstanceId",
    "tenantResource",
    "fromRemote",
    "sourceTenantId",
    "restoreTime",
    "restoreObjectType",
    "restoreMode",
    "targetInstanceId",
    "targetTenantName",
    "targetTenantDescription",
    "targetTenantPrimaryZone",
)
"""The restore body's fields the seed marks "Required: Yes", in the seed's order."""


@attrs.frozen(kw_only=True)
class TenantResource:
    """Resources of a tenant: CPU cores, memory in GB and units per zone."""

    cpu: int = attrs.field(validator=_positive_int)
    memory: int = attrs.field(validator=_positive_int)
    unit_num: int = attrs.field(validator=_positive_int)


@attrs.frozen(kw_only=True)
class RestoreRequest:
    """The body of ``POST /api/v2/instances/{instanceId}/backup/restore``."""

    source_instance_id: str = attrs.field(validator=_non_empty)
    source_tenant_id: str = attrs.field(validator=_non_empty)
    target_instance_id: str = attrs.field(validator=_non_empty)
    target_tenant_name: str = attrs.field(validator=_non_empty)
    target_tenant_primary_zone: str = attrs.field(validator=_non_empty)
    restore_time: datetime = attrs.field(validator=aware_time)
    tenant_resource: TenantResource = attrs.field(
        validator=attrs.validators.instance_of(TenantResource)
    )
    target_tenant_description: str = attrs.field(
        default="", validator=attrs.validators.instance_of(str)
    )
    from_remote: bool = attrs.field(default=False, validator=_bool)
    restore_object_type: RestoreObjectType = attrs.field(
        default=RestoreObjectType.TENANT,
        converter=_to_restore_object_type,
        validator=_member_of(RestoreObjectType),
    )
    restore_objects: tuple[JsonValue, ...] = attrs.field(
        default=(), converter=tuple, validator=_json_values
    )
    restore_mode: RestoreMode = attrs.field(
        default=RestoreMode.FROM_BACKUP_SET,
        converter=_to_restore_mode,
        validator=_member_of(RestoreMode),
    )


# --- response side ------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Envelope:
    """The response envelope every call returns, success or failure."""

    success: bool
    data: JsonValue = None
    request_id: str | None = None
    server: str | None = None
    cost: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    total_count: int | None = None
    extra: Mapping[str, JsonValue] | None = None


@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """One page of a list call: ``data.dataList`` with ``data.total``."""

    data_list: tuple[T, ...]
    total: int | None = None
    has_more: bool | None = None
