"""Reading answers tolerantly: what the client decides nothing on never fails a call.

A response model's fields are of three kinds (contract/openapi.yaml says which is which):

- **decided on and required** (no default: ``tenantId``, ``tenantName``, ``status``, ...):
  absent or malformed, the call fails with a ProtocolError naming the JSON path;
- **decided on when present** (a default, no mark: ``createTime``, an address, a port):
  absent or null is fine, any other type fails the call the same way;
- **informative** (declared with :func:`informative`): absent, null, of another type or
  unparsable, the value is left out of the model (the field keeps its default) and a
  debug log names its path.

A field the model does not know (the server is newer than the contract) is left out with
a debug log too. :func:`leave_out_unusable` applies these rules to decoded JSON before the
strict structuring of :mod:`ob_async._wire.codec`, which then refuses only what is decided on.
"""

from __future__ import annotations

import functools
import logging
import types
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, Union, get_args, get_origin

import attrs

logger = logging.getLogger("ob_async.wire")

INFORMATIVE = "ob_async.informative"
"""attrs field metadata key: the client decides nothing on this response field."""

Structure = Callable[[Any, Any], Any]
"""A converter's structure function: (value, type) -> model, raising when it does not fit."""


def informative(
    *, factory: Callable[[], Any] | None = None, validator: Callable[..., Any] | None = None
) -> Any:
    """A response field read tolerantly: default None (or ``factory()``), never an error."""
    if factory is not None:
        return attrs.field(factory=factory, validator=validator, metadata={INFORMATIVE: True})
    return attrs.field(default=None, validator=validator, metadata={INFORMATIVE: True})


def leave_out_unusable(
    cls: Any, value: object, structure: Structure, wire_name: Callable[[str], str]
) -> object:
    """``value`` without the unknown fields and the unusable informative ones of ``cls``."""
    return _prune(cls, value, _Reading(structure, wire_name), "$", lenient=False)


@attrs.frozen
class _Reading:
    structure: Structure
    wire_name: Callable[[str], str]


@attrs.frozen
class _Field:
    """How to read one field: its type, whether it is informative, and for a value that
    is neither an object nor an array, the check it must pass (None: the converter's)."""

    type: Any
    informative: bool
    check: Callable[[object], bool] | None


def _prune(cls: Any, value: object, reading: _Reading, path: str, *, lenient: bool) -> object:
    cls = _without_none(cls)
    fields = _fields_of(cls, reading.wire_name)
    if fields is not None:
        if not isinstance(value, Mapping):
            return value  # the strict pass names it, or the caller drops it
        return _prune_object(fields, value, reading, path)
    item_type = _array_item(cls)
    if item_type is not None and isinstance(value, list):
        kept = []
        for index, item in enumerate(value):
            where = f"{path}[{index}]"
            pruned = _prune(item_type, item, reading, where, lenient=lenient)
            if lenient and not _fits(pruned, item_type, reading, where):
                continue
            kept.append(pruned)
        return kept
    return value


def _prune_object(
    fields: Mapping[str, _Field], value: Mapping[str, object], reading: _Reading, path: str
) -> dict[str, object]:
    kept: dict[str, object] = {}
    for key, item in value.items():
        field = fields.get(key)
        if field is None:
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("response field %s.%s left out: not in the contract", path, key)
            continue
        if not field.informative:
            kept[key] = _prune(field.type, item, reading, f"{path}.{key}", lenient=False)
            continue
        if item is None:
            continue  # null is "not given": the field keeps its default
        if field.check is not None:
            if field.check(item):
                kept[key] = item
            elif logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "response field %s.%s left out: %s is not a %s",
                    path,
                    key,
                    type(item).__name__,
                    getattr(_without_none(field.type), "__name__", field.type),
                )
            continue
        where = f"{path}.{key}"
        pruned = _prune(field.type, item, reading, where, lenient=True)
        if _fits(pruned, field.type, reading, where):
            kept[key] = pruned
    return kept


def _fits(value: object, cls: Any, reading: _Reading, where: str) -> bool:
    inner = _without_none(cls)
    fields = _fields_of(inner, reading.wire_name)
    if fields is not None and isinstance(value, Mapping) and _all_optional(inner):
        return True  # pruned already: every field left in it fits
    check = _LEAF_CHECKS.get(inner)
    if check is not None and check(value):
        return True
    try:
        reading.structure(value, cls)
    except Exception as error:  # any refusal of an informative value means: leave it out
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("response field %s left out: %s", where, _reason(error))
        return False
    return True


def _is_text(value: object) -> bool:
    # As the converter reads a string: a numeric id is still an id.
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _is_integer(value: object) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        float(value)
    except OverflowError:  # an integer too large for a float
        return False
    return True


def _is_boolean(value: object) -> bool:
    return isinstance(value, bool)


_LEAF_CHECKS: dict[Any, Callable[[object], bool]] = {
    str: _is_text,
    int: _is_integer,
    float: _is_number,
    bool: _is_boolean,
}
"""What the converter accepts for each primitive type (ob_async._wire.codec's strict
hooks), checked without structuring: most of an answer's fields are such values."""


@functools.cache
def _fields_of(cls: Any, wire_name: Callable[[str], str]) -> dict[str, _Field] | None:
    """How to read each field of ``cls`` by its wire name; None if it is not an attrs class."""
    origin = get_origin(cls) or cls
    if not (isinstance(origin, type) and attrs.has(origin)):
        return None
    attrs.resolve_types(origin)
    arguments = dict(zip(getattr(origin, "__parameters__", ()), get_args(cls), strict=False))
    fields = {}
    for field in attrs.fields(origin):
        field_type = _substituted(field.type, arguments)
        fields[wire_name(field.name)] = _Field(
            type=field_type,
            informative=bool(field.metadata.get(INFORMATIVE)),
            check=_LEAF_CHECKS.get(_without_none(field_type)),
        )
    return fields


@functools.cache
def _all_optional(cls: type) -> bool:
    return all(field.default is not attrs.NOTHING for field in attrs.fields(cls))


def _reason(error: BaseException) -> str:
    exceptions = getattr(error, "exceptions", None)
    if exceptions:
        return "; ".join(_reason(inner) for inner in exceptions)
    return str(error) or type(error).__name__


@functools.cache
def _without_none(cls: Any) -> Any:
    if get_origin(cls) in (Union, types.UnionType):
        arguments = [argument for argument in get_args(cls) if argument is not type(None)]
        if len(arguments) == 1:
            return arguments[0]
    return cls


@functools.cache
def _array_item(cls: Any) -> Any:
    origin, arguments = get_origin(cls), get_args(cls)
    if origin is list and arguments:
        return arguments[0]
    if origin is tuple and len(arguments) == 2 and arguments[1] is Ellipsis:
        return arguments[0]
    return None


def _substituted(cls: Any, arguments: dict[Any, Any]) -> Any:
    if isinstance(cls, TypeVar):
        return arguments.get(cls, Any)
    origin = get_origin(cls)
    if origin is tuple and arguments:
        inner = get_args(cls)
        if len(inner) == 2 and inner[1] is Ellipsis:
            return tuple[_substituted(inner[0], arguments), ...]  # type: ignore[misc]
    return cls
