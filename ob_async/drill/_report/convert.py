"""The report's records to and from its camelCase JSON: one cattrs converter.

Written strictly: every field of every record, under its camelCase name
(``target_tenant_name`` → ``targetTenantName``), times in ISO 8601. An entry's
JSON keeps the report's published layout: ``source`` and ``target`` as objects,
``ok`` (derived, for readers), and the data checks' fields beside the others
(``dataOk``, ``rpoSeconds``, ``checks`` ...) rather than nested.

Read tolerantly: unknown fields are left out, missing optional ones take their
defaults, a version 1 report's counts are brought to this version's meaning;
a field that does not fit its type is an :class:`~ob_async.errors.InvalidInputError`
naming the field's path and the file (:func:`read_report`).

A record added to the report (any attrs class) is converted by the same rules
without more code here.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ob_async._wire.codec import camel_case, describe_structure_error, parse_time
from ob_async.drill._report.entry import DataOutcome, ReportEntry
from ob_async.drill._report.header import REPORT_VERSION, ReportSummary, RunHeader
from ob_async.errors import InvalidInputError

T = TypeVar("T")

_DATA_FIELDS = {
    camel_case(field.name): ("dataOk" if field.name == "ok" else camel_case(field.name))
    for field in attrs.fields(DataOutcome)
}
"""A data outcome's field (camelCase) → its key in the entry's JSON."""

_PLACED = {
    "sourceInstanceId": ("source", "instanceId"),
    "sourceTenantId": ("source", "tenantId"),
    "targetInstanceId": ("target", "instanceId"),
    "targetTenantName": ("target", "tenantName"),
    "tenantId": ("target", "tenantId"),
}
"""An entry's fields written inside its ``source`` and ``target`` objects."""


def _datetime(value: object, _: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 time, got {type(value).__name__}")
    return parse_time(value)


def _text(value: object, _: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _camel(cls: type[Any]) -> dict[str, Any]:
    return {field.name: override(rename=camel_case(field.name)) for field in attrs.fields(cls)}


def _object(value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _register_entry(converter: cattrs.Converter) -> None:
    """An entry in the report's layout: ``source`` and ``target`` objects, ``ok``, and the
    data outcome's fields beside the others."""
    flat_out = make_dict_unstructure_fn(ReportEntry, converter, **_camel(ReportEntry))
    flat_in = make_dict_structure_fn(ReportEntry, converter, **_camel(ReportEntry))

    def write(entry: ReportEntry) -> dict[str, Any]:
        flat = flat_out(entry)
        out: dict[str, Any] = {"key": flat.pop("key"), "index": flat.pop("index")}
        out["source"] = {}
        out["target"] = {}
        for name, (place, key) in _PLACED.items():
            out[place][key] = flat.pop(name)
        out["requestId"] = flat.pop("requestId")
        out["restoreTime"] = flat.pop("restoreTime")
        out["state"] = flat.pop("state")
        out["ok"] = entry.ok
        data = flat.pop("data")
        out.update(flat)
        if data is not None:
            out.update((_DATA_FIELDS[name], value) for name, value in data.items())
        return out

    def read(value: object, cls: type[ReportEntry]) -> ReportEntry:
        written = _object(value)
        flat = dict(written)
        flat.pop("ok", None)  # derived: recomputed from the rest
        for name, (place, key) in _PLACED.items():
            inner = written.get(place)
            if isinstance(inner, Mapping) and key in inner:
                flat[name] = inner[key]
        if "dataOk" in flat:
            flat["data"] = {
                name: flat.pop(key) for name, key in _DATA_FIELDS.items() if key in flat
            }
        return flat_in(flat, cls)

    converter.register_unstructure_hook(ReportEntry, write)
    converter.register_structure_hook(ReportEntry, read)


def _register_header(converter: cattrs.Converter) -> None:
    """The summary's ``data`` written only when there is some; a version 1 header read
    with its counts brought to this version's meaning."""
    summary_out = make_dict_unstructure_fn(ReportSummary, converter, **_camel(ReportSummary))
    header_in = make_dict_structure_fn(RunHeader, converter, **_camel(RunHeader))

    def write_summary(summary: ReportSummary) -> dict[str, Any]:
        out = summary_out(summary)
        if out["data"] is None:
            del out["data"]
        return out

    def read_header(value: object, cls: type[RunHeader]) -> RunHeader:
        header = header_in(_object(value), cls)
        if header.version < 2:  # version 1 counted the missed RTOs among the failed
            summary = attrs.evolve(
                header.summary, failed=max(0, header.summary.failed - header.summary.rto_missed)
            )
            header = attrs.evolve(header, version=REPORT_VERSION, summary=summary)
        return header

    converter.register_unstructure_hook(ReportSummary, write_summary)
    converter.register_structure_hook(RunHeader, read_header)


def _build() -> cattrs.Converter:
    converter = cattrs.Converter(detailed_validation=True)
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(datetime, _datetime)
    converter.register_structure_hook(str, _text)
    # A text enum is a str too: without its own hook it would be read as plain text.
    converter.register_structure_hook(enum.StrEnum, lambda value, cls: cls(value))
    # Every record, the ones added later too: its fields under their camelCase names.
    converter.register_unstructure_hook_factory(
        attrs.has, lambda cls: make_dict_unstructure_fn(cls, converter, **_camel(cls))
    )
    converter.register_structure_hook_factory(
        attrs.has, lambda cls: make_dict_structure_fn(cls, converter, **_camel(cls))
    )
    _register_entry(converter)
    _register_header(converter)
    return converter


converter = _build()


def to_json(record: object) -> Any:
    """A report record as its JSON value (objects, lists, strings, numbers)."""
    return converter.unstructure(record)


def from_json(value: object, cls: type[T], *, where: str) -> T:
    """A JSON value as ``cls``; InvalidInputError naming each bad field's path and ``where``."""
    try:
        return converter.structure(value, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError) as error:
        raise InvalidInputError(
            f"is not a readable report: {_report_paths(describe_structure_error(error))}",
            where=where,
        ) from None


_PATHS_AS_WRITTEN = {
    **{f"$.{name}": f"$.{place}.{key}" for name, (place, key) in _PLACED.items()},
    **{f"$.data.{name}": f"$.{key}" for name, key in _DATA_FIELDS.items()},
}


def _report_paths(text: str) -> str:
    """An entry's field paths as the JSON writes them (its flattened and nested fields)."""
    for path, written in _PATHS_AS_WRITTEN.items():
        text = text.replace(f"{path}:", f"{written}:").replace(f"{path}[", f"{written}[")
    return text


@attrs.frozen
class ReportDocument:
    """A JSON report read back: its header and its entries."""

    header: RunHeader
    items: tuple[ReportEntry, ...]


def read_report(path: Path) -> ReportDocument:
    """The JSON report ``path`` as typed records; InvalidInputError naming the file and field."""
    where = f"report {path}"
    try:
        document = json.loads(path.read_bytes())
    except OSError as error:
        raise InvalidInputError(f"cannot be read: {error.strerror}", where=where) from None
    except ValueError as error:
        raise InvalidInputError(f"is not JSON: {error}", where=where) from None
    if not isinstance(document, dict):
        raise InvalidInputError("is not a JSON object", where=where)
    items = document.pop("items", [])
    if not isinstance(items, list):
        raise InvalidInputError("items: expected a list", where=where)
    header = from_json(document, RunHeader, where=where)
    entries = tuple(
        from_json(item, ReportEntry, where=f"{where}, items[{number}]")
        for number, item in enumerate(items)
    )
    return ReportDocument(header=header, items=entries)
