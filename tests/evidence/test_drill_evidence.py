"""``ob-restore drill --evidence DIR``: the run sealed as it ends, from the journal's facts.

Real drills against a simulator process: a data drill (tenant logins, checks, RPO) signed
with an owner-only key file, with the AccessKey secret and the tenant password as canaries;
the weekly example unsigned; a failed run signed with the key from the environment. Each
bundle must pass ``evidence verify``; inputs the seal could not use are refused before
anything is sent; the controls of each run are in its JSON report.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from ob_async._cli import main
from ob_async.drill._evidence import SigningKey
from tests.cli.support import (
    PROJECT,
    SECRET,
    SimulatorProcess,
    cli_env,
    drill_command,
    simulator,
    wait_for_journal,
    write_plan,
)
from tests.cli.test_drill_inputs import api_requests
from tests.evidence.conftest import ROOT, TENANT_PASSWORD
from tests.support.browser import chromium


@attrs.frozen
class SealedRun:
    returncode: int
    stderr: str
    bundle: Path
    folder: Path

    def report(self) -> dict[str, Any]:
        return json.loads((self.folder / "report.json").read_text())  # type: ignore[no-any-return]


@attrs.frozen
class SealedRuns:
    data: SealedRun
    weekly: SealedRun
    failed: SealedRun
    endpoint: str


def _drill(
    sim: SimulatorProcess, folder: Path, plan_source: Path, *args: str, **env: str
) -> SealedRun:
    folder.mkdir()
    plan = folder / plan_source.name
    shutil.copy(plan_source, plan)
    reports = ("--report-json", "report.json", "--junit", "junit.xml", "--html", "report.html")
    done = subprocess.run(
        drill_command(plan, sim, "--journal", "drill.jsonl", *reports, "-q", *args),
        capture_output=True,
        text=True,
        env=cli_env(**env),
        timeout=120,
        check=False,
        cwd=folder,
    )
    return SealedRun(done.returncode, done.stderr, folder / "bundle", folder)


@pytest.fixture(scope="module")
def sealed_runs(
    tmp_path_factory: pytest.TempPathFactory, signing_key: tuple[SigningKey, Path, Path]
) -> Iterator[SealedRuns]:
    folder = tmp_path_factory.mktemp("sealed-drills")
    failing = write_plan(
        folder / "failing.toml", 2, restore_time="2020-01-01T00:00:00Z"
    )  # before any restorable window: every restore fails its pre-flight
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OB_TENANT_PASSWORD", TENANT_PASSWORD)  # the simulated tenants' too
        with simulator("--restore-seconds", "0.2") as sim:
            data = _drill(
                sim,
                folder / "data",
                ROOT / "examples" / "data-drill.toml",
                "--evidence",
                "bundle",
                "--signing-key",
                str(signing_key[1]),
            )
            weekly = _drill(
                sim,
                folder / "weekly",
                ROOT / "examples" / "weekly-drill.toml",
                "--evidence",
                "bundle",
            )
            failed = _drill(
                sim,
                folder / "failed",
                failing,
                "--evidence",
                "bundle",
                OB_EVIDENCE_SIGNING_KEY=signing_key[1].read_text(),
            )
            yield SealedRuns(data, weekly, failed, sim.url)


def verify(bundle: Path, *args: str) -> int:
    return main(["evidence", "verify", str(bundle), *args])


def test_a_drill_with_evidence_seals_a_bundle_that_verifies_signed(
    sealed_runs: SealedRuns,
    signing_key: tuple[SigningKey, Path, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = sealed_runs.data
    assert run.returncode == 0, run.stderr
    assert f"evidence: sealed run {run.report()['runId']} into bundle" in run.stderr
    assert f"signed with {signing_key[0].public.fingerprint}" in run.stderr
    assert verify(run.bundle, "--public-key", str(signing_key[2])) == 0
    assert "verified: every check holds" in capsys.readouterr().out
    sealed = json.loads((run.bundle / "manifest.json").read_text())
    assert {entry["path"] for entry in sealed["files"]} == {
        "facts.json",
        "journal.jsonl",
        "plan/data-drill.toml",
        "reports/junit.xml",
        "reports/report.html",
        "reports/report.json",
    }


def test_an_unsigned_bundle_verifies_and_says_it_is_unsigned(
    sealed_runs: SealedRuns, capsys: pytest.CaptureFixture[str]
) -> None:
    run = sealed_runs.weekly
    assert run.returncode == 0, run.stderr
    assert "sealed by hashes only" in run.stderr
    assert verify(run.bundle) == 0
    assert "Sealed by hashes only, not signed" in capsys.readouterr().out


def test_a_failed_run_is_sealed_too_and_keeps_its_exit_code(
    sealed_runs: SealedRuns,
    signing_key: tuple[SigningKey, Path, Path],
) -> None:
    run = sealed_runs.failed
    assert run.returncode == 1, run.stderr  # the drill's verdict, not the seal's
    assert f"signed with {signing_key[0].public.fingerprint}" in run.stderr  # the env's key
    assert verify(run.bundle, "--public-key", str(signing_key[2])) == 0
    report = run.report()
    assert report["summary"]["byState"] == {"preflight_failed": 2}
    sealed_report = json.loads((run.bundle / "reports" / "report.json").read_text())
    assert sealed_report["runId"] == report["runId"]


def test_the_facts_come_from_the_journals_run_record(sealed_runs: SealedRuns) -> None:
    run = sealed_runs.weekly
    journal = [json.loads(line) for line in (run.folder / "drill.jsonl").read_text().splitlines()]
    first, last = journal[0], journal[-1]
    assert first["event"] == "run"
    assert last["event"] == "finished"
    facts = json.loads((run.bundle / "facts.json").read_text())
    assert facts["source"] == "the journal's run record"
    for name in ("endpointOrigin", "projectId", "ranBy", "startedAt", "toolVersion"):
        assert facts[name] == first[name], name
    assert facts["endpointOrigin"] == sealed_runs.endpoint
    assert facts["projectId"] == PROJECT
    assert facts["endedAt"] == last["t"]
    assert set(facts["ranBy"]) == {"user", "host"}
    assert {(pair["source"], pair["target"], pair["restores"]) for pair in facts["instances"]} == {
        ("ob-prod-bj", "ob-dr-west", 2),
        ("ob-prod-hz", "ob-dr-east", 1),
        ("ob-prod-sh", "ob-dr-east", 3),
        ("obxxx", "obxxx", 1),
    }
    assert facts["restorePoints"] == {"explicit": 1, "latest": 6}


def test_no_secret_reaches_a_bundle_sealed_by_the_drill(sealed_runs: SealedRuns) -> None:
    run = sealed_runs.data
    items = run.report()["items"]
    assert all(item["rpoSeconds"] is not None for item in items)  # it logged into tenants
    files = [path for path in run.bundle.rglob("*") if path.is_file()]
    assert len(files) == 8  # six sealed, the manifest and its signature
    for path in files:
        data = path.read_bytes()
        for canary in (SECRET, TENANT_PASSWORD, "PRIVATE KEY"):
            assert canary.encode() not in data, (path, canary)


def _assessments(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {
        item["control"]["id"]: (item["status"], item["reason"])
        for item in report["controls"]["assessments"]
    }


def test_the_json_report_maps_the_facts_to_controls(sealed_runs: SealedRuns) -> None:
    data = sealed_runs.data.report()
    facts = data["controls"]["facts"]
    assert facts["recoveryTime"]["targetsSeconds"] == [900.0]
    assert facts["recoveryTime"]["met"] == 3
    assert facts["recoveryPoint"]["targetsSeconds"] == [600.0, 900.0]
    assert facts["recoveryPoint"]["measured"] == 3
    assert facts["dataChecks"] == {
        "restoresChecked": 3,
        "checksRun": 7,
        "passed": 7,
        "failed": 0,
    }
    assert facts["restorePoints"]["byChoice"] == {"latest": 3}
    assert facts["segregation"]["instances"] == [
        {"source": "ob-prod-sh", "target": "ob-dr-east", "restores": 3, "segregated": True}
    ]
    assert {key: status for key, (status, _) in _assessments(data).items()} == {
        "soc2-a1.3": "met",
        "iso27001-a.8.13": "met",
        "dora-12.2": "met",
        "dora-12.3": "met",
    }
    weekly = _assessments(sealed_runs.weekly.report())
    assert weekly["iso27001-a.8.13"] == (
        "not evidenced",
        "7 backup(s) restored, but no restored data was checked: add [[check]] queries to the plan",
    )
    assert weekly["dora-12.3"] == (
        "not met",
        "restored into the source instance: obxxx into itself (1 restore(s))",
    )
    failed = _assessments(sealed_runs.failed.report())
    assert failed["soc2-a1.3"] == ("not evidenced", "no restore was sent")


def test_an_unusable_evidence_directory_is_refused_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    plan = write_plan(tmp_path / "plan.toml", 2)
    taken, empty = tmp_path / "taken", tmp_path / "empty"
    taken.mkdir()
    empty.mkdir()
    (taken / "old.txt").write_text("a bundle of last week\n")
    loose = tmp_path / "loose.key"
    loose.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    loose.chmod(0o644)
    cases = {
        ("--evidence", str(taken)): f"{taken}: exists and is not an empty directory",
        ("--evidence", "new", "--signing-key", str(loose)): (
            f"signing key file {loose}: is accessible by group or others"
        ),
        ("--evidence", "new", "--dry-run"): "--evidence: a dry run sends nothing",
        ("--evidence", "empty", "--journal", "empty/drill.jsonl"): (
            "--evidence empty: --journal empty/drill.jsonl is inside it"
        ),
        ("--signing-key", str(loose)): "--signing-key: signs a bundle: it needs --evidence DIR",
    }
    with simulator() as sim:
        for args, expected in cases.items():
            done = subprocess.run(
                drill_command(plan, sim, *args),
                capture_output=True,
                text=True,
                env=cli_env(),
                timeout=60,
                check=False,
                cwd=tmp_path,
            )
            assert done.returncode == 2, (args, done.stderr)
            assert expected in done.stderr, (args, done.stderr)
            assert len(done.stderr.strip().splitlines()) == 1, done.stderr
            assert "not a key" not in done.stderr
        assert api_requests(sim.stats()) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "empty",
        "loose.key",
        "plan.toml",
        "taken",
    ]
    assert not any(empty.iterdir())


def test_a_seal_that_fails_after_the_run_is_named_and_fails_the_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ob_async._cli import drill_command as command
    from ob_async.errors import InvalidInputError
    from tests.cli.support import use_cli_credentials

    use_cli_credentials(monkeypatch)
    monkeypatch.delenv("OB_EVIDENCE_SIGNING_KEY", raising=False)

    def full_disk(*args: object, **kwargs: object) -> None:
        raise InvalidInputError("No space left on device", where="bundle bundle")

    monkeypatch.setattr(command, "seal_run", full_disk)
    plan = write_plan(tmp_path / "plan.toml", 1)
    journal = tmp_path / "drill.jsonl"
    bundle = str(tmp_path / "bundle")
    code = main(["drill", str(plan), "--simulate", "--journal", str(journal), "--evidence", bundle])
    err = capsys.readouterr().err
    assert code == 1
    assert "the evidence was NOT sealed: bundle bundle: No space left on device" in err
    assert f"ob-restore evidence seal {journal} {tmp_path / 'bundle'}" in err
    assert [json.loads(line)["event"] for line in journal.read_text().splitlines()][-1] == (
        "finished"
    )


ARTIFACTS = ROOT / "build" / "test-artifacts"
CONTROL_ROWS = (
    "[...document.querySelectorAll('#controls tbody tr')].map(row => "
    "[row.dataset.control, row.querySelector('.state').textContent, "
    "row.querySelector('.reason').textContent])"
)


async def test_the_sealed_html_report_shows_the_controls_in_a_browser(
    sealed_runs: SealedRuns,
) -> None:
    report = sealed_runs.weekly.bundle / "reports" / "report.html"
    async with chromium() as page:
        load = await page.open(report)
        assert load.errors == []
        rows = await page.evaluate(CONTROL_ROWS)
        facts = await page.evaluate("document.querySelector('#controls dl').innerText")
        unsegregated = await page.evaluate(
            "[...document.querySelectorAll('#controls dl li.no')].map(li => li.textContent)"
        )
        await page.evaluate("document.querySelector('#controls').scrollIntoView()")
        await page.screenshot(ARTIFACTS / "html-report-controls.png")
    assert [(control, status) for control, status, _ in rows] == [
        ("soc2-a1.3", "met"),
        ("iso27001-a.8.13", "not evidenced"),
        ("dora-12.2", "met"),
        ("dora-12.3", "not met"),
    ]
    assert rows[3][2] == "restored into the source instance: obxxx into itself (1 restore(s))"
    assert "restore points\n1 explicit, 6 latest" in facts
    assert unsegregated == [
        "obxxx → obxxx (1 restore(s)): NOT segregated: the target is the source"
    ]


async def test_the_bundles_html_report_shows_its_operator_notes_in_a_browser(
    sealed_runs: SealedRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(sealed_runs.weekly.bundle, bundle)
    for text in ("obxxx restores into itself: accepted for the demo instance", "signed off <b>"):
        assert main(["evidence", "note", str(bundle), text, "--by", "ops@dr"]) == 0
    html = tmp_path / "bundle.html"
    assert main(["evidence", "report", str(bundle), "--html", str(html)]) == 0
    assert "bundle verified, 2 operator note(s)" in capsys.readouterr().out
    async with chromium() as page:
        load = await page.open(html)
        assert load.errors == []
        verdict = await page.evaluate("document.querySelector('#evidence .state').textContent")
        notes = await page.evaluate(
            "[...document.querySelectorAll('#evidence .operator-notes li')].map(li => li.innerText)"
        )
        controls = await page.evaluate("document.querySelectorAll('#controls tbody tr').length")
        names = await page.evaluate("document.querySelectorAll('#items tbody tr').length")
        await page.evaluate("document.querySelector('#evidence').scrollIntoView()")
        await page.screenshot(ARTIFACTS / "html-report-bundle-notes.png")
    assert verdict == "verified"
    assert [note.split("\n", 1)[1] for note in notes] == [
        "obxxx restores into itself: accepted for the demo instance",
        "signed off <b>",  # shown as written, never as markup
    ]
    assert all(note.startswith("ops@dr") for note in notes)
    assert controls == 4
    assert names == 7  # every restore, rebuilt from the sealed journal with the sealed plan

    (bundle / "facts.json").write_text("{}\n")
    assert main(["evidence", "report", str(bundle), "--html", str(html)]) == 1
    assert "NOT verified (1 problem(s))" in capsys.readouterr().out
    assert "facts.json: changed" in html.read_text()


def test_an_older_journal_without_the_run_facts_is_still_sealed_and_reported(
    sealed_runs: SealedRuns, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = sealed_runs.weekly
    newer = ("toolVersion", "endpointOrigin", "projectId", "ranBy", "instances")
    older = []
    for line in (run.folder / "drill.jsonl").read_text().splitlines():
        entry = json.loads(line)
        if entry["event"] == "finished":
            continue
        for name in (*newer, "restorePoints", "requireSegregation"):
            entry.pop(name, None)
        older.append(json.dumps(entry) + "\n")
    journal = tmp_path / "old.jsonl"
    journal.write_text("".join(older))
    shutil.copy(run.folder / "weekly-drill.toml", tmp_path)
    bundle = tmp_path / "bundle"
    args = ["--endpoint", "https://user:pw@api.example.com:8443/path?q=1", "--project-id", "p-1"]
    assert main(["evidence", "seal", str(journal), str(bundle), *args]) == 0
    facts = json.loads((bundle / "facts.json").read_text())
    assert facts["source"].startswith("the journal's run record, written before it held")
    assert facts["endpointOrigin"] == "https://api.example.com:8443"
    assert facts["projectId"] == "p-1"
    assert facts["ranBy"] is None
    assert len(facts["instances"]) == 4  # from the plan the journal names
    assert facts["restorePoints"] == {"explicit": 1, "latest": 6}
    capsys.readouterr()
    assert main(["report", str(journal), "--report-json", str(tmp_path / "r.json")]) == 0
    rebuilt = json.loads((tmp_path / "r.json").read_text())
    assert rebuilt["controls"]["facts"]["segregation"]["instances"][3]["segregated"] is False


def test_an_interrupted_run_is_sealed_and_resumed_into_a_new_bundle(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "plan.toml", 6, drill="concurrency = 2\nrate = 1.0")
    journal = tmp_path / "drill.jsonl"
    with simulator("--restore-seconds", "2", "--seed", "5") as sim:
        process = subprocess.Popen(
            drill_command(plan, sim, "--journal", str(journal), "--evidence", "first", "-q"),
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        wait_for_journal(journal, "submitted", count=1)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=90)
        assert process.returncode == 130, stderr  # the signal's exit, not the seal's
        assert "evidence: sealed run" in stderr
        resumed = subprocess.run(
            drill_command(plan, sim, "--journal", str(journal), "--resume", "--evidence", "second"),
            capture_output=True,
            text=True,
            env=cli_env(),
            timeout=120,
            check=False,
            cwd=tmp_path,
        )
    assert resumed.returncode == 0, resumed.stderr
    first, second = tmp_path / "first", tmp_path / "second"
    assert verify(first) == 0
    assert verify(second) == 0
    events = [
        json.loads(line)["entry"]["event"]
        for line in (first / "journal.jsonl").read_text().splitlines()
    ]
    assert events[0] == "run"
    assert events[-1] == "finished"
    assert "not_started" in events  # what the interruption left, as the journal records it
    resumed_events = [
        json.loads(line)["entry"]["event"]
        for line in (second / "journal.jsonl").read_text().splitlines()
    ]
    assert resumed_events[: len(events)] == events  # the whole run: the first part, then more
    assert resumed_events.count("finished") == 2
    assert resumed_events.count("online") == 6
