"""Templates in a plan's values: ``{drill}``, ``{date}``, ``{index}``... rendered for
one restore of one run, with unknown fields refused by name."""

from __future__ import annotations

import string
from collections.abc import Mapping

TEMPLATE_FIELDS = frozenset(
    {
        "drill",
        "date",
        "time",
        "run",
        "index",
        "source_instance_id",
        "source_tenant_id",
        "target_instance_id",
    }
)
TEMPLATED_KEYS = ("target_tenant_name", "description", "target_instance_id", "instance_id")
"""The keys of a restore whose values are templates."""


def render(template: str, fields: Mapping[str, str]) -> str:
    """``template`` with its fields filled in; ValueError naming an unknown or bad field."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as error:
        raise ValueError(f"bad template {template!r}: {error}") from None
    unknown = names - TEMPLATE_FIELDS
    if unknown:
        allowed = ", ".join("{" + name + "}" for name in sorted(TEMPLATE_FIELDS))
        raise ValueError(
            f"unknown template field(s) {', '.join(sorted(unknown))} in {template!r}; "
            f"known: {allowed}"
        )
    return template.format_map(fields)
