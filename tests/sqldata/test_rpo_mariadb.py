"""The RPO against a real MariaDB whose heartbeat is written in +08:00: the two figures, time
zones named or refused, and a newest change after the restore point failing its item.

The simulated restores report the MariaDB's address, so what is measured is the server's
own data: its heartbeat's newest row is :attr:`MariaDB.newest_heartbeat` (UTC), written as
a DATETIME in UTC, a DATETIME in local time (+08:00), and a TIMESTAMP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from ob_async import ObClient, PollConfig, RestoreRequest, TenantResource
from ob_async.data import (
    DataSpec,
    DataVerdict,
    DataVerifier,
    RpoFigure,
    RpoMeasurement,
    RpoSpec,
    TenantLogin,
)
from ob_async.simulator import Simulator
from tests.sqldata.drills import PASSWORD_ENV, plan_text, run_data_drill
from tests.sqldata.mariadb import READER, READER_PASSWORD, MariaDB


@attrs.frozen
class _Restored:
    """A simulated restore whose tenant reports the MariaDB, ready to verify."""

    verifier: DataVerifier
    tenant_id: str
    restore_point: datetime
    requested_at: datetime

    async def rpo(self, spec: RpoSpec) -> RpoMeasurement:
        verdict: DataVerdict = await self.verifier.verify(
            "ob-dr-east",
            self.tenant_id,
            DataSpec(login=TenantLogin(READER, password=READER_PASSWORD, database="app"), rpo=spec),
            restore_point=self.restore_point,
            requested_at=self.requested_at,
            timeout=30,
        )
        assert verdict.rpo is not None
        return verdict.rpo


@asynccontextmanager
async def _restored(mariadb: MariaDB, restore_point: datetime) -> AsyncIterator[_Restored]:
    async with (
        Simulator(restore_seconds=0.1, sql_address=mariadb.address) as sim,
        ObClient(
            sim.url, sim.credentials, "p1", poll=PollConfig(initial_interval=0.1, max_interval=0.2)
        ) as client,
    ):
        request = RestoreRequest(
            source_instance_id="ob-prod-sh",
            source_tenant_id="tsh001",
            target_instance_id="ob-dr-east",
            target_tenant_name="rpo_zones",
            target_tenant_primary_zone="cn-shanghai-e",
            restore_time=restore_point,
            tenant_resource=TenantResource(cpu=1, memory=2, unit_num=1),
        )
        submission = await client.submit_restore("ob-dr-east", request, wait=True, timeout=60)
        assert submission.restore is not None
        assert submission.restore.tenant_id is not None
        assert submission.first_attempt_at is not None
        yield _Restored(
            DataVerifier(client),
            submission.restore.tenant_id,
            restore_point,
            submission.first_attempt_at,
        )


def _query(table: str) -> str:
    return f"SELECT MAX(updated_at) FROM app.{table}"


async def test_a_local_datetime_is_placed_by_the_plans_zone_and_refused_without_one(
    mariadb: MariaDB,
) -> None:
    point = mariadb.newest_heartbeat + timedelta(seconds=30)
    async with _restored(mariadb, point) as restored:
        unzoned = await restored.rpo(RpoSpec(query=_query("heartbeat_local"), target_seconds=60))
        offset = await restored.rpo(RpoSpec(query=_query("heartbeat_local"), time_zone="+08:00"))
        named = await restored.rpo(
            RpoSpec(query=_query("heartbeat_local"), time_zone="Asia/Shanghai")
        )
        stamped = await restored.rpo(RpoSpec(query=_query("heartbeat_ts")))
        wrong = await restored.rpo(RpoSpec(query=_query("heartbeat_local"), time_zone="UTC"))

    # Without a zone a DATETIME is no moment: the item fails, and the message names the fix.
    assert unzoned.error is not None
    assert "without a time zone" in unzoned.error
    assert 'rpo.time_zone = "+08:00"' in unzoned.error
    assert unzoned.restore_point_gap_seconds is None
    assert unzoned.met_target is False
    local_text = (mariadb.newest_heartbeat + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    assert unzoned.newest_change_as_read == local_text  # what was read, for the report
    # Named as an offset or an IANA zone, it is the moment written; a TIMESTAMP needs none.
    for found in (offset, named, stamped):
        assert found.error is None, found.error
        assert found.newest_change == mariadb.newest_heartbeat
        assert found.restore_point_gap_seconds == 30.0
    assert offset.newest_change_as_read == local_text
    assert (offset.time_zone, named.time_zone, stamped.time_zone) == (
        "+08:00",
        "Asia/Shanghai",
        None,
    )
    # The wrong zone puts the newest change eight hours after the restore point: an
    # error naming the likely causes, never a negative RPO that passes.
    assert wrong.error is not None
    assert "after the restore point" in wrong.error
    assert "time-zone" in wrong.error
    assert "live database" in wrong.error
    assert wrong.data_loss_exposure_seconds is None
    assert wrong.restore_point_gap_seconds is None


async def test_the_exposure_counts_from_the_request_and_the_gap_from_the_point(
    mariadb: MariaDB,
) -> None:
    point = mariadb.newest_heartbeat + timedelta(seconds=30)
    async with _restored(mariadb, point) as restored:
        spec = RpoSpec(query=_query("heartbeat_ts"), target_seconds=60)
        on_gap = await restored.rpo(spec)
        on_exposure = await restored.rpo(
            attrs.evolve(spec, target_applies_to=RpoFigure.DATA_LOSS_EXPOSURE)
        )
    exposure = (restored.requested_at - mariadb.newest_heartbeat).total_seconds()
    for found in (on_gap, on_exposure):
        assert found.restore_point == point
        assert found.requested_at == restored.requested_at
        assert found.restore_point_gap_seconds == 30.0
        assert found.data_loss_exposure_seconds == exposure
    assert exposure > 7 * 60  # the heartbeat stopped 7 minutes before the fixture started
    assert (on_gap.target_figure_seconds, on_gap.met_target) == (30.0, True)
    assert (on_exposure.target_figure_seconds, on_exposure.met_target) == (exposure, False)
    assert on_exposure.problem() == (
        f"data-loss exposure {exposure:.0f}s over its RPO target of 60s"
    )


def _drill_plan(rpo: str, restore_time: str = "latest") -> str:
    login = f"""
    [tenant_login]
    user = "{READER}"
    password_env = "{PASSWORD_ENV}"
    database = "app"
    """
    return plan_text(rpo, login=login, restore_time=restore_time)


async def _drill_item(tmp_path: Path, mariadb: MariaDB, plan: str) -> dict[str, Any]:
    report, _ = await run_data_drill(
        tmp_path, plan, environ={PASSWORD_ENV: READER_PASSWORD}, sql_address=mariadb.address
    )
    [item] = report["items"]
    return item  # type: ignore[no-any-return]


LOCAL_RPO = """
[rpo]
query = "SELECT MAX(updated_at) FROM app.heartbeat_local"
target = "1m"
"""


@pytest.mark.parametrize("zone", ["+08:00", "Asia/Shanghai"])
async def test_a_drill_to_a_past_point_is_judged_on_the_gap(
    tmp_path: Path, mariadb: MariaDB, zone: str
) -> None:
    point = mariadb.newest_heartbeat + timedelta(seconds=30)
    item = await _drill_item(
        tmp_path,
        mariadb,
        _drill_plan(
            LOCAL_RPO + f'time_zone = "{zone}"\n', point.isoformat().replace("+00:00", "Z")
        ),
    )
    assert item["ok"], item
    assert item["newestChange"] == mariadb.newest_heartbeat.isoformat()
    assert item["rpoSeconds"] == 30.0  # the gap; the exposure is over 7 minutes
    assert item["metRpo"] is True


async def test_a_drill_to_latest_is_judged_on_the_exposure(
    tmp_path: Path, mariadb: MariaDB
) -> None:
    item = await _drill_item(tmp_path, mariadb, _drill_plan(LOCAL_RPO + 'time_zone = "+08:00"\n'))
    requested = datetime.fromisoformat(item["submittedAt"])
    assert item["rpoSeconds"] == (requested - mariadb.newest_heartbeat).total_seconds()
    # The exposure includes the log archive's lag: the window ends 5 minutes back.
    assert requested - datetime.fromisoformat(item["restoreTime"]) >= timedelta(minutes=5)
    assert item["metRpo"] is False
    assert not item["ok"]


async def test_a_drills_naive_heartbeat_without_a_zone_fails_its_item_naming_the_fix(
    tmp_path: Path, mariadb: MariaDB
) -> None:
    item = await _drill_item(tmp_path, mariadb, _drill_plan(LOCAL_RPO))
    assert not item["ok"]
    assert item["rpoSeconds"] is None
    assert "rpo.time_zone" in item["rpoError"]


async def test_checks_pointed_at_a_live_database_fail_rather_than_measure_a_negative_rpo(
    tmp_path: Path, mariadb: MariaDB
) -> None:
    # A restore to a point before the newest change the database holds: the database
    # cannot be that restore (it is live, or its clock or zone is wrong).
    point = mariadb.newest_heartbeat - timedelta(minutes=10)
    rpo = LOCAL_RPO + 'time_zone = "+08:00"\n'
    item = await _drill_item(
        tmp_path, mariadb, _drill_plan(rpo, point.isoformat().replace("+00:00", "Z"))
    )
    assert not item["ok"]
    assert item["rpoSeconds"] is None
    assert item["metRpo"] is False
    assert "600s after the restore point" in item["rpoError"]
    assert "live database" in item["rpoError"]
