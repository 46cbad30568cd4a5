"""A simulated tenant's data as of one moment: the rows its fixture tables held then.

A restore at time T holds exactly the rows of its source created up to T: a
``rows`` table's rows are one second apart from ``since``, a heartbeat's rows
sit at every multiple of ``every`` from ``since`` on, so the newest heartbeat a
restore at T holds is at most ``every`` older than T. A heartbeat keeps its
newest :data:`MAX_HEARTBEAT_ROWS` rows (ids still count from ``since``), so that
a one-second heartbeat over a month does not fill the memory.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import attrs

from ob_async.simulator._fixture import TableSpec

MAX_HEARTBEAT_ROWS = 20_000

Rows = list[dict[str, Any]]


@attrs.frozen
class Snapshot:
    """Tables by database and name (rows as dicts), and their column types."""

    tables: dict[str, dict[str, Rows]]
    schema: dict[str, dict[str, dict[str, str]]]

    def has_table(self, database: str, name: str) -> bool:
        return name.lower() in self.tables.get(database.lower(), {})


def _utc(moment: float) -> datetime:
    # DATETIME columns carry no zone; the simulated tenant's time zone is UTC.
    return datetime.fromtimestamp(moment, UTC).replace(tzinfo=None)


def _rows_table(spec: TableSpec, since: float, as_of: float) -> Rows:
    assert spec.rows is not None
    count = min(spec.rows, max(0, math.floor(as_of - since) + 1))
    return [
        {"id": index, "amount": (index * 37) % 1000, "created_at": _utc(since + index - 1)}
        for index in range(1, count + 1)
    ]


def _heartbeat_table(spec: TableSpec, since: float, as_of: float) -> Rows:
    assert spec.every is not None
    every = spec.every
    first = math.ceil(since / every)
    last = math.floor(as_of / every)
    start = max(first, last - MAX_HEARTBEAT_ROWS + 1)
    return [
        {"id": step - first + 1, "updated_at": _utc(step * every)}
        for step in range(start, last + 1)
    ]


_ROWS_COLUMNS = {"id": "INT", "amount": "INT", "created_at": "DATETIME"}
_HEARTBEAT_COLUMNS = {"id": "INT", "updated_at": "DATETIME"}


def snapshot(specs: Iterable[TableSpec], *, as_of: float, now: float) -> Snapshot:
    """The tables as they were at ``as_of``; relative ``since`` times resolve against ``now``."""
    tables: dict[str, dict[str, Rows]] = {}
    schema: dict[str, dict[str, dict[str, str]]] = {}
    for spec in specs:
        since = spec.since.resolve(now)
        if spec.rows is not None:
            rows, columns = _rows_table(spec, since, as_of), _ROWS_COLUMNS
        else:
            rows, columns = _heartbeat_table(spec, since, as_of), _HEARTBEAT_COLUMNS
        tables.setdefault(spec.database.lower(), {})[spec.name.lower()] = rows
        schema.setdefault(spec.database.lower(), {})[spec.name.lower()] = dict(columns)
    return Snapshot(tables, schema)
