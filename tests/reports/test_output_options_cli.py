"""The drill's report outputs end to end, and reports rebuilt from journals (crashed runs too).

Real subprocesses: ``ob-restore drill`` against the embedded simulator and
against a simulator process holding a recognisable secret, local webhook
receivers, ``ob-restore report`` on a journal cut where a crash would cut it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ob_async._cli import main
from ob_async.drill._runner import DrillRunner
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
from tests.reports.test_html_browser import ARTIFACTS, NAMES_IN_TABLE
from tests.reports.test_notify import receiver
from tests.support.browser import chromium

EXAMPLE = Path(__file__).parents[2] / "examples" / "weekly-drill.toml"


def ob_restore(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ob_async", *args],
        capture_output=True,
        text=True,
        env=cli_env(),
        timeout=180,
        check=False,
        cwd=cwd,
    )


def metric_values(path: Path) -> dict[str, float]:
    return {
        sample.name + json.dumps(sample.labels, sort_keys=True): sample.value
        for family in text_string_to_metric_families(path.read_text())
        for sample in family.samples
    }


async def test_the_example_drill_writes_html_metrics_history_and_notifies(tmp_path: Path) -> None:
    html, prom, history = tmp_path / "drill.html", tmp_path / "drill.prom", tmp_path / "history"
    with receiver(200) as hook:
        done = ob_restore(
            "drill", str(EXAMPLE), "--simulate", "--journal", "j.jsonl", "--html", str(html),
            "--metrics-file", str(prom), "--notify", hook.url, "--history", str(history),
            cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (body,) = hook.bodies
    assert body["text"].startswith(":white_check_mark: *PASSED* drill weekly-dr")
    values = metric_values(prom)
    assert values['ob_restore_last_run_success{"drill": "weekly-dr"}'] == 1
    assert values['ob_restore_restores{"drill": "weekly-dr", "state": "online"}'] == 7
    assert values['ob_restore_recovery_seconds_count{"drill": "weekly-dr"}'] == 7
    assert len(list(history.glob("run-*.json"))) == 1
    async with chromium() as page:
        load = await page.open(html)
        names = await page.evaluate(NAMES_IN_TABLE)
        await page.screenshot(ARTIFACTS / "html-report-example-drill.png")
    assert load.errors == []
    assert len(names) == 7
    assert "RestoredTenant001_" in " ".join(names)


def test_a_failing_webhook_is_a_warning_and_never_the_exit_code(tmp_path: Path) -> None:
    with receiver(500) as hook:
        done = ob_restore(
            "drill", str(EXAMPLE), "--simulate", "--journal", "j.jsonl", "--notify", hook.url,
            cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 0
    assert len(hook.bodies) == 3  # retried
    assert "warning: the notification was not delivered" in done.stderr
    assert "/services/" not in done.stderr  # the webhook's secret path is not shown


def test_the_webhook_may_come_from_the_environment(tmp_path: Path) -> None:
    with receiver(200) as hook:
        done = subprocess.run(
            [sys.executable, "-m", "ob_async", "drill", str(EXAMPLE), "--simulate", "-q",
             "--journal", "j.jsonl"],
            capture_output=True, text=True, env=cli_env(OB_NOTIFY_URL=hook.url), timeout=180,
            check=False, cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "*PASSED*" in hook.bodies[0]["text"]


def test_an_interrupted_drill_still_notifies_and_writes_its_reports(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "plan.toml", 8, drill="concurrency = 2\nrestoring_per_instance = 2"
    )
    journal, html = tmp_path / "j.jsonl", tmp_path / "r.html"
    with (
        receiver(200) as hook,
        simulator("--restore-seconds", "1.0", "--seed", "7") as sim,
    ):
        process = subprocess.Popen(
            drill_command(
                plan, sim, "--journal", str(journal), "--html", str(html), "--notify", hook.url
            ),
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        wait_for_journal(journal, "online")
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    (body,) = hook.bodies
    assert "*INTERRUPTED*" in body["text"]
    assert body["obRestore"]["interrupted"] is True
    assert "The run was interrupted" in html.read_text()


def test_bad_report_arguments_are_refused_before_anything_is_sent(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    done = ob_restore(
        "drill", str(EXAMPLE), "--simulate", "--html", str(tmp_path / "no" / "r.html"),
        "--notify", "hooks.example.com/x", "--history", str(tmp_path / "a-file"),
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--html" in done.stderr
    assert "no such directory" in done.stderr
    assert "--notify must be an http:// or https:// URL" in done.stderr
    assert "--history" in done.stderr
    assert not list(tmp_path.glob("drill-*.jsonl"))  # nothing ran


def test_no_secret_reaches_the_notification_or_any_report(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 4)
    outputs = [tmp_path / name for name in ("r.html", "r.prom", "r.json")]
    with (
        receiver(200) as hook,
        simulator("--restore-seconds", "0.3", "--failure-rate", "0.5", "--seed", "3") as sim,
    ):
        done = run_drill(
            plan, sim, "--journal", str(tmp_path / "j.jsonl"), "--html", str(outputs[0]),
            "--metrics-file", str(outputs[1]), "--report-json", str(outputs[2]),
            "--notify", hook.url, "-vv",
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    texts = [json.dumps(hook.bodies), *(path.read_text() for path in outputs)]
    texts += [done.stdout, done.stderr, (tmp_path / "j.jsonl").read_text()]
    assert all(SECRET not in text for text in texts)
    assert "*FAILED*" in hook.bodies[0]["text"]


def test_the_data_drill_reports_rpo_and_checks_and_never_the_tenant_password(
    tmp_path: Path,
) -> None:
    password = "Tenant-Pass-Recognisable-42"
    outputs = [tmp_path / name for name in ("d.html", "d.prom", "d.json")]
    with receiver(200) as hook:
        done = subprocess.run(
            [sys.executable, "-m", "ob_async", "drill", str(EXAMPLE.parent / "data-drill.toml"),
             "--simulate", "--journal", "j.jsonl", "--html", str(outputs[0]),
             "--metrics-file", str(outputs[1]), "--report-json", str(outputs[2]),
             "--notify", hook.url, "-vv"],
            capture_output=True, text=True, env=cli_env(OB_TENANT_PASSWORD=password),
            timeout=180, check=False, cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    html = outputs[0].read_text()
    assert '<th data-column="rpo" data-numeric><button type="button">RPO</button>' in html
    assert '<th data-column="checks" data-numeric><button type="button">checks</button>' in html
    assert "data-loss exposure" in html
    assert "restore-point gap" in html
    metrics = metric_values(outputs[1])
    for figure in ("rpo", "data_loss_exposure", "restore_point_gap"):
        assert metrics[f'ob_restore_{figure}_seconds_count{{"drill": "data-dr"}}'] == 3
        assert metrics[f'ob_restore_{figure}_max_seconds{{"drill": "data-dr"}}'] >= 0
    texts = [json.dumps(hook.bodies), *(path.read_text() for path in outputs)]
    texts += [done.stdout, done.stderr, (tmp_path / "j.jsonl").read_text()]
    assert all(password not in text for text in texts)


def test_a_crashed_runs_journal_rebuilds_every_report(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "plan.toml", 6, drill="concurrency = 2\nrestoring_per_instance = 2"
    )
    journal, full = tmp_path / "j.jsonl", tmp_path / "full.json"
    with simulator("--restore-seconds", "0.3", "--seed", "5") as sim:
        done = run_drill(plan, sim, "--journal", str(journal), "--report-json", str(full))
    assert done.returncode == 0, done.stderr
    # The journal is append-only and fsynced: a crash leaves a prefix of it, maybe torn.
    lines = journal.read_text().splitlines(keepends=True)
    settled = [n for n, line in enumerate(lines) if '"event":"online"' in line]
    cut = settled[0] + 1  # one restore settled ...
    crashed = tmp_path / "crashed.jsonl"
    crashed.write_text("".join(lines[:cut]) + lines[cut][: len(lines[cut]) // 2])
    sent = {json.loads(l)["key"] for l in lines[:cut] if '"event":"submitting"' in l}  # noqa: E741
    assert 1 < len(sent) < 6  # ... others were in flight, the rest not yet sent

    outputs = {"--report-json": "r.json", "--junit": "r.xml", "--html": "r.html"}
    outputs["--metrics-file"] = "r.prom"
    args = [f for flag, name in outputs.items() for f in (flag, str(tmp_path / name))]
    rebuilt = ob_restore("report", str(crashed), "--plan", str(plan), *args, cwd=tmp_path)
    assert rebuilt.returncode == 1, rebuilt.stderr  # the run did not finish
    report = read_report(tmp_path / "r.json")
    states = Counter(item["state"] for item in report["items"])
    assert report["summary"]["items"] == 6
    assert states == {"online": 1, "unknown": len(sent) - 1, "not_started": 6 - len(sent)}
    assert report["interrupted"] is True
    assert any("torn" in note for note in report["notes"])
    unknown = [item for item in report["items"] if item["state"] == "unknown"]
    assert all(item["requestId"] and "--resume" in item["error"] for item in unknown)
    suite = ET.parse(tmp_path / "r.xml").getroot().find("testsuite")
    assert suite is not None
    # Sent but unsettled: failures; never sent: skipped (as the drill's own JUnit has it).
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == (
        "6",
        str(len(sent) - 1),
        str(6 - len(sent)),
    )
    values = metric_values(tmp_path / "r.prom")
    assert values['ob_restore_restores{"drill": "e2e", "state": "unknown"}'] == len(sent) - 1
    assert values['ob_restore_last_run_success{"drill": "e2e"}'] == 0
    html = (tmp_path / "r.html").read_text()
    assert all(f"e2e_{n}_" in html for n in range(1, 7))

    # The whole journal rebuilds what the drill itself reported.
    again = ob_restore("report", str(journal), "--report-json", "again.json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    drill_items = {i["key"]: i for i in read_report(full)["items"]}
    for item in read_report(tmp_path / "again.json")["items"]:
        original = drill_items[item["key"]]
        for field in ("state", "requestId", "recoverySeconds", "metRto", "finishedAt"):
            assert item[field] == original[field], field
        # The journal's moment is when the submission was recorded, just before it was sent.
        recorded = datetime.fromisoformat(item["submittedAt"])
        assert recorded <= datetime.fromisoformat(original["submittedAt"])


def test_without_its_plan_a_journal_still_reports_what_it_recorded(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 3)
    journal = tmp_path / "j.jsonl"
    with simulator("--restore-seconds", "0.2", "--seed", "6") as sim:
        assert run_drill(plan, sim, "--journal", str(journal)).returncode == 0
    plan.unlink()
    done = ob_restore("report", str(journal), "--report-json", "r.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = read_report(tmp_path / "r.json")
    assert [item["state"] for item in report["items"]] == ["online"] * 3
    assert {item["target"]["instanceId"] for item in report["items"]} == {"ob-dr-east"}
    assert any("plan was not found" in note for note in report["notes"])


def test_a_journal_that_is_not_one_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"event": "online", "key": "a/b"}\n')
    done = ob_restore("report", str(bad), "--html", "r.html", cwd=tmp_path)
    assert done.returncode == 2
    assert "not an ob-async journal" in done.stderr
    assert not (tmp_path / "r.html").exists()


def test_a_drill_that_breaks_before_any_report_still_notifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(self: DrillRunner) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(DrillRunner, "run", broken)
    monkeypatch.chdir(tmp_path)
    with receiver(200) as hook:
        code = main(["drill", str(EXAMPLE), "--simulate", "-q", "--notify", hook.url])
    assert code == 1
    (body,) = hook.bodies
    assert body["text"].startswith(":x: *FAILED* drill weekly-dr: an internal error")
