"""A simulated source tenant's tables, and what a restore at time T holds of them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ob_async.simulator._fixture import FixtureError, parse_fixture
from ob_async.simulator._tenant_data import snapshot


def _fixture(tables: list[dict[str, object]]) -> object:
    return parse_fixture(
        {
            "instances": [
                {
                    "id": "src",
                    "zones": ["z1"],
                    "cpu": 8,
                    "memory": 8,
                    "tenants": [
                        {"id": "t1", "name": "app1", "cpu": 1, "memory": 1, "tables": tables}
                    ],
                }
            ]
        }
    )


def test_a_restore_at_t_holds_exactly_the_rows_up_to_t() -> None:
    fixture = _fixture(
        [
            {"name": "app.orders", "rows": 100, "since": "2026-01-13T00:00:00Z"},
            {"name": "app.heartbeat", "every": "1m", "since": "2026-01-13T00:00:00Z"},
        ]
    )
    [tenant] = fixture.instances[0].tenants  # type: ignore[attr-defined]
    at = datetime(2026, 1, 13, 1, 0, 30, tzinfo=UTC).timestamp()
    data = snapshot(tenant.tables, as_of=at, now=at + 86400)
    beats = data.tables["app"]["heartbeat"]
    assert len(beats) == 61  # 00:00 .. 01:00, one a minute, both ends included
    assert beats[-1]["updated_at"] == datetime(2026, 1, 13, 1, 0)
    assert len(data.tables["app"]["orders"]) == 100  # all created in the first 100 s
    early = snapshot(
        tenant.tables, as_of=datetime(2026, 1, 13, 0, 0, 9, tzinfo=UTC).timestamp(), now=at
    )
    assert len(early.tables["app"]["orders"]) == 10  # one a second from 00:00:00
    assert len(early.tables["app"]["heartbeat"]) == 1
    assert data.schema["app"]["heartbeat"] == {"id": "INT", "updated_at": "DATETIME"}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"name": "orders", "rows": 3}, "database.table"),
        ({"name": "app.t", "rows": 3, "every": "1m", "since": "now"}, "exactly one of"),
        ({"name": "app.t"}, "exactly one of"),
        ({"name": "app.t", "every": "1m"}, "since: is required"),
        ({"name": "app.t", "every": "soon", "since": "now"}, "not an interval"),
        ({"name": "app.t", "rows": 0}, "positive integer"),
        ({"name": "app.t", "rows": 1, "colour": "red"}, "unknown key"),
    ],
)
def test_bad_tables_are_refused_with_their_field(table: dict[str, object], message: str) -> None:
    with pytest.raises(FixtureError, match=message):
        _fixture([table])
