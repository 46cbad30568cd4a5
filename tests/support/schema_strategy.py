"""Hypothesis strategies for the JSON documents a contract schema allows.

Written for these tests because hypothesis-jsonschema (0.23.1, its last release)
reaches into Hypothesis internals that current Hypothesis no longer has. It covers
the part of JSON Schema the contract uses: ``type`` (one or a list, ``null``
included), ``properties``/``required``/``additionalProperties`` (absent: any other
field may come along, with any JSON value), ``items``/``maxItems``, ``allOf``,
``const``, ``enum``, ``minLength``, ``minimum``/``maximum``, ``maxProperties``, and
``format`` (with strategies given for custom formats); ``{}`` is any JSON value.
A schema keyword it does not know fails loudly rather than being ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

_KNOWN = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "maxItems",
        "allOf",
        "const",
        "enum",
        "minLength",
        "minimum",
        "maximum",
        "maxProperties",
        "format",
        "pattern",  # only beside a format whose strategy matches it
    }
)
_EXTRA_NAMES = st.text(
    alphabet=st.characters(min_codepoint=97, max_codepoint=122), min_size=1, max_size=12
)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
ANY_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_EXTRA_NAMES, inner, max_size=3),
    max_leaves=8,
)


def merged(parts: list[Mapping[str, Any]]) -> dict[str, Any]:
    """One schema for ``allOf: parts`` (each part's constraints kept, later ones narrowing)."""
    result: dict[str, Any] = {}
    for given in parts:
        part = dict(given)
        if "allOf" in part:
            part = {**merged(part.pop("allOf")), **part}
        for key, value in part.items():
            if key == "properties":
                properties = dict(result.get("properties", {}))
                for name, inner in value.items():
                    properties[name] = (
                        merged([properties[name], inner]) if name in properties else inner
                    )
                result["properties"] = properties
            elif key == "required":
                result["required"] = sorted({*result.get("required", ()), *value})
            else:
                result[key] = value
    return result


def strategy(
    schema: Mapping[str, Any], formats: Mapping[str, st.SearchStrategy[str]]
) -> st.SearchStrategy[Any]:
    """Documents ``schema`` allows (``formats``: strategies of custom string formats)."""
    schema = dict(schema)
    if "allOf" in schema:
        schema = merged([{k: v for k, v in schema.items() if k != "allOf"}, *schema["allOf"]])
    unknown = set(schema) - _KNOWN
    if unknown:
        raise ValueError(f"schema keywords not supported: {sorted(unknown)}")
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kinds = schema.get("type")
    if kinds is None:
        return ANY_JSON if not schema.get("properties") else _object(schema, formats)
    if isinstance(kinds, list):
        return st.one_of([strategy({**schema, "type": kind}, formats) for kind in kinds])
    return _typed(kinds, schema, formats)


def _typed(
    kind: str, schema: Mapping[str, Any], formats: Mapping[str, st.SearchStrategy[str]]
) -> st.SearchStrategy[Any]:
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    if kind == "number":
        return st.floats(
            schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False
        )
    if kind == "string":
        fmt = schema.get("format")
        if fmt is not None:
            return formats[fmt]
        return st.text(min_size=schema.get("minLength", 0), max_size=24)
    if kind == "array":
        return st.lists(
            strategy(schema.get("items", {}), formats), max_size=schema.get("maxItems", 3)
        )
    if kind == "object":
        return _object(schema, formats)
    raise ValueError(f"type {kind!r} not supported")


def _object(
    schema: Mapping[str, Any], formats: Mapping[str, st.SearchStrategy[str]]
) -> st.SearchStrategy[dict[str, Any]]:
    if schema.get("maxProperties") == 0:
        return st.just({})
    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    known = st.fixed_dictionaries(
        {name: strategy(properties[name], formats) for name in sorted(required)},
        optional={
            name: strategy(inner, formats)
            for name, inner in properties.items()
            if name not in required
        },
    )
    if schema.get("additionalProperties", True) is False:
        return known
    extra = st.dictionaries(
        _EXTRA_NAMES.filter(lambda name: name not in properties), ANY_JSON, max_size=2
    )
    return st.tuples(known, extra).map(lambda pair: {**pair[1], **pair[0]})
