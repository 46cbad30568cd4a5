"""The rules a check's SQL and expectation follow, and how an RPO value is read."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ob_async.data._expectations import Expectation, ExpectationError
from ob_async.data._rpo import RpoValueError, as_moment, measured_rpo
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


def test_rpo_values_are_read_as_utc_moments() -> None:
    moment = datetime(2026, 1, 13, 5, 58, tzinfo=UTC)
    assert as_moment(moment.replace(tzinfo=None)) == moment  # a DATETIME: UTC
    assert as_moment(moment.astimezone(UTC)) == moment
    assert as_moment(date(2026, 1, 13)) == datetime(2026, 1, 13, tzinfo=UTC)
    assert as_moment(int(moment.timestamp())) == moment  # epoch seconds
    assert as_moment("2026-01-13T13:58:00+08:00") == moment
    assert as_moment(b"2026-01-13 05:58:00") == moment
    with pytest.raises(RpoValueError, match="NULL"):
        as_moment(None)
    with pytest.raises(RpoValueError, match="not a time"):
        as_moment("yesterday")


def test_measured_rpo_is_the_reference_minus_the_newest_change() -> None:
    reference = datetime(2026, 1, 13, 5, 58, 34, tzinfo=UTC)
    assert measured_rpo(reference, reference - timedelta(seconds=34)) == 34.0
