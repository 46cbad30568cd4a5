"""Every planned item ends in every report exactly once: stops, signals, a damaged list.

Real subprocesses against a real simulator process; the simulator's own request
counts say what was sent.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from tests.cli.support import (
    cli_env,
    drill_command,
    read_report,
    run_drill,
    simulator,
    wait_for_journal,
    write_plan,
)


def restore_posts(stats: dict[str, Any]) -> int:
    return int(stats["requestsByRoute"].get("restore", 0))


def junit_suite(path: Path) -> ET.Element:
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    return suite


def start_drill(plan: Path, sim: Any, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        drill_command(plan, sim, *args),
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=plan.parent,
    )


def interrupt_twice(plan: Path, sim: Any, journal: Path, *, submitted: int) -> None:
    """Run the drill until ``submitted`` restores are sent, then stop it at once (two
    SIGINTs: those in flight are recorded as interrupted, for a resume to settle)."""
    process = start_drill(plan, sim, "--journal", str(journal))
    wait_for_journal(journal, "submitted", count=submitted)
    process.send_signal(signal.SIGINT)
    time.sleep(0.3)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    assert process.returncode == 130


def test_first_sigint_sends_no_post_after_the_stop_and_reports_every_item(
    tmp_path: Path,
) -> None:
    # With a rate cap, submits queue for the cap: before the fix each of them still
    # went out after the stop, one per second.
    plan = write_plan(tmp_path / "plan.toml", 20, drill="concurrency = 4\nrate = 1.0")
    report_path, junit_path, journal = tmp_path / "r.json", tmp_path / "r.xml", tmp_path / "j.jsonl"
    with simulator("--restore-seconds", "0.5", "--seed", "21") as sim:
        process = start_drill(
            plan,
            sim,
            "--report-json",
            str(report_path),
            "--junit",
            str(junit_path),
            "--journal",
            str(journal),
        )
        wait_for_journal(journal, "submitted", count=2)
        process.send_signal(signal.SIGINT)
        posts_at_stop = restore_posts(sim.stats())
        _, err = process.communicate(timeout=60)
        posts_at_end = restore_posts(sim.stats())
        created = {n for n in sim.tenant_names("ob-dr-east") if n.startswith("e2e_")}
    assert process.returncode == 130, err
    # At most the one request that may have been on the wire when the signal came.
    assert posts_at_end <= posts_at_stop + 1
    report = read_report(report_path)
    assert report["interrupted"] is True
    assert report["summary"]["items"] == 20
    assert len({i["key"] for i in report["items"]}) == 20
    sent = [i for i in report["items"] if i["state"] != "not_started"]
    assert {i["target"]["tenantName"] for i in sent} == created
    assert all(i["state"] == "online" for i in sent)
    unsent = [i for i in report["items"] if i["state"] == "not_started"]
    assert len(unsent) == 20 - len(sent) > 0
    assert all(i["error"].startswith("not started: ") and "SIGINT" in i["error"] for i in unsent)
    assert any("not started" in note for note in report["notes"])
    suite = junit_suite(junit_path)
    assert suite.get("tests") == "20"
    assert suite.get("skipped") == str(len(unsent))
    assert suite.get("failures") == "0"
    skipped = [case for case in suite.findall("testcase") if case.find("skipped") is not None]
    assert len(skipped) == len(unsent)
    assert all(
        (case.find("skipped").get("message") or "").startswith("not_started") for case in skipped
    )  # type: ignore[union-attr]


def test_sigterm_when_everything_is_in_flight_exits_143_with_every_item(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 3, drill="concurrency = 3")
    report_path, journal = tmp_path / "r.json", tmp_path / "j.jsonl"
    with simulator("--restore-seconds", "1.5", "--seed", "22") as sim:
        process = start_drill(
            plan, sim, "--report-json", str(report_path), "--journal", str(journal)
        )
        wait_for_journal(journal, "submitted", count=3)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 143, err
    report = read_report(report_path)
    assert report["interrupted"] is True
    assert report["summary"]["byState"] == {"online": 3}


def test_an_interrupted_run_resumes_to_every_item_once(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "plan.toml", 10, drill="concurrency = 2\nrestoring_per_instance = 2"
    )
    report_path, journal = tmp_path / "r.json", tmp_path / "j.jsonl"
    with simulator("--restore-seconds", "0.5", "--seed", "23") as sim:
        process = start_drill(plan, sim, "--journal", str(journal))
        wait_for_journal(journal, "online")
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
        assert process.returncode == 130
        resumed = run_drill(
            plan, sim, "--journal", str(journal), "--resume", "--report-json", str(report_path)
        )
        names = [n for n in sim.tenant_names("ob-dr-east") if n.startswith("e2e_")]
        stats = sim.stats()
    assert resumed.returncode == 0, resumed.stderr
    assert read_report(report_path)["summary"]["byState"] == {"online": 10}
    assert len(names) == len(set(names)) == 10
    assert restore_posts(stats) == 10  # nothing sent twice


def test_a_restore_list_damaged_mid_run_reports_every_item_and_exits_2(tmp_path: Path) -> None:
    sources = [f"tsh{n:03d}" for n in range(1, 13)]
    lines = [
        json.dumps(
            {
                "source_instance_id": "ob-prod-sh",
                "source_tenant_id": sources[n % len(sources)],
                "target_tenant_name": f"e2e_list_{n:04d}",
                "description": "x" * 40,
            }
        )
        for n in range(1, 121)
    ]
    restore_list = tmp_path / "restores.jsonl"
    restore_list.write_text("\n".join(lines) + "\n")
    plan = write_plan(
        tmp_path / "plan.toml",
        0,
        drill='concurrency = 8\nrestoring_per_instance = 8\nrestore_list = "restores.jsonl"',
    )
    report_path, journal = tmp_path / "r.json", tmp_path / "j.jsonl"
    with simulator("--restore-seconds", "0.1", "--seed", "24") as sim:
        process = start_drill(
            plan, sim, "--report-json", str(report_path), "--journal", str(journal)
        )
        wait_for_journal(journal, "submitting")
        # Damage line 100 in place (same length): past what the drill has buffered.
        data = bytearray(restore_list.read_bytes())
        start = sum(len(line) + 1 for line in lines[:99])
        data[start : start + len(lines[99])] = b"{" * len(lines[99])
        restore_list.write_bytes(bytes(data))
        _, err = process.communicate(timeout=120)
        created = {n for n in sim.tenant_names("ob-dr-east") if n.startswith("e2e_list_")}
    assert process.returncode == 2, err
    assert "restores.jsonl" in err
    report = read_report(report_path)
    assert "restores.jsonl" in report["runError"]
    assert report["summary"]["items"] == 120
    by_key = {i["key"]: i for i in report["items"]}
    assert len(by_key) == 120
    sent = {i["target"]["tenantName"]: i for i in report["items"] if i["state"] != "not_started"}
    assert set(sent) == created  # every restore that exists is in the report
    assert all(i["state"] == "online" for i in sent.values())
    assert 0 < len(sent) <= 99
    # Items 1-99 by name (those queued when the list failed: not_started), the rest by place.
    named = {f"ob-dr-east/e2e_list_{n:04d}" for n in range(1, 100)}
    placed = {f"restore[{n}]" for n in range(100, 121)}
    assert set(by_key) == named | placed
    assert all(by_key[key]["state"] == "not_started" for key in placed)


def test_dry_run_says_planned_never_ok(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 5)
    junit_path = tmp_path / "r.xml"
    with simulator("--seed", "25") as sim:
        done = run_drill(plan, sim, "--dry-run", "--junit", str(junit_path))
        stats = sim.stats()
    assert done.returncode == 0, done.stderr
    assert "5 planned" in done.stdout
    assert " ok" not in done.stdout.splitlines()[0]
    assert restore_posts(stats) == 0
    suite = junit_suite(junit_path)
    assert suite.get("skipped") == "5"
    assert suite.get("failures") == "0"


def test_a_resumed_restore_says_its_recovery_time_includes_the_outage(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 4, drill="concurrency = 4")
    report_path, journal = tmp_path / "r.json", tmp_path / "j.jsonl"
    with simulator("--restore-seconds", "2", "--seed", "26") as sim:
        interrupt_twice(plan, sim, journal, submitted=4)
        resumed = run_drill(
            plan, sim, "--journal", str(journal), "--resume", "--report-json", str(report_path)
        )
    assert resumed.returncode == 0, resumed.stderr
    items = read_report(report_path)["items"]
    assert [i["state"] for i in items] == ["online"] * 4
    for item in items:
        assert "includes the outage before the resume" in item["recoveryNote"]


def test_resume_dry_run_lists_every_item_including_the_sent_but_unsettled(
    tmp_path: Path,
) -> None:
    plan = write_plan(
        tmp_path / "plan.toml", 6, drill="concurrency = 2\nrestoring_per_instance = 2"
    )
    report_path, journal = tmp_path / "r.json", tmp_path / "j.jsonl"
    with simulator("--restore-seconds", "2", "--seed", "27") as sim:
        interrupt_twice(plan, sim, journal, submitted=2)
        posts_before = restore_posts(sim.stats())
        dry = run_drill(
            plan,
            sim,
            "--journal",
            str(journal),
            "--resume",
            "--dry-run",
            "--report-json",
            str(report_path),
        )
        posts_after = restore_posts(sim.stats())
    assert dry.returncode == 0, dry.stderr
    assert posts_after == posts_before  # a dry run sends nothing
    items = read_report(report_path)["items"]
    assert len(items) == 6
    unsettled = [i for i in items if i["resumed"]]
    assert unsettled, items
    assert all("would be looked up" in i["error"] for i in unsettled)
    assert {i["state"] for i in items} == {"planned"}
