"""The rules a check's SQL and expectation follow, and how an RPO value is read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ob_async.data._expectations import Expectation, ExpectationError
from ob_async.data._rpo import (
    RpoValueError,
    TimeZoneError,
    newest_change,
    parse_time_zone,
)
from ob_async.data._statements import read_only_problem


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT COUNT(*) FROM app.orders",
        "select max(updated_at) from app.heartbeat;",
        "WITH recent AS (SELECT id FROM app.orders WHERE id > 10) SELECT COUNT(*) FROM recent",
        "WITH RECURSIVE n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n) SELECT * FROM n",
        "SHOW TABLES",
        "(SELECT 1) UNION (SELECT 2)",
        "SELECT 'DELETE FROM t; DROP TABLE x' FROM dual",  # keywords inside a string
        "SELECT `update`, `insert` FROM t",  # quoted names
        "SELECT REPLACE(name, 'a', 'b'), INSERT(name, 1, 1, 'x') FROM t",  # functions
        "SELECT 1 -- ; DROP TABLE x",  # a comment
    ],
)
def test_single_read_only_statements_are_accepted(sql: str) -> None:
    assert read_only_problem(sql) is None


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("", "empty"),
        ("  ;  ", "no statement"),
        ("SELECT 1; DROP TABLE app.orders", "more than one statement"),
        ("SELECT 1; SELECT 2", "more than one statement"),
        ("DELETE FROM app.orders", "starts with 'DELETE'"),
        ("UPDATE app.orders SET amount = 0", "starts with 'UPDATE'"),
        ("INSERT INTO app.orders VALUES (1)", "starts with 'INSERT'"),
        ("CALL cleanup()", "starts with 'CALL'"),
        ("SET @a = 1", "starts with 'SET'"),
        ("WITH x AS (SELECT 1) DELETE FROM app.orders", "WITH ... DELETE"),
        ("WITH x AS (SELECT 1) UPDATE app.orders SET a = 1", "WITH ... UPDATE"),
        ("SELECT * INTO OUTFILE '/tmp/x' FROM app.orders", "INTO"),
        ("SELECT * FROM app.orders FOR UPDATE", "locks"),
        ("SELECT * FROM app.orders LOCK IN SHARE MODE", "locks"),
        ("SELECT 'unterminated", "cannot be read as SQL"),
    ],
)
def test_anything_else_is_refused_with_the_reason(sql: str, reason: str) -> None:
    problem = read_only_problem(sql)
    assert problem is not None
    assert reason in problem


@pytest.mark.parametrize(
    ("text", "value", "ok"),
    [
        (">= 1000", 1200, True),
        (">= 1000", 999, False),
        ("> 0", Decimal("0.5"), True),
        ("< 5", "4", True),  # numeric text compares as a number
        ("= 1200", 1200, True),
        ("!= 0", 0, False),
        ("<> 3", 4, True),
        ("= 0.1", 0.1, True),  # decimals, not binary floats
        ("= 'ok'", "ok", True),
        ("= 'ok'", "OK", False),
        ("= 'it''s'", "it's", True),
        ("!= 'down'", b"up", True),
        ("is null", None, True),
        ("is not null", None, False),
        (">= 1", None, False),
        ("> 0", "abc", False),
    ],
)
def test_expectations_compare_the_value_seen(text: str, value: object, ok: bool) -> None:
    assert (Expectation.parse(text).problem(value) is None) is ok


def test_a_failed_expectation_says_what_was_expected_and_seen() -> None:
    assert Expectation.parse(">= 1000").problem(999) == "expected >= 1000, got 999"
    assert Expectation.parse("> 0").problem("abc") == "expected a number > 0, got abc"


@pytest.mark.parametrize("text", ["1000", ">= abc", "> 'x'", "about 5", "", "=> 3"])
def test_bad_expectations_are_refused(text: str) -> None:
    with pytest.raises(ExpectationError):
        Expectation.parse(text)


def _at(value: object, **how: object) -> datetime:
    return newest_change(value, **how).at  # type: ignore[arg-type]


def test_rpo_values_that_carry_their_zone_are_read_as_they_are() -> None:
    moment = datetime(2026, 1, 13, 5, 58, tzinfo=UTC)
    assert _at(moment) == moment
    assert _at(int(moment.timestamp())) == moment  # epoch seconds: UTC by definition
    assert _at("2026-01-13T13:58:00+08:00") == moment
    assert _at(b"2026-01-13T05:58:00Z") == moment
    # A TIMESTAMP column comes in the session's zone (UTC): naive, but placed.
    assert _at(moment.replace(tzinfo=None), in_session_zone=True) == moment


@pytest.mark.parametrize(
    "value",
    [datetime(2026, 1, 13, 13, 58), date(2026, 1, 13), "2026-01-13 13:58:00", b"2026-01-13"],
)
def test_a_value_without_a_zone_is_refused_unless_the_plan_names_one(value: object) -> None:
    with pytest.raises(RpoValueError) as refused:
        newest_change(value)
    assert "without a time zone" in str(refused.value)
    assert 'rpo.time_zone = "+08:00"' in str(refused.value)  # the fix, named


@pytest.mark.parametrize("zone", ["+08:00", "+0800", "Asia/Shanghai"])
def test_a_value_without_a_zone_is_read_in_the_plans_zone(zone: str) -> None:
    found = newest_change(datetime(2026, 1, 13, 13, 58), time_zone=zone)
    assert found.at == datetime(2026, 1, 13, 5, 58, tzinfo=UTC)
    assert found.as_read == "2026-01-13 13:58:00"
    assert found.time_zone == zone
    # A value that names its own zone keeps it, whatever the plan says.
    assert _at("2026-01-13T05:58:00Z", time_zone=zone) == found.at


def test_time_zones_are_offsets_utc_or_iana_names() -> None:
    assert parse_time_zone("UTC").utcoffset(None) == timedelta(0)
    assert parse_time_zone("Z").utcoffset(None) == timedelta(0)
    assert parse_time_zone("-05:30").utcoffset(None) == -timedelta(hours=5, minutes=30)
    assert parse_time_zone("America/New_York").utcoffset(datetime(2026, 7, 1)) == timedelta(
        hours=-4
    )
    for bad in ("+25:00", "Asia/Shangai", "8", "", "../etc/passwd"):
        with pytest.raises(TimeZoneError):
            parse_time_zone(bad)


def test_what_is_not_a_time_is_refused() -> None:
    with pytest.raises(RpoValueError, match="NULL"):
        newest_change(None)
    with pytest.raises(RpoValueError, match="not a time"):
        newest_change("yesterday")
