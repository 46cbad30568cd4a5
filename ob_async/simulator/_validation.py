"""Shape validation of the restore POST body, by hand on the raw JSON.

:func:`parse_restore_body` checks what can be checked without the world and
returns a :class:`RestoreOrder`; the checks against the world (instances,
tenants, windows, zones, capacity, names) are in :mod:`.world`.

Every problem of the body is collected, each with its field path; the
refusal's ``errorCode`` is that of the most basic problem (missing before
mistyped before bad value) and its ``errorMessage`` lists all of them, e.g.
``sourceTenantId: required field is missing; tenantResource.cpu: must be a
positive JSON integer, got string '1'``.

Rules (the seed marks every field but ``restoreObjects`` as required):

- a required field that is absent or ``null``: ``MissingParameter``;
- identifiers, ``restoreTime``, enums and the description must be JSON strings,
  ``fromRemote`` a JSON boolean, ``tenantResource`` an object whose ``cpu``,
  ``memory`` and ``unitNum`` (``unitnum`` accepted) are JSON integers,
  ``restoreObjects`` an array when present: else ``InvalidParameterType``;
- identifiers must not be blank, resources must be positive, ``restoreMode``
  is ``from_backup_set`` or ``from_time_point``, ``restoreObjectType`` is
  ``tenant``, ``cluster``, ``database`` or ``table``, ``targetTenantName``
  must fully match the configured pattern, ``unitNum`` and ``unitnum`` must
  agree when both are given: else ``InvalidParameterValue``;
- ``restoreTime`` must be exactly ``YYYY-MM-DDTHH:MM:SSZ`` and a real date:
  else ``InvalidRestoreTime``.

Unknown keys are ignored, as a lenient JSON binder does; ``fromRemote`` is
type-checked only (its effect is not documented).
"""

from __future__ import annotations

import functools
import json
import re
from datetime import UTC, datetime
from typing import Any

import attrs
import msgspec

from ob_async._wire.models import RESTORE_REQUIRED_WIRE_FIELDS
from ob_async.simulator._errors import ErrorCode, Refusal, clip

_FAST_DECODER = msgspec.json.Decoder()

RESTORE_MODES = ("from_backup_set", "from_time_point")
RESTORE_OBJECT_TYPES = ("tenant", "cluster", "database", "table")

_RESTORE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")

REQUIRED_FIELDS = RESTORE_REQUIRED_WIRE_FIELDS
_IDENTIFIERS = frozenset(
    {
        "sourceInstanceId",
        "sourceTenantId",
        "targetInstanceId",
        "targetTenantName",
        "targetTenantPrimaryZone",
    }
)
_TEXT_FIELDS = (
    "sourceInstanceId",
    "sourceTenantId",
    "targetInstanceId",
    "targetTenantName",
    "targetTenantPrimaryZone",
    "restoreTime",
    "restoreObjectType",
    "restoreMode",
    "targetTenantDescription",
)
_PRECEDENCE = {
    ErrorCode.MISSING_PARAMETER: 0,
    ErrorCode.INVALID_PARAMETER_TYPE: 1,
    ErrorCode.INVALID_PARAMETER_VALUE: 2,
    ErrorCode.INVALID_RESTORE_TIME: 2,
}


@attrs.frozen(kw_only=True)
class RestoreOrder:
    """A restore request whose shape is valid."""

    source_instance_id: str
    source_tenant_id: str
    target_instance_id: str
    target_tenant_name: str
    target_tenant_description: str
    target_tenant_primary_zone: str
    restore_time: float
    cpu: int
    memory: int
    unit_num: int
    from_remote: bool
    restore_object_type: str
    restore_mode: str
    restore_objects: tuple[Any, ...] = ()


def _describe(value: object) -> str:
    kind = {
        str: "string",
        bool: "boolean",
        int: "integer",
        float: "number",
        list: "array",
        dict: "object",
        type(None): "null",
    }.get(type(value), type(value).__name__)
    if isinstance(value, dict | list):
        return kind
    return f"{kind} {clip(json.dumps(value))}"


