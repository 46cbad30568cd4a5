"""`ob-restore drill` against a rate-limited simulator: the run names its bottleneck, and
every recovery time comes with its interval, measured against the simulator's truth."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from tests.cli.support import read_report, run_drill, simulator, write_plan


def test_a_rate_limited_drill_names_the_limit_and_brackets_each_recovery(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "plan.toml",
        40,
        drill='rto = "1m"\nconcurrency = 32\nrestoring_per_instance = 200',
    )
    report_path = tmp_path / "r.json"
    with simulator("--restore-seconds", "1", "--rate-limit", "12", "--seed", "2") as sim:
        done = run_drill(plan, sim, "--report-json", str(report_path), "--json")
        truth = {entry["tenantName"]: entry for entry in sim.stats()["restoreTimes"]}
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    (bottleneck,) = [event for event in events if event["event"] == "bottleneck"]
    assert bottleneck["limit"] == "api_rate_limit"
    summary = next(event for event in events if event["event"] == "summary")
    assert summary["bottleneck"]["limit"] == "api_rate_limit"
    report = read_report(report_path)
    assert report["summary"]["bottleneck"]["limit"] == "api_rate_limit"
    for item in report["items"]:
        lower, upper = item["recoveryLowerSeconds"], item["recoveryUpperSeconds"]
        assert 0 <= lower <= upper == item["recoverySeconds"]
        assert item["rtoVerdict"] == "met"
        # The true moment lies inside the interval, on the client's clock: the restore
        # was sent at submittedAt, accepted after that, and ONLINE 1 s after acceptance.
        real = truth[item["target"]["tenantName"]]
        sent = datetime.fromisoformat(item["submittedAt"]).timestamp()
        assert sent <= real["acceptedAt"] + 0.05
        assert lower <= real["onlineAt"] - sent + 0.05
        assert real["onlineAt"] - sent <= upper + 0.05
