"""Between the wire (camelCase JSON) and the models (snake_case attrs classes).

One cattrs converter, built once at import, does all the work. Its rules:

- Field names are camelCase on the wire: ``target_tenant_name`` ↔ ``targetTenantName``.
- Unknown keys are ignored; a missing required key is an
  :class:`~ob_async.errors.InvalidInputError` that names every problem with its
  path. Answers are read tolerantly besides (:func:`from_answer`,
  :mod:`ob_async._wire.tolerant`): informative fields that do not fit are left out
  with a debug log, and only a field the client decides on fails the read.
- Times go out as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, whole seconds). They come in
  as ISO-8601 with ``Z`` or an offset, or in the tenant API's ``2021-09-20
  12:00:00`` and ``2025-06-02 22:12:10.0`` forms, which carry no zone and are read
  as UTC (the server's zone is not published).
- A request's ``restoreTime`` must carry its zone: a naive time is refused.
- Primitives are checked, not coerced: ``"false"`` is not a boolean.
- ``tenantResource.unitnum`` (the seed table's spelling) is read as ``unitNum``;
  ``unitNum`` is always what is written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar, cast, get_args, get_origin

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory, list_structure_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ob_async._wire import jsonwire
from ob_async._wire.models import (
    RESTORE_REQUIRED_WIRE_FIELDS,
    Page,
    RestoreMode,
    RestoreObjectType,
    RestoreRequest,
    TenantResource,
)
from ob_async._wire.tolerant import leave_out_unusable
from ob_async._wire.tolerant import logger as _wire_logger
from ob_async.errors import InvalidInputError

T = TypeVar("T")

WIRE_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

_CAMEL_BOUNDARY = re.compile(r"_([a-z0-9])")


# Wire names that do not follow the camelCase rule (acronyms spelled as the API spells them).
_IRREGULAR_NAMES = {"use_ssl": "useSSL", "enable_rpc": "enableRPc"}


def camel_case(name: str) -> str:
    """``target_tenant_name`` → ``targetTenantName`` (``use_ssl`` → ``useSSL``)."""
    irregular = _IRREGULAR_NAMES.get(name)
    if irregular is not None:
        return irregular
    return _CAMEL_BOUNDARY.sub(lambda match: match.group(1).upper(), name)


# format_time's recent answers. Aware datetimes are equal exactly when they are the
# same instant, which has one wire form, so a hit is always right; a naive datetime
# never equals an aware one, so it never hits and is refused below.
_FORMATTED: dict[datetime, str] = {}
_FORMATTED_MAX = 1024


def format_time(moment: datetime) -> str:
    """A timezone-aware datetime in the wire form ``2026-01-13T05:58:34Z``.

    Sub-second precision has no place on the wire and is dropped.
    """
    text = _FORMATTED.get(moment)
    if text is not None:
        return text
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise InvalidInputError("naive datetime cannot be sent; make it timezone-aware")
    text = moment.astimezone(UTC).strftime(WIRE_TIME_FORMAT)
    if len(_FORMATTED) >= _FORMATTED_MAX:
        _FORMATTED.clear()
    _FORMATTED[moment] = text
    return text


def parse_time(text: str) -> datetime:
    """Parse either documented timestamp form; a zone-less time is taken as UTC."""
    moment = _parse_iso(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def parse_aware_time(text: str) -> datetime:
    """Parse an ISO-8601 time that must carry ``Z`` or an offset (request input)."""
    moment = _parse_iso(text)
    if moment.tzinfo is None:
        raise ValueError(
            f"time {text!r} has no timezone; write it in UTC with a Z, e.g. 2026-01-13T05:58:34Z"
        )
    return moment


def _parse_iso(text: object) -> datetime:
    if not isinstance(text, str):
        raise TypeError(f"expected a time string, got {type(text).__name__} {text!r}")
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"unparsable time {text!r}; expected e.g. 2026-01-13T05:58:34Z") from None


# --- strict primitives ------------------------------------------------------------


def _strict_bool(value: object, _: object) -> bool:
    if isinstance(value, bool):
        return value
    raise TypeError(f"expected true or false, got {type(value).__name__} {value!r}")


def _strict_int(value: object, _: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise TypeError(f"expected an integer, got {type(value).__name__} {value!r}")


def _strict_float(value: object, _: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"expected a number, got {type(value).__name__} {value!r}")


def _strict_str(value: object, _: object) -> str:
    if isinstance(value, str):
        return value
    # Identifiers are documented as strings, but a numeric id is still an id.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise TypeError(f"expected a string, got {type(value).__name__} {value!r}")


def _json_passthrough(value: object, _: object) -> object:
    return value


def _build_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=False, detailed_validation=True)

    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(float, _strict_float)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(datetime, lambda value, _: parse_time(value))
    converter.register_unstructure_hook(datetime, format_time)
    converter.register_structure_hook(Any, _json_passthrough)
    for enum_type in (RestoreMode, RestoreObjectType):
        converter.register_unstructure_hook(enum_type, lambda member: member.value)

    def renamed(cls: type[Any]) -> dict[str, Any]:
        return {field.name: override(rename=camel_case(field.name)) for field in attrs.fields(cls)}

    def structure_factory(cls: type[Any]) -> Callable[[Any, Any], Any]:
        origin = getattr(cls, "__origin__", cls)
        structure = make_dict_structure_fn(cls, converter, **renamed(origin))

        def structure_object(value: object, type_: Any) -> Any:
            # cattrs would take a string for an object whose fields are all optional.
            return structure(_require_object(value), type_)

        return structure_object

    def unstructure_factory(cls: type[Any]) -> Callable[[Any], Any]:
        origin = getattr(cls, "__origin__", cls)
        return make_dict_unstructure_fn(cls, converter, **renamed(origin))

    def array_factory(cls: type[Any]) -> Callable[[Any, Any], Any]:
        structure = (
            list_structure_factory(cls, converter)
            if get_origin(cls) is list
            else homogenous_tuple_structure_factory(cls, converter)
        )

        def structure_array(value: object, type_: Any) -> Any:
            # Not any iterable: a string or an object would become its characters or keys.
            if not isinstance(value, list | tuple):
                raise TypeError(f"expected a JSON array, got {type(value).__name__}")
            return structure(value, type_)

        return structure_array

    converter.register_structure_hook_factory(_is_attrs_class, structure_factory)
    converter.register_structure_hook_factory(_is_array_type, array_factory)
    converter.register_unstructure_hook_factory(_is_attrs_class, unstructure_factory)

    structure_resource = make_dict_structure_fn(
        TenantResource, converter, **renamed(TenantResource)
    )

    def structure_tenant_resource(value: object, cls: object) -> TenantResource:
        data = dict(_require_object(value))
        if "unitNum" not in data and "unitnum" in data:
            data["unitNum"] = data.pop("unitnum")
        return structure_resource(data, TenantResource)

    converter.register_structure_hook(TenantResource, structure_tenant_resource)

    overrides = renamed(RestoreRequest)
    overrides["restore_time"] = override(
        rename="restoreTime", struct_hook=lambda value, _: parse_aware_time(value)
    )
    structure_request = make_dict_structure_fn(RestoreRequest, converter, **overrides)

    def structure_restore_request(value: object, cls: object) -> RestoreRequest:
        data = _require_object(value)
        missing = [key for key in RESTORE_REQUIRED_WIRE_FIELDS if key not in data]
        if missing:
            raise ValueError(f"missing required field(s): {', '.join(missing)}")
        return structure_request(data, RestoreRequest)

    converter.register_structure_hook(RestoreRequest, structure_restore_request)

    return converter


def _is_array_type(cls: Any) -> bool:
    """``list[X]`` or ``tuple[X, ...]``: what a JSON array is structured into."""
    origin = get_origin(cls)
    if origin is list:
        return True
    arguments = get_args(cls)
    return origin is tuple and len(arguments) == 2 and arguments[1] is Ellipsis


def _is_attrs_class(cls: Any) -> bool:
    origin = getattr(cls, "__origin__", cls)
    return isinstance(origin, type) and attrs.has(origin)


def _require_object(value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a JSON object, got {type(value).__name__}")
    return cast(Mapping[str, Any], value)


converter = _build_converter()
"""The one converter between wire JSON and the models."""


def describe_structure_error(error: BaseException) -> str:
    """One line naming every problem of a failed structure, each with its path."""
    if isinstance(error, cattrs.BaseValidationError):
        problems = []
        for line in cattrs.transform_error(error, path="$", format_exception=_format_problem):
            message, _, path = line.rpartition(" @ ")
            field, _, reason = message.rpartition(_FIELD_MARK)
            if field:
                path, message = f"{path}.{camel_case(field)}", reason
            problems.append(f"{_PATH_SEGMENT.sub(_camel_segment, path)}: {message}")
        return "; ".join(problems)
    if isinstance(error, InvalidInputError):
        return str(error)
    return _format_problem(error, None)


_FIELD_MARK = "\x1f"
_PATH_SEGMENT = re.compile(r"\.([a-z][a-z0-9_]*)")


def _camel_segment(match: re.Match[str]) -> str:
    return "." + camel_case(match.group(1))


def _format_problem(error: BaseException, _type: object) -> str:
    if isinstance(error, KeyError):
        return "required field missing"
    if isinstance(error, InvalidInputError):
        # A model validator names its field; carry it into the path (see above).
        return f"{error.where}{_FIELD_MARK}{error.reason}" if error.where else error.reason
    return str(error) or type(error).__name__


def from_wire(cls: type[T], data: object) -> T:
    """Structure decoded wire JSON into ``cls``; every problem is named in one error.

    Strict: every field must fit (unknown keys aside). Answers are read with
    :func:`from_answer`."""
    try:
        return converter.structure(data, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as error:
        raise InvalidInputError(
            f"invalid {_type_name(cls)}: {describe_structure_error(error)}"
        ) from None


def from_answer(cls: type[T], data: object) -> T:
    """Structure an answer's decoded ``data`` into ``cls``, tolerantly: unknown fields and
    informative ones that do not fit are left out (:mod:`ob_async._wire.tolerant`); every
    problem with a field the client decides on is named, with its path, in one error."""
    if not _wire_logger.isEnabledFor(logging.DEBUG):
        # An answer that fits whole (the usual one) reads the same either way: once is enough.
        try:
            return converter.structure(data, cls)
        except (cattrs.BaseValidationError, ValueError, TypeError, KeyError):
            pass
    return from_wire(cls, leave_out_unusable(cls, data, converter.structure, camel_case))


def to_wire(obj: object) -> Any:
    """Unstructure a model into camelCase JSON-ready Python objects."""
    return converter.unstructure(obj)


def to_json_bytes(obj: object) -> bytes:
    """A model as the compact JSON bytes that go on the wire."""
    return jsonwire.dumps(converter.unstructure(obj))


def from_json(cls: type[T], payload: str | bytes) -> T:
    """Parse JSON text and structure it into ``cls``."""
    try:
        data = jsonwire.loads(payload)
    except (ValueError, RecursionError) as error:
        raise InvalidInputError(f"not valid JSON: {error}") from None
    return from_wire(cls, data)


def structure_page(item_type: type[T], data: object) -> Page[T]:
    """Structure a list call's ``data`` (``dataList`` + ``total``) into a page."""
    return from_wire(Page[item_type], data)  # type: ignore[valid-type]


def _type_name(cls: object) -> str:
    args = getattr(cls, "__args__", None)
    origin = getattr(cls, "__origin__", cls)
    name = str(getattr(origin, "__name__", origin))
    if args:
        name += "[" + ", ".join(getattr(arg, "__name__", str(arg)) for arg in args) + "]"
    return name
