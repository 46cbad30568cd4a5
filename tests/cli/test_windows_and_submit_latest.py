"""`ob-restore windows` lists restorable windows; `submit --restore-time latest` uses the newest."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ob_async._cli import main
from ob_async._wire.codec import parse_time

SUBMIT = (
    "submit",
    "--simulate",
    "--source-instance-id",
    "obxxx",
    "--source-tenant-id",
    "txxx",
    "--target-instance-id",
    "obxxx",
    "--target-tenant-name",
    "Latest001",
    "--zone",
    "cn-shanghai-e",
    "--cpu",
    "1",
    "--memory",
    "4",
    "--unit-num",
    "1",
    "--json",
)


def test_windows_lists_each_tenant_and_window(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["windows", "ob-prod-sh", "--simulate"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["TENANT", "NAME", "FROM", "(UTC)", "TO", "(UTC)"]
    tsh001 = [line.split() for line in lines if line.startswith("tsh001 ")]
    assert tsh001[0][2:] == ["2026-01-01T00:00:00Z", "2026-01-31T23:59:59Z"]
    assert len(tsh001) == 2  # the fixed January window and the rolling one, newest last
    newest_end = parse_time(tsh001[1][3])
    assert timedelta(0) < datetime.now(UTC) - newest_end < timedelta(minutes=10)
    assert '"latest" is the newest window\'s end' in lines[-1]


def test_windows_json_for_one_tenant(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["windows", "ob-prod-sh", "--tenant", "tsh002", "--simulate", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [tenant["tenantId"] for tenant in listed] == ["tsh002"]
    (tenant,) = listed
    assert tenant["latestRestorableTime"] == max(w["end"] for w in tenant["windows"])
    assert {"start": "2026-01-01T00:00:00Z", "end": "2026-01-31T23:59:59Z"}.items() <= tenant[
        "windows"
    ][0].items()


def test_windows_of_an_unknown_instance_fails_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["windows", "ob-nowhere", "--simulate"]) == 1
    assert "ob-nowhere" in capsys.readouterr().err


def test_windows_of_a_tenant_that_is_not_restorable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["windows", "ob-prod-sh", "--tenant", "nope", "--simulate"]) == 0
    assert capsys.readouterr().out == "no restorable tenant nope in ob-prod-sh\n"


def test_submit_accepts_latest_and_restores_to_the_newest_window_end(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([*SUBMIT, "--restore-time", "latest"]) == 0
    entry = json.loads(capsys.readouterr().out)
    assert entry["state"] == "submitted"
    restored_to = parse_time(entry["restoreTime"])
    # The simulator's rolling window ends five minutes before now.
    assert timedelta(minutes=4) < datetime.now(UTC) - restored_to < timedelta(minutes=10)


def test_submit_latest_of_a_tenant_without_windows_fails_before_sending(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = [*SUBMIT, "--restore-time", "latest"]
    argv[argv.index("txxx")] = "t-not-there"
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "--restore-time latest: source tenant t-not-there is not restorable from obxxx" in err


def test_submit_refuses_an_unparsable_time_mentioning_latest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([*SUBMIT, "--restore-time", "yesterday"]) == 2
    err = capsys.readouterr().err
    assert "--restore-time" in err
    assert "'latest'" in err
