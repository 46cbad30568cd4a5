"""The tenant-name rule, and the largest resources a request may ask for: one definition
for the client's checks (plans, ``submit``) and the simulator's validation.

The rule is the one the OceanBase console states for tenant names: a letter, then
letters, digits or underscores, 64 characters at most. A name that breaks it is
refused by the server; checking it first names the problem before anything is sent
(a drill would otherwise find out one restore at a time).
"""

from __future__ import annotations

import re

TENANT_NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_]{0,63}"
"""Full-match pattern of a tenant name (the simulator's default rule too)."""

_TENANT_NAME = re.compile(TENANT_NAME_PATTERN)

MAX_RESOURCES = {"cpu": 1024, "memory": 16384, "unit_num": 256}
"""The largest value of each tenant resource worth sending (cores, GB, units per
zone): beyond any instance, so only a typo (or ``2**70``) asks for more."""


def tenant_name_problem(name: str) -> str | None:
    """What is wrong with ``name`` as a tenant name, or None. The name is shown with
    ``ascii()``, so that a newline or a control character cannot reach a terminal raw."""
    if _TENANT_NAME.fullmatch(name):
        return None
    shown = ascii(name if len(name) <= 80 else name[:77] + "...")
    if len(name) > 64:
        return f"{shown} is {len(name)} characters long; a tenant name has at most 64"
    return (
        f"{shown} is not a tenant name: a letter, then letters, digits or '_' "
        f"(pattern {TENANT_NAME_PATTERN})"
    )


def resource_problem(key: str, value: int) -> str | None:
    """What is wrong with a resource amount (``cpu``, ``memory``, ``unit_num``), or None."""
    if value < 1:
        return f"must be positive, got {value}"
    largest = MAX_RESOURCES[key]
    if value > largest:
        return f"{value} is more than any instance has; at most {largest}"
    return None