class _Collector:
    def __init__(self) -> None:
        self.problems: list[tuple[ErrorCode, str]] = []

    def add(self, code: ErrorCode, field: str, message: str) -> None:
        self.problems.append((code, f"{field}: {message}"))

    def raise_if_any(self) -> None:
        if not self.problems:
            return
        ordered = sorted(self.problems, key=lambda problem: _PRECEDENCE[problem[0]])
        raise Refusal(ordered[0][0], "; ".join(message for _, message in ordered))


def decode_json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a refusal (``InvalidJson`` / ``InvalidBody``)."""
    try:
        data = _FAST_DECODER.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError):
        # What msgspec refuses, the standard library decides and words (NaN, 1e400, ...).
        data = _decode_slowly(raw)
    except RecursionError:
        raise Refusal(ErrorCode.INVALID_JSON, "the request body is nested too deeply") from None
    if not isinstance(data, dict):
        raise Refusal(
            ErrorCode.INVALID_BODY, f"the request body must be a JSON object, got {_describe(data)}"
        )
    return data


def _decode_slowly(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise Refusal(ErrorCode.INVALID_JSON, "the request body is not UTF-8 text") from None
    except RecursionError:
        raise Refusal(ErrorCode.INVALID_JSON, "the request body is nested too deeply") from None
    except ValueError as error:
        raise Refusal(
            ErrorCode.INVALID_JSON, f"the request body is not valid JSON: {error}"
        ) from None


def parse_restore_body(data: dict[str, Any], *, name_pattern: re.Pattern[str]) -> RestoreOrder:
    """Validate a decoded restore body; raise one :class:`Refusal` naming every problem."""
    problems = _Collector()
    present = {key for key in REQUIRED_FIELDS if data.get(key) is not None}
    for key in REQUIRED_FIELDS:
        if key not in present:
            problems.add(ErrorCode.MISSING_PARAMETER, key, "required field is missing")
    texts = _check_texts(data, present, problems)
    _check_values(texts, name_pattern, problems)
    restore_time = 0.0
    if "restoreTime" in texts:
        parsed = _parse_restore_time(texts["restoreTime"])
        if isinstance(parsed, str):
            problems.add(ErrorCode.INVALID_RESTORE_TIME, "restoreTime", parsed)
        else:
            restore_time = parsed
    from_remote = data.get("fromRemote")
    if "fromRemote" in present and not isinstance(from_remote, bool):
        problems.add(
            ErrorCode.INVALID_PARAMETER_TYPE,
            "fromRemote",
            f"must be a JSON boolean, got {_describe(from_remote)}",
        )
    resources = _check_resources(data, "tenantResource" in present, problems)
    restore_objects = data.get("restoreObjects", [])
    if not isinstance(restore_objects, list):
        problems.add(
            ErrorCode.INVALID_PARAMETER_TYPE,
            "restoreObjects",
            f"must be an array, got {_describe(restore_objects)}",
        )
        restore_objects = []

    problems.raise_if_any()
    return RestoreOrder(
        source_instance_id=texts["sourceInstanceId"],
        source_tenant_id=texts["sourceTenantId"],
        target_instance_id=texts["targetInstanceId"],
        target_tenant_name=texts["targetTenantName"],
        target_tenant_description=texts["targetTenantDescription"],
        target_tenant_primary_zone=texts["targetTenantPrimaryZone"],
        restore_time=restore_time,
        cpu=resources["cpu"],
        memory=resources["memory"],
        unit_num=resources["unitNum"],
        from_remote=bool(from_remote),
        restore_object_type=texts["restoreObjectType"],
        restore_mode=texts["restoreMode"],
        restore_objects=tuple(restore_objects),
    )


def _check_texts(data: dict[str, Any], present: set[str], problems: _Collector) -> dict[str, str]:
    """The string fields that are strings (and, for identifiers, not blank)."""
    texts: dict[str, str] = {}
    for key in _TEXT_FIELDS:
        if key not in present:
            continue
        value = data[key]
        if not isinstance(value, str):
            problems.add(
                ErrorCode.INVALID_PARAMETER_TYPE, key, f"must be a string, got {_describe(value)}"
            )
        elif key in _IDENTIFIERS and not value.strip():
            problems.add(ErrorCode.INVALID_PARAMETER_VALUE, key, "must not be blank")
        else:
            texts[key] = value
    return texts


def _check_values(
    texts: dict[str, str], name_pattern: re.Pattern[str], problems: _Collector
) -> None:
    name = texts.get("targetTenantName")
    if name is not None and not name_pattern.fullmatch(name):
        problems.add(
            ErrorCode.INVALID_PARAMETER_VALUE,
            "targetTenantName",
            f"{clip(name)!r} does not match the tenant name pattern {name_pattern.pattern}",
        )
    for key, allowed in (
        ("restoreMode", RESTORE_MODES),
        ("restoreObjectType", RESTORE_OBJECT_TYPES),
    ):
        if key in texts and texts[key] not in allowed:
            problems.add(
                ErrorCode.INVALID_PARAMETER_VALUE,
                key,
                f"unknown value {clip(texts[key])!r}; expected one of {', '.join(allowed)}",
            )


def _check_resources(data: dict[str, Any], present: bool, problems: _Collector) -> dict[str, int]:
    resources: dict[str, int] = {}
    if not present:
        return resources
    value = data["tenantResource"]
    if not isinstance(value, dict):
        problems.add(
            ErrorCode.INVALID_PARAMETER_TYPE,
            "tenantResource",
            f"must be an object, got {_describe(value)}",
        )
        return resources
    if "unitNum" in value and "unitnum" in value and value["unitNum"] != value["unitnum"]:
        problems.add(
            ErrorCode.INVALID_PARAMETER_VALUE,
            "tenantResource.unitNum",
            f"unitNum {_describe(value['unitNum'])} and unitnum {_describe(value['unitnum'])} "
            "disagree",
        )
    for key in ("cpu", "memory", "unitNum"):
        field = f"tenantResource.{key}"
        amount = value.get(key)
        if amount is None and key == "unitNum":
            amount = value.get("unitnum")
        if amount is None:
            problems.add(ErrorCode.MISSING_PARAMETER, field, "required field is missing")
        elif isinstance(amount, bool) or not isinstance(amount, int):
            problems.add(
                ErrorCode.INVALID_PARAMETER_TYPE,
                field,
                f"must be a positive JSON integer, got {_describe(amount)}",
            )
        elif amount <= 0:
            problems.add(
                ErrorCode.INVALID_PARAMETER_VALUE, field, f"must be positive, got {amount}"
            )
        else:
            resources[key] = amount
    return resources


def _parse_restore_time(text: str) -> float | str:
    """Seconds since the epoch, or the reason the text is refused."""
    if not _RESTORE_TIME.fullmatch(text):
        return (
            f"{clip(text)!r} is not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ "
            "(e.g. 2026-01-13T05:58:34Z)"
        )
    return _utc_seconds(text)


@functools.lru_cache(maxsize=4096)
def _utc_seconds(text: str) -> float | str:
    """``_parse_restore_time`` past the pattern check (so keys are 20 characters).

    Cached: a drill sends the same few restore times thousands of times.
    """
    try:
        # datetime() checks the ranges; strptime would too, at several times the cost.
        moment = datetime(
            int(text[0:4]),
            int(text[5:7]),
            int(text[8:10]),
            int(text[11:13]),
            int(text[14:16]),
            int(text[17:19]),
            tzinfo=UTC,
        )
    except ValueError as error:
        return f"{text!r} is not a real date and time: {error}"
    return moment.timestamp()
