"""The driver path against a real MySQL-protocol server: MariaDB, with the simulator's
tenant addresses pointing at it."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest

from ob_async._wire.addresses import Endpoint
from ob_async.data._driver import ReadOnlySession, SqlError
from ob_async.data._login import TenantLogin
from ob_async.data._spec import DataLimits
from tests.sqldata.drills import PASSWORD_ENV, plan_text, run_data_drill
from tests.sqldata.mariadb import ORDERS, READER, READER_PASSWORD, MariaDB

CHECKS = """
[rpo]
query = "SELECT MAX(updated_at) FROM app.heartbeat"
time_zone = "UTC"
target = "15m"

[[check]]
name = "orders restored"
sql = "SELECT COUNT(*) FROM app.orders"
expect = ">= 1000"

[[check]]
name = "recent heartbeat"
sql = "WITH beats AS (SELECT updated_at FROM app.heartbeat) SELECT COUNT(*) FROM beats"
expect = "= 121"

[[check]]
name = "tables"
sql = "SHOW TABLES"
expect = "= 'heartbeat'"
"""


async def test_a_drill_checks_and_measures_a_real_mariadb_tenant(
    tmp_path: Path, mariadb: MariaDB
) -> None:
    report, _ = await run_data_drill(
        tmp_path,
        plan_text(CHECKS).replace('user = "dr_reader"', f'user = "{READER}"'),
        environ={PASSWORD_ENV: READER_PASSWORD},
        sql_address=mariadb.address,
    )
    [item] = report["items"]
    assert item["ok"], item
    assert [check["value"] for check in item["checks"]] == [str(ORDERS), "121", "heartbeat"]
    assert item["newestChange"] == mariadb.newest_heartbeat.isoformat()
    # For "latest", the target is on the data-loss exposure: from the restore's request.
    requested = datetime.fromisoformat(item["submittedAt"])
    assert item["rpoSeconds"] == (requested - mariadb.newest_heartbeat).total_seconds()
    assert item["metRpo"] is True


async def test_an_impossible_check_fails_against_mariadb(tmp_path: Path, mariadb: MariaDB) -> None:
    impossible = CHECKS.replace('expect = ">= 1000"', 'expect = "> 1200"')
    report, _ = await run_data_drill(
        tmp_path,
        plan_text(impossible).replace('user = "dr_reader"', f'user = "{READER}"'),
        environ={PASSWORD_ENV: READER_PASSWORD},
        sql_address=mariadb.address,
    )
    [item] = report["items"]
    assert not item["ok"]
    assert item["checks"][0] == {
        "name": "orders restored",
        "ok": False,
        "value": str(ORDERS),
        "expect": "> 1200",
        "error": f"expected > 1200, got {ORDERS}",
    }


def _session(
    mariadb: MariaDB, password: str = READER_PASSWORD, **limits: object
) -> ReadOnlySession:
    return ReadOnlySession(
        Endpoint(host="127.0.0.1", port=mariadb.port),
        TenantLogin(READER, password=password, database="app"),
        DataLimits(**limits),  # type: ignore[arg-type]
    )


async def test_the_session_is_bounded_timed_and_in_utc(mariadb: MariaDB) -> None:
    async with _session(mariadb, check_timeout=1.0, max_rows=100) as session:
        assert await session.first_value("SELECT COUNT(*) FROM app.orders") == ORDERS
        with pytest.raises(SqlError, match="more than 100 rows"):
            await session.first_value("SELECT * FROM app.orders")
        with pytest.raises(SqlError, match="no result within 1s"):
            await session.first_value("SELECT SLEEP(5)")
        # A new connection after each broken query: still UTC, still read-only.
        assert await session.first_value("SELECT @@session.time_zone") == "+00:00"


async def test_a_write_that_slipped_past_the_rules_is_refused_by_the_transaction(
    mariadb: MariaDB,
) -> None:
    # root may write (dr_reader could not anyway): the session's READ ONLY transaction refuses.
    session = ReadOnlySession(
        Endpoint(host="127.0.0.1", port=mariadb.port),
        TenantLogin("root", password="", database="app"),
        DataLimits(),
    )
    async with session:
        with pytest.raises(SqlError, match="1792"):
            await session.first_value("DELETE FROM app.orders")
        assert await session.first_value("SELECT COUNT(*) FROM app.orders") == ORDERS


async def test_a_wrong_password_is_an_access_error_without_the_password(mariadb: MariaDB) -> None:
    with pytest.raises(SqlError) as refused:
        await _session(mariadb, password="Wrong-Pass-0000").connect()
    assert "1045" in str(refused.value)
    assert not refused.value.unreachable
    assert "Wrong-Pass-0000" not in str(refused.value)


TLS_CHECK = """
[[check]]
name = "over TLS"
sql = '''SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS
         WHERE VARIABLE_NAME = 'Ssl_cipher' '''
expect = "!= ''"
"""


def _tls_plan(ca_line: str) -> str:
    login = f"""
    [tenant_login]
    user = "{READER}"
    password_env = "{PASSWORD_ENV}"
    {ca_line}
    """
    return plan_text(TLS_CHECK, login=login, drill='timeout = "1h"')


async def test_an_address_that_says_use_ssl_is_reached_over_verified_tls(
    tmp_path: Path, mariadb: MariaDB
) -> None:
    (tmp_path / "tenant-ca.pem").write_bytes(mariadb.ca_file.read_bytes())
    report, _ = await run_data_drill(
        tmp_path,
        _tls_plan('ca_file = "tenant-ca.pem"'),
        environ={PASSWORD_ENV: READER_PASSWORD},
        sql_address=mariadb.address,
        sql_use_ssl=True,
    )
    [item] = report["items"]
    assert item["ok"], item
    assert item["checks"][0]["value"].startswith("TLS")


async def test_a_certificate_nobody_vouches_for_is_refused_at_once(
    tmp_path: Path, mariadb: MariaDB
) -> None:
    started = time.monotonic()
    report, _ = await run_data_drill(
        tmp_path,
        _tls_plan(""),  # the system's trust store does not know the test CA
        environ={PASSWORD_ENV: READER_PASSWORD},
        sql_address=mariadb.address,
        sql_use_ssl=True,
    )
    [item] = report["items"]
    assert not item["ok"]
    assert "CERTIFICATE_VERIFY_FAILED" in item["checks"][0]["error"]
    assert time.monotonic() - started < 60  # not retried for the item's hour
