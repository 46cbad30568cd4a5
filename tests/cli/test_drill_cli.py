"""`ob-restore drill` end to end: real subprocesses against a real simulator process.

The command line's own part: exit statuses (0, 1, 130, 143), signals (one stop, two
stops, a kill -9) and ``--resume``. The drill's behaviour behind it is tested in process,
on virtual time, in tests/drill_behaviour.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from tests.cli.support import (
    SECRET,
    cli_env,
    drill_command,
    read_report,
    run_drill,
    simulator,
    wait_for_journal,
    write_plan,
)


def restore_posts(stats: dict[str, object]) -> int:
    by_route = stats["requestsByRoute"]
    assert isinstance(by_route, dict)
    return int(by_route.get("restore", 0))


def test_successful_drill_exits_0_with_reports(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 6, drill='rto = "1m"')
    report_path, junit_path, journal = tmp_path / "r.json", tmp_path / "r.xml", tmp_path / "j.jsonl"
    with simulator("--restore-seconds", "0.3-0.8", "--seed", "1") as sim:
        done = run_drill(
            plan,
            sim,
            "--report-json",
            str(report_path),
            "--junit",
            str(junit_path),
            "--journal",
            str(journal),
        )
        stats = sim.stats()
    assert done.returncode == 0, done.stderr
    report = read_report(report_path)
    assert report["summary"]["items"] == 6
    assert report["summary"]["byState"] == {"online": 6}
    for item in report["items"]:
        assert item["ok"]
        assert item["metRto"] is True
        assert 0.2 < item["recoverySeconds"] < 10
        assert item["requestId"]
        assert item["attempts"][0]["sent"]
    assert restore_posts(stats) == 6
    suite = ET.parse(junit_path).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "6"
    assert suite.get("failures") == "0"
    assert len(suite.findall("testcase")) == 6
    events = [json.loads(line)["event"] for line in journal.read_text().splitlines()]
    assert events[0] == "run"
    assert Counter(events)["online"] == 6
    assert "recovery time: p50" in done.stdout


def test_partial_failure_exits_1_and_reports_each_failure(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 8)
    report_path, junit_path = tmp_path / "r.json", tmp_path / "r.xml"
    with simulator("--restore-seconds", "0.3", "--failure-rate", "0.5", "--seed", "3") as sim:
        done = run_drill(plan, sim, "--report-json", str(report_path), "--junit", str(junit_path))
    assert done.returncode == 1, done.stderr
    report = read_report(report_path)
    states = Counter(item["state"] for item in report["items"])
    assert states["restore_failed"] > 0
    assert states["online"] > 0
    assert states["online"] + states["restore_failed"] == 8
    failed_items = [i for i in report["items"] if i["state"] == "restore_failed"]
    assert all(i["lastStatus"] == "RESTORE_FAILED" for i in failed_items)
    suite = ET.parse(junit_path).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("failures") == str(states["restore_failed"])
    assert "FAILED" in done.stdout


def test_sigint_once_lets_in_flight_finish_and_writes_reports(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "plan.toml", 12, drill="concurrency = 2\nrestoring_per_instance = 2"
    )
    report_path, journal = tmp_path / "r.json", tmp_path / "j.jsonl"
    with simulator("--restore-seconds", "1.0", "--seed", "7") as sim:
        process = subprocess.Popen(
            drill_command(plan, sim, "--report-json", str(report_path), "--journal", str(journal)),
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        wait_for_journal(journal, "online")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        created = [n for n in sim.tenant_names("ob-dr-east") if n.startswith("e2e_")]
    assert process.returncode == 130, err
    report = read_report(report_path)
    assert report["interrupted"]
    # Every planned restore is in the report; what was sent finished, the rest never ran.
    assert report["summary"]["items"] == 12
    sent = [i for i in report["items"] if i["state"] != "not_started"]
    assert 0 < len(sent) < 12
    assert {i["target"]["tenantName"] for i in sent} == set(created)
    assert all(i["state"] == "online" for i in sent)
    assert report["summary"]["notStarted"] == 12 - len(sent)
    assert SECRET not in out + err


def test_sigint_twice_stops_at_once_still_recording_in_flight(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 12, drill="concurrency = 4")
    report_path, journal = tmp_path / "r.json", tmp_path / "j.jsonl"
    with simulator("--restore-seconds", "30", "--seed", "8") as sim:
        process = subprocess.Popen(
            drill_command(plan, sim, "--report-json", str(report_path), "--journal", str(journal)),
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        wait_for_journal(journal, "submitted", count=4)
        process.send_signal(signal.SIGINT)
        time.sleep(0.3)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
        created = [n for n in sim.tenant_names("ob-dr-east") if n.startswith("e2e_")]
    assert process.returncode == 130, err
    report = read_report(report_path)
    recorded = {i["target"]["tenantName"]: i for i in report["items"]}
    assert set(created) <= set(recorded)  # every restore that exists is accounted for
    assert any(i["state"] == "interrupted" for i in recorded.values())
    for name in created:
        assert recorded[name]["requestId"]


def test_sigterm_when_everything_is_in_flight_exits_143_with_every_item(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 3, drill="concurrency = 3")
    report_path, journal = tmp_path / "r.json", tmp_path / "j.jsonl"
    with simulator("--restore-seconds", "1.5", "--seed", "22") as sim:
        process = subprocess.Popen(
            drill_command(plan, sim, "--report-json", str(report_path), "--journal", str(journal)),
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        wait_for_journal(journal, "submitted", count=3)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    report = read_report(report_path)
    assert report["interrupted"] is True
    assert report["summary"]["byState"] == {"online": 3}


@pytest.mark.parametrize("kill_after", [0.4, 1.2, 2.5])
def test_kill_9_then_resume_creates_nothing_twice(tmp_path: Path, kill_after: float) -> None:
    plan = write_plan(tmp_path / "plan.toml", 16, drill="concurrency = 3")
    report_path, journal = tmp_path / "r.json", tmp_path / "j.jsonl"
    with simulator(
        "--restore-seconds", "0.5-1.5", "--seed", "9", "--faults", "reset_after@restore=0.2"
    ) as sim:
        process = subprocess.Popen(
            drill_command(plan, sim, "--journal", str(journal)),
            env=cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tmp_path,
        )
        time.sleep(kill_after)
        process.kill()
        process.wait()
        resumed = run_drill(
            plan, sim, "--journal", str(journal), "--resume", "--report-json", str(report_path)
        )
        names = [n for n in sim.tenant_names("ob-dr-east") if n.startswith("e2e_")]
        stats = sim.stats()
    assert resumed.returncode == 0, resumed.stderr
    report = read_report(report_path)
    assert report["summary"]["items"] == 16
    assert report["summary"]["byState"] == {"online": 16}
    assert len(names) == len(set(names)) == 16  # nothing created twice
    for item in report["items"]:
        ids = stats["requestIdsByTargetTenant"][item["target"]["tenantName"]]
        assert set(ids) == {item["requestId"]}  # one requestId across both runs
