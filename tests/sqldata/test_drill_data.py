"""Data drills against the simulator: each restored tenant is logged into over the MySQL
protocol, its checks run, its RPO measured: the restore-point gap for a past point, the
data-loss exposure (from the request) for latest."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ob_async.data import _driver as driver
from tests.sqldata.drills import plan_text, run_data_drill

RPO = """
[rpo]
query = "SELECT MAX(updated_at) FROM app.heartbeat"
time_zone = "UTC"
target = "5m"
"""
ORDERS = """
[[check]]
name = "orders restored"
sql = "SELECT COUNT(*) FROM app.orders"
expect = ">= 1000"
"""


def _restore_point() -> datetime:
    """Three hours ago, 42 s past a minute: the newest heartbeat restored is 42 s older."""
    return datetime.now(UTC).replace(second=42, microsecond=0) - timedelta(hours=3)


def _item(report: dict[str, Any]) -> dict[str, Any]:
    [item] = report["items"]
    return item


async def test_a_past_points_rpo_is_the_restore_point_minus_the_newest_restored_change(
    tmp_path: Path,
) -> None:
    point = _restore_point()
    report, _ = await run_data_drill(
        tmp_path, plan_text(RPO + ORDERS, restore_time=point.isoformat().replace("+00:00", "Z"))
    )
    item = _item(report)
    assert item["ok"], item
    assert item["rpoSeconds"] == 42.0
    assert item["metRpo"] is True
    assert item["newestChange"] == point.replace(second=0).isoformat()
    assert item["checks"] == [
        {"name": "orders restored", "ok": True, "value": "1200", "expect": ">= 1000", "error": None}
    ]
    assert report["summary"]["data"]["rpoSeconds"]["max"] == 42.0


async def test_latests_rpo_is_the_exposure_from_the_request_window_lag_included(
    tmp_path: Path,
) -> None:
    # The simulated window ends 5 minutes before now: a restore to latest loses those 5
    # minutes (and up to a minute more, a heartbeat a minute) had the disaster come then.
    report, _ = await run_data_drill(tmp_path, plan_text(RPO.replace('"5m"', '"10m"')))
    item = _item(report)
    requested = datetime.fromisoformat(item["submittedAt"])
    window_end = datetime.fromisoformat(item["restoreTime"])
    newest = datetime.fromisoformat(item["newestChange"])
    assert newest <= window_end
    assert item["rpoSeconds"] == (requested - newest).total_seconds()
    assert 5 * 60 <= item["rpoSeconds"] < 6 * 60 + 30
    assert item["ok"]


async def test_a_target_the_gap_meets_but_the_exposure_misses_fails_a_latest_restore(
    tmp_path: Path,
) -> None:
    report, _ = await run_data_drill(tmp_path, plan_text(RPO.replace('"5m"', '"2m"')))
    item = _item(report)
    gap = (
        datetime.fromisoformat(item["restoreTime"]) - datetime.fromisoformat(item["newestChange"])
    ).total_seconds()
    assert gap < 60  # the backup is complete up to its point...
    assert item["rpoSeconds"] > 5 * 60  # ...but five minutes behind the present
    assert item["metRpo"] is False
    assert not item["ok"]


async def test_the_plan_may_apply_a_latest_restores_target_to_the_gap(tmp_path: Path) -> None:
    on_gap = RPO.replace('"5m"', '"2m"') + 'target_applies_to = "restore_point_gap"\n'
    report, _ = await run_data_drill(tmp_path, plan_text(on_gap))
    item = _item(report)
    gap = (
        datetime.fromisoformat(item["restoreTime"]) - datetime.fromisoformat(item["newestChange"])
    ).total_seconds()
    assert item["rpoSeconds"] == gap
    assert item["metRpo"] is True
    assert item["ok"]


async def test_an_impossible_check_fails_the_item_by_name_and_keeps_the_tenant(
    tmp_path: Path,
) -> None:
    impossible = ORDERS.replace(">= 1000", ">= 5000")
    report, sim = await run_data_drill(tmp_path, plan_text(impossible + RPO), cleanup=True)
    item = _item(report)
    assert item["state"] == "online"
    assert not item["ok"]
    assert item["checks"][0]["ok"] is False
    assert item["checks"][0]["error"] == "expected >= 5000, got 1200"
    assert report["summary"]["failed"] == 1
    assert report["summary"]["data"]["checksFailed"] == 1
    assert item["cleanup"] is None  # kept for inspection
    assert "tsh001_data" in {t["tenantName"] for t in sim.tenants("ob-dr-east")}


async def test_a_missed_rpo_target_fails_the_item(tmp_path: Path) -> None:
    point = _restore_point()
    tight = RPO.replace('target = "5m"', 'target = "30s"')
    report, _ = await run_data_drill(
        tmp_path, plan_text(tight, restore_time=point.isoformat().replace("+00:00", "Z"))
    )
    item = _item(report)
    assert item["rpoSeconds"] == 42.0
    assert item["metRpo"] is False
    assert not item["ok"]


async def test_per_restore_overrides_change_the_target_and_add_checks(tmp_path: Path) -> None:
    text = plan_text(RPO + ORDERS, restores=("tsh001", "tsh002"))
    text = text.replace(
        'source_tenant_id = "tsh002"\n',
        'source_tenant_id = "tsh002"\nrpo = { target = "1s" }\n\n'
        '[[restore.check]]\nname = "orders restored"\nsql = "SELECT COUNT(*) FROM app.orders"\n'
        'expect = "= 1200"\n\n'
        '[[restore.check]]\nname = "big orders"\nsql = "SELECT COUNT(*) FROM app.orders '
        'WHERE amount > 990"\nexpect = "> 0"\n',
    )
    report, _ = await run_data_drill(tmp_path, text)
    by_tenant = {item["source"]["tenantId"]: item for item in report["items"]}
    assert [c["expect"] for c in by_tenant["tsh001"]["checks"]] == [">= 1000"]
    assert [(c["name"], c["expect"]) for c in by_tenant["tsh002"]["checks"]] == [
        ("orders restored", "= 1200"),
        ("big orders", "> 0"),
    ]
    assert by_tenant["tsh002"]["rpoTargetSeconds"] == 1.0
    assert by_tenant["tsh001"]["rpoTargetSeconds"] == 300.0


async def test_an_address_not_yet_online_is_retried_within_the_items_timeout(
    tmp_path: Path,
) -> None:
    report, _ = await run_data_drill(tmp_path, plan_text(ORDERS), address_delay=1.5)
    assert _item(report)["ok"], _item(report)


async def test_an_address_that_never_comes_online_fails_every_check(tmp_path: Path) -> None:
    report, _ = await run_data_drill(
        tmp_path, plan_text(ORDERS + RPO, drill='timeout = "3s"'), address_delay=3600
    )
    item = _item(report)
    assert not item["ok"]
    assert "no ONLINE intranet address before the item's timeout" in item["checks"][0]["error"]
    assert "address status CREATING" in item["rpoError"]


async def test_a_refused_login_is_not_retried(tmp_path: Path) -> None:
    started = asyncio.get_running_loop().time()
    report, _ = await run_data_drill(
        tmp_path, plan_text(ORDERS, drill='timeout = "1h"'), tenant_password="another-password"
    )
    item = _item(report)
    assert "login to 127.0.0.1:" in item["checks"][0]["error"]
    assert "Access denied" in item["checks"][0]["error"]
    assert asyncio.get_running_loop().time() - started < 60  # not an hour of retries


async def test_slow_and_oversized_results_fail_their_check_and_the_next_one_runs(
    tmp_path: Path,
) -> None:
    checks = """
    [[check]]
    name = "slow"
    sql = "SELECT SLEEP(5)"
    expect = "= 0"
    timeout = "0.5s"

    [[check]]
    name = "every row"
    sql = "SELECT * FROM app.orders"
    expect = "> 0"
    max_rows = 10

    [[check]]
    name = "still connected"
    sql = "SELECT COUNT(*) FROM app.orders"
    expect = "= 1200"
    """
    report, _ = await run_data_drill(tmp_path, plan_text(checks))
    slow, every, still = _item(report)["checks"]
    assert slow["error"] == "no result within 0.5s (the check timeout)"
    assert "more than 10 rows" in every["error"]
    assert still["ok"]


async def test_the_internet_address_is_used_when_asked(tmp_path: Path) -> None:
    login = """
    [tenant_login]
    user = "dr_reader"
    password_env = "OB_TENANT_PASSWORD"
    network = "internet"
    """
    report, _ = await run_data_drill(tmp_path, plan_text(ORDERS, login=login))
    assert _item(report)["ok"]


async def test_tenant_connections_are_bounded_drill_wide(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_now = peak = 0
    real_connect, real_close = driver.ReadOnlySession.connect, driver.ReadOnlySession.close

    async def connect(self: driver.ReadOnlySession) -> None:
        nonlocal open_now, peak
        opening = self._connection is None
        await real_connect(self)
        if opening:
            open_now += 1
            peak = max(peak, open_now)
            await asyncio.sleep(0.2)  # hold it, so that overlaps would show

    async def close(self: driver.ReadOnlySession) -> None:
        nonlocal open_now
        if self._connection is not None:
            open_now -= 1
        await real_close(self)

    monkeypatch.setattr(driver.ReadOnlySession, "connect", connect)
    monkeypatch.setattr(driver.ReadOnlySession, "close", close)
    login = """
    [tenant_login]
    user = "dr_reader"
    password_env = "OB_TENANT_PASSWORD"
    max_connections = 2
    """
    report, _ = await run_data_drill(
        tmp_path, plan_text(ORDERS, login=login, restores=("tsh001", "tsh002", "tsh003", "tsh004"))
    )
    assert report["summary"]["data"]["verified"] == 4
    assert peak == 2


async def test_a_resumed_run_reports_the_data_its_journal_recorded(tmp_path: Path) -> None:
    text = plan_text(RPO + ORDERS.replace(">= 1000", ">= 5000"))
    first, _ = await run_data_drill(tmp_path, text)
    again, sim = await run_data_drill(tmp_path, text, resume=True, cleanup=True)
    [before], [after] = first["items"], again["items"]
    assert after["resumed"]
    for key in ("rpoSeconds", "metRpo", "checks", "dataOk"):
        assert after[key] == before[key], key
    assert not after["ok"]
    # Its data failed: the resumed clean-up keeps it for inspection too.
    assert after["cleanup"] is None
    assert sim.stats()["deletes"] == 0
