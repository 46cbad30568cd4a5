"""The keys a plan may have, their types and defaults, and the conversion of a raw
TOML/JSON value to its key's type (with messages that name what was found)."""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from datetime import date, time
from typing import Any

from ob_async._wire.models import RestoreMode, RestoreObjectType
from ob_async.drill._plan.durations import parse_duration
from ob_async.drill._plan.restore_point import LATEST

DRILL_KEYS = {
    "name": str,
    "rto": "duration",
    "timeout": "duration",
    "concurrency": int,
    "restoring_per_instance": int,
    "rate": float,
    "burst": int,
    "cleanup": bool,
    "validate": bool,
    "zone_check": bool,
    "require_segregation": bool,
    "poll_initial": "duration",
    "poll_max": "duration",
    "restore_list": str,
    "simulator_fixture": str,
    "simulator_sql_address": str,
    "description": str,
    "seed": int,
    "hold": "duration",
}
ITEM_KEYS = {
    "instance_id": str,
    "source_instance_id": str,
    "source_tenant_id": str,
    "target_instance_id": str,
    "target_tenant_name": str,
    "target_tenant_primary_zone": str,
    "description": str,
    "restore_time": str,
    "restore_mode": str,
    "restore_object_type": str,
    "restore_objects": list,
    "from_remote": bool,
    "cpu": int,
    "memory": int,
    "unit_num": int,
    "rto": "duration",
    "hold": "duration",
    # Overrides of the data sections (see data_checks), checked there.
    "tenant_login": dict,
    "rpo": dict,
    "check": list,
}
REQUIRED_ITEM_KEYS = (
    "source_instance_id",
    "source_tenant_id",
    "target_instance_id",
    "target_tenant_name",
    "target_tenant_primary_zone",
    "cpu",
    "memory",
    "unit_num",
)
ITEM_DEFAULTS: dict[str, Any] = {
    "restore_time": LATEST,
    "restore_mode": RestoreMode.FROM_BACKUP_SET.value,
    "restore_object_type": RestoreObjectType.TENANT.value,
    "restore_objects": [],
    "from_remote": False,
    "description": "ob-async drill {drill} {date}",
}
NON_EMPTY_ITEM_KEYS = (
    "source_instance_id",
    "source_tenant_id",
    "target_instance_id",
    "target_tenant_name",
    "target_tenant_primary_zone",
)


def convert(value: object, expected: object) -> Any:
    """``value`` as the type ``expected`` (an entry of a key table); ValueError if not."""
    if expected == "duration":
        return parse_duration(value)
    if expected is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise ValueError(f"expected a finite number, got {value!r}")
            return float(value)
        raise ValueError(f"expected a number, got {_kind(value)}")
    if expected is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ValueError(f"expected an integer, got {_kind(value)}")
    if expected is bool:
        if isinstance(value, bool):
            return value
        raise ValueError(f"expected true or false, got {_kind(value)}")
    if expected is str:
        if isinstance(value, str):
            return value
        # TOML's own date-times are not strings: restore_time is written quoted.
        hint = '; quote it, with its zone: "2026-01-13T05:58:34Z"' if _is_time(value) else ""
        raise ValueError(f"expected a string, got {_kind(value)}{hint}")
    if expected is list or expected is dict:
        if isinstance(value, expected):
            return value
        shape = "an array" if expected is list else "a table"
        raise ValueError(f"expected {shape}, got {_kind(value)}")
    raise AssertionError(expected)


def typed_item(merged: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The values of known item keys converted to their types, and the keys that would not."""
    typed: dict[str, Any] = {}
    mistyped: set[str] = set()
    for key, value in merged.items():
        expected = ITEM_KEYS.get(key)
        if expected is None:
            continue
        try:
            typed[key] = convert(value, expected)
        except ValueError:
            mistyped.add(key)
    return typed, mistyped


def closest(key: str, schema: Mapping[str, Any]) -> str | None:
    """The known key ``key`` is most likely a typo of, if any."""
    matches = difflib.get_close_matches(key, list(schema), n=1, cutoff=0.75)
    return matches[0] if matches else None


def _kind(value: object) -> str:
    if _is_time(value):
        return f"the TOML date-time {value}"
    return f"{type(value).__name__} {value!r}"[:80]


def _is_time(value: object) -> bool:
    return isinstance(value, date | time)
