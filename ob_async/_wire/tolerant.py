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
    return _prune(cls, value, structure, wire_name, "$", lenient=False)


def _prune(
    cls: Any,
    value: object,
    structure: Structure,
    wire_name: Callable[[str], str],
    path: str,
    *,
    lenient: bool,
) -> object:
    cls = _without_none(cls)
    origin = get_origin(cls) or cls
    if isinstance(origin, type) and attrs.has(origin):
        if not isinstance(value, Mapping):
            return value  # the strict pass names it, or the caller drops it
        return _prune_object(
            cls, origin, value, structure=structure, wire_name=wire_name, path=path
        )
    item_type = _array_item(cls)
    if item_type is not None and isinstance(value, list):
        kept = []
        for index, item in enumerate(value):
            where = f"{path}[{index}]"
            pruned = _prune(item_type, item, structure, wire_name, where, lenient=lenient)
            if lenient and not _fits(pruned, item_type, structure, where):
                continue
            kept.append(pruned)
        return kept
    return value


def _prune_object(
    cls: Any,
    origin: type,
    value: Mapping[str, object],
    *,
    structure: Structure,
    wire_name: Callable[[str], str],
    path: str,
) -> dict[str, object]:
    fields = _wire_fields(origin, wire_name)
    arguments = dict(zip(getattr(origin, "__parameters__", ()), get_args(cls), strict=False))
    kept: dict[str, object] = {}
    for key, item in value.items():
        where = f"{path}.{key}"
        field = fields.get(key)
        if field is None:
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug("response field %s left out: not in the contract", where)
            continue
        field_type = _substituted(field.type, arguments)
        if field.metadata.get(INFORMATIVE):
            if item is None:
                continue  # null is "not given": the field keeps its default
            pruned = _prune(field_type, item, structure, wire_name, where, lenient=True)
            if not _fits(pruned, field_type, structure, where):
                continue
            kept[key] = pruned
        else:
            kept[key] = _prune(field_type, item, structure, wire_name, where, lenient=False)
    return kept


def _fits(value: object, cls: Any, structure: Structure, where: str) -> bool:
    try:
        structure(value, cls)
    except Exception as error:  # any refusal of an informative value means: leave it out
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("response field %s left out: %s", where, _reason(error))
        return False
    return True


def _reason(error: BaseException) -> str:
    exceptions = getattr(error, "exceptions", None)
    if exceptions:
        return "; ".join(_reason(inner) for inner in exceptions)
    return str(error) or type(error).__name__


@functools.cache
def _wire_fields(cls: type, wire_name: Callable[[str], str]) -> dict[str, attrs.Attribute[Any]]:
    attrs.resolve_types(cls)
    return {wire_name(field.name): field for field in attrs.fields(cls)}


def _without_none(cls: Any) -> Any:
    if get_origin(cls) in (Union, types.UnionType):
        arguments = [argument for argument in get_args(cls) if argument is not type(None)]
        if len(arguments) == 1:
            return arguments[0]
    return cls


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
