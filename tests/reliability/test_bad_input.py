"""Bad input corpus (issue 7, part 3): malformed plans, flags and request files.

Every case must exit 2 with a message that names the problem and its place (the
file, its line where the format has lines, the field or the flag), list every
problem of a plan, print no traceback, and send nothing: the simulator that the
cases point at with ``--endpoint`` receives zero requests, checked after each case
and after the whole corpus, and the CLI opens no connection at all (each subprocess
runs behind a guard that logs every ``connect()`` and refuses any that is not to a
loopback address, so a regression can never reach 10.1.2.3).

Most cases are real ``ob-restore`` subprocesses; a few where a process adds nothing
(argparse refusals, a stub client) run in-process through ``ob_async._cli.main``.
The plans and request bodies live in ``bad_inputs/``; the inputs that cannot be
kept in git (a FIFO, an unreadable file, 16 MiB, a group-readable credentials
file) are made in a scratch copy of that folder, which is also every case's
working directory, so nothing lands in the repository.
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import random
import shutil
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import ob_async._cli.connection
from ob_async._cli import main
from ob_async.drill._plan import MAX_PLAN_BYTES, RunContext, load_plan, parse_duration
from tests.cli.support import SECRET, SimulatorProcess, cli_env, simulator

CORPUS = Path(__file__).with_name("bad_inputs")

# Runs ob-restore with every connect() logged to $OB_TEST_CONNECT_LOG and refused
# unless it is to loopback: a bad-input case must not connect anywhere, and a
# regression must not reach a real address.
GUARDED_CLI = r"""
import ipaddress, os, socket, sys

_log = os.environ["OB_TEST_CONNECT_LOG"]
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _check(address):
    with open(_log, "a") as log:
        log.write(repr(address) + "\n")
    host = address[0] if isinstance(address, tuple) else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise PermissionError(13, f"the bad-input tests refuse connecting to {host!r}")


def connect(self, address):
    _check(address)
    return _connect(self, address)


def connect_ex(self, address):
    _check(address)
    return _connect_ex(self, address)


socket.socket.connect = connect
socket.socket.connect_ex = connect_ex
sys.argv[0] = "ob-restore"
from ob_async._cli import main

sys.exit(main())
"""


@dataclass(frozen=True)
class Case:
    """One malformed input. ``argv`` and ``expect`` may hold ``{sim}`` (the
    simulator's URL) and the workdir facts of :func:`workdir`."""

    id: str
    argv: tuple[str, ...]
    expect: tuple[str, ...]
    """Substrings of stderr: the place (file:line, field, flag) and the problem."""
    problems: int | None = None
    """For a plan: exactly this many problems are listed."""
    stdin: bytes | None = None
    env: dict[str, str] = field(default_factory=dict)


def drill(plan: str, *flags: str) -> tuple[str, ...]:
    return ("drill", plan, "--endpoint", "{sim}", *flags)


def submit(*flags: str) -> tuple[str, ...]:
    return ("submit", "--endpoint", "{sim}", *flags)


SUBMIT_FLAGS = (
    "--source-instance-id",
    "ob-prod-sh",
    "--source-tenant-id",
    "tsh001",
    "--target-instance-id",
    "ob-dr-east",
    "--target-tenant-name",
    "flags_1",
    "--zone",
    "cn-shanghai-e",
    "--cpu",
    "1",
    "--memory",
    "2",
    "--unit-num",
    "1",
)

PLAN_CASES = [
    Case(
        "plan-wrong-types",
        drill("wrong_types.toml"),
        (
            "wrong_types.toml:3: drill.name: expected a string, got int 42",
            "wrong_types.toml:15: restore[1].cpu: expected an integer, got str '2'",
            "wrong_types.toml:21: restore[2].restore_time: expected a string, got dict",
            "wrong_types.toml:22: restore[2].from_remote: expected true or false",
        ),
        problems=4,
    ),
    Case(
        "plan-unknown-keys-and-sections",
        drill("unknown_keys.toml"),
        (
            "unknown_keys.toml:4: drill.concurency: unknown key; did you mean 'concurrency'?",
            "unknown_keys.toml:6: default: unknown section; did you mean [defaults]?",
            "unknown_keys.toml:19: restore[1].source_tenant: unknown key; "
            "did you mean 'source_tenant_id'?",
            "unknown_keys.toml:17: restore[1].source_tenant_id: missing",
        ),
        problems=4,
    ),
    Case(
        "plan-naive-future-unparsable-times",
        drill("times.toml"),
        (
            "times.toml:16: restore[1].restore_time: time '2026-01-13T05:58:34' has no timezone",
            "times.toml:21: restore[2].restore_time: 2999-01-01T00:00:00Z is in the future",
            "times.toml:26: restore[3].restore_time: unparsable time '13/01/2026 05:58'",
            "times.toml:31: restore[4].restore_time: expected a string, got the TOML date-time",
        ),
        problems=4,
    ),
    Case(
        "plan-bad-durations",
        drill("durations.toml"),
        (
            "durations.toml:4: drill.rto: unreadable duration '5 minutes'",
            "durations.toml:5: drill.timeout: unreadable duration '1h30'",
            "durations.toml:6: drill.poll_initial: must be a positive, finite duration, got 0",
            "durations.toml:7: drill.poll_max: must be a positive, finite duration, got inf",
            "durations.toml:20: restore[1].rto: must be a positive, finite duration, got -60",
        ),
        problems=5,
    ),
    Case(
        "plan-negative-zero-float-resources",
        drill("resources.toml"),
        (
            "resources.toml:16: restore[1].cpu: must be positive, got -2",
            "resources.toml:17: restore[1].memory: must be positive, got 0",
            "resources.toml:22: restore[2].unit_num: expected an integer, got float 1.5",
        ),
        problems=3,
    ),
    Case(
        "plan-settings-out-of-range",
        drill("settings.toml"),
        (
            "settings.toml:4: drill.concurrency: must be at least 1, got 0",
            "settings.toml:5: drill.restoring_per_instance: must be at least 1, got -3",
            "settings.toml:6: drill.burst: must be at least 1, got 0",
            "settings.toml:7: drill.rate: expected a finite number, got nan",
        ),
        problems=4,
    ),
    Case(
        "plan-unknown-enum-values",
        drill("enums.toml"),
        (
            "enums.toml:16: restore[1].restore_mode: unknown value 'from_snapshot'; "
            "expected one of from_backup_set, from_time_point",
            "enums.toml:17: restore[1].restore_object_type: unknown value 'schema'",
        ),
        problems=2,
    ),
    Case(
        "plan-unknown-template-fields",
        drill("templates.toml"),
        (
            "templates.toml:8: defaults.target_tenant_name: unknown template field(s) source",
            "templates.toml:16: restore[1].description: bad template 'drill {date'",
        ),
        problems=2,
    ),
    Case(
        "plan-duplicate-targets",
        drill("duplicate_targets.toml"),
        (
            "duplicate_targets.toml:17: restore[2].target_tenant_name: duplicate target "
            "'orders_dr' in ob-dr-east (also restore[1])",
        ),
        problems=1,
    ),
    Case(
        "plan-duplicate-targets-after-rendering",
        drill("duplicate_rendered.toml"),
        (
            "duplicate_rendered.toml:18: restore[2].target_tenant_name: duplicate target "
            "'dr_rendered_",
            "duplicate_rendered.toml:22: restore[3].target_tenant_name: duplicate target "
            "'dr_rendered_",
        ),
        problems=2,
    ),
    Case(
        "plan-missing-required-keys",
        drill("missing_keys.toml"),
        (
            "missing_keys.toml:11: restore[1].source_tenant_id: missing",
            "missing_keys.toml:11: restore[1].cpu: missing",
        ),
        problems=2,
    ),
    Case(
        "plan-empty-identifiers",
        drill("empty_values.toml"),
        (
            "empty_values.toml:7: defaults.target_tenant_primary_zone: must not be empty",
            "empty_values.toml:14: restore[1].source_tenant_id: must not be empty",
        ),
        problems=2,
    ),
    Case(
        "plan-bad-defaults-reported-once",
        drill("bad_defaults.toml"),
        (
            "bad_defaults.toml:9: defaults.restore_time: time '2026-01-13 05:58:34' "
            "has no timezone",
            "bad_defaults.toml:11: defaults.memory: must be positive, got 0",
        ),
        problems=2,
    ),
    Case(
        "plan-misshapen-sections",
        drill("misshapen.toml"),
        (
            "misshapen.toml:2: drill: must be a table",
            "misshapen.toml:4: restore: must be [[restore]] tables",
        ),
        problems=2,
    ),
    Case(
        "plan-empty-file",
        drill("empty.toml"),
        ("empty.toml: restore: the plan has no restores",),
        problems=1,
    ),
    Case(
        "plan-invalid-toml",
        drill("invalid.toml"),
        ("invalid.toml:3: is not valid TOML",),
        problems=1,
    ),
    Case(
        "plan-restore-list-bad-lines",
        drill("restore_list.toml"),
        (
            "restore_list.jsonl:2: restore[3].cpu: expected an integer, got str 'four'",
            "restore_list.jsonl:3: is not a JSON object",
            "restore_list.jsonl:4: expected a JSON object, got list",
            "restore_list.jsonl:5: restore[4].restore_time: time '2026-01-13T05:58:34' "
            "has no timezone",
            "restore_list.jsonl:6: restore[5].target_tenant_name: duplicate target "
            "'list_tsh001' in ob-dr-east (also restore[1])",
        ),
        problems=5,
    ),
    Case(
        "plan-restore-list-missing",
        drill("restore_list_missing.toml"),
        ("no-such-list.jsonl: cannot read: No such file or directory",),
        problems=1,
    ),
    Case(
        "plan-simulator-fixture-missing",
        drill("fixture_missing.toml"),
        ("fixture_missing.toml:4: drill.simulator_fixture: no such file", "no-such-world.toml"),
        problems=1,
    ),
    Case(
        "plan-simulator-fixture-invalid",
        ("drill", "fixture_invalid.toml", "--simulate"),
        ("fixture_invalid_world.toml: top level: unknown key(s): 'world'",),
    ),
    Case(
        "plan-file-missing",
        drill("no-such-plan.toml"),
        ("no-such-plan.toml: cannot read: No such file or directory",),
        problems=1,
    ),
    Case(
        "plan-is-a-directory",
        drill("a_directory.toml"),
        ("a_directory.toml: cannot read: is a directory",),
        problems=1,
    ),
    Case(
        "plan-unreadable",
        drill("{unreadable}"),
        ("{unreadable}: cannot read: {unreadable_error}",),
        problems=1,
    ),
    Case(
        "plan-fifo",
        drill("fifo.toml"),
        ("fifo.toml: cannot read: is not a regular file",),
        problems=1,
    ),
    Case(
        "plan-binary-junk",
        drill("junk.toml"),
        ("junk.toml: is not UTF-8 text (byte 0)",),
        problems=1,
    ),
    Case(
        "plan-utf16",
        drill("utf16.toml"),
        ("utf16.toml: is not UTF-8 text (byte 0); it looks like UTF-16",),
        problems=1,
    ),
    Case(
        "plan-over-16-mib",
        drill("huge.toml"),
        (f"huge.toml: is {MAX_PLAN_BYTES + 1} bytes, over the {MAX_PLAN_BYTES} byte limit",),
        problems=1,
    ),
]

DRILL_FLAG_CASES = [
    Case(
        "drill-concurrency-0",
        drill("valid.toml", "--concurrency", "0"),
        ("argument --concurrency: must be at least 1, got 0",),
    ),
    Case(
        "drill-rate-negative",
        drill("valid.toml", "--rate", "-1"),
        ("argument --rate: must be a positive number, got '-1'",),
    ),
    Case(
        "drill-endpoint-ftp",
        ("drill", "valid.toml", "--endpoint", "ftp://x"),
        ("--endpoint: expected an http(s) URL", "'ftp://x'"),
    ),
    Case(
        "drill-endpoint-plain-http-off-loopback",
        ("drill", "valid.toml", "--endpoint", "http://10.1.2.3:8080"),
        ("--endpoint: plain http:// to 10.1.2.3", "--insecure-http"),
    ),
    Case(
        "drill-endpoint-from-environment",
        ("drill", "valid.toml"),
        ("OB_ENDPOINT: expected an http(s) URL", "'ftp://x'"),
        env={"OB_ENDPOINT": "ftp://x"},
    ),
    Case(
        "drill-neither-simulate-nor-endpoint",
        ("drill", "valid.toml"),
        ("--endpoint: say where to restore: --simulate", "--endpoint URL"),
    ),
    Case(
        "drill-credentials-file-group-readable",
        drill("valid.toml", "--credentials-file", "group-readable.env"),
        (
            "credentials file group-readable.env: is accessible by group or others (mode 0640)",
            "chmod 600",
        ),
    ),
    Case(
        "drill-credentials-file-missing",
        drill("valid.toml", "--credentials-file", "no-such.env"),
        ("credentials file no-such.env: cannot read: No such file or directory",),
    ),
    Case(
        "drill-no-project",
        drill("valid.toml"),
        ("--project-id: no project",),
        env={"OB_PROJECT_ID": ""},
    ),
    Case(
        "drill-report-json-in-missing-directory",
        drill("valid.toml", "--report-json", "no-such-dir/report.json"),
        ("--report-json no-such-dir/report.json: no such directory: no-such-dir",),
    ),
    Case(
        "drill-resume-from-a-file-that-is-no-journal",
        drill("valid.toml", "--journal", "not-a-journal.jsonl", "--resume"),
        ("journal not-a-journal.jsonl: has no 'run' line; not an ob-async journal",),
    ),
    Case(
        "drill-journal-exists-without-resume",
        drill("valid.toml", "--journal", "not-a-journal.jsonl"),
        ("journal not-a-journal.jsonl: already exists; pass --resume",),
    ),
    Case(
        "drill-junit-is-a-directory",
        drill("valid.toml", "--junit", "a_directory.toml"),
        ("--junit a_directory.toml: is a directory",),
    ),
]

SUBMIT_CASES = [
    Case(
        "submit-not-json",
        submit("--file", "body_not_json.json"),
        ("body_not_json.json: not valid JSON",),
    ),
    Case(
        "submit-json-array",
        submit("--file", "body_array.json"),
        ("body_array.json: invalid RestoreRequest: expected a JSON object, got list",),
    ),
    Case(
        "submit-missing-fields",
        submit("--file", "body_missing_fields.json"),
        (
            "body_missing_fields.json: invalid RestoreRequest: missing required field(s): "
            "tenantResource, restoreTime, targetTenantName",
        ),
    ),
    Case(
        "submit-wrong-types",
        submit("--file", "body_wrong_types.json"),
        (
            "body_wrong_types.json: invalid RestoreRequest",
            "$.targetTenantName: expected a string, got list",
            "$.tenantResource.cpu: expected an integer, got str '2'",
            "$.fromRemote: expected true or false, got str 'false'",
        ),
    ),
    Case(
        "submit-naive-restore-time",
        submit("--file", "body_naive_time.json"),
        ("body_naive_time.json: invalid RestoreRequest: $.restoreTime: time", "has no timezone"),
    ),
    Case(
        "submit-future-restore-time",
        submit("--file", "body_future_time.json"),
        ("body_future_time.json: $.restoreTime: 2999-01-01T00:00:00Z is in the future",),
    ),
    Case(
        "submit-negative-cpu",
        submit("--file", "body_negative_cpu.json"),
        ("body_negative_cpu.json: invalid RestoreRequest: $.tenantResource.cpu: must be positive",),
    ),
    Case(
        "submit-unknown-restore-mode",
        submit("--file", "body_unknown_mode.json"),
        ("body_unknown_mode.json: invalid RestoreRequest: $.restoreMode: unknown value",),
    ),
    Case(
        "submit-over-1-mib",
        submit("--file", "big_body.json"),
        ("big_body.json: is over 1048576 bytes",),
    ),
    Case(
        "submit-binary-junk",
        submit("--file", "junk.json"),
        ("junk.json: not valid JSON",),
    ),
    Case(
        "submit-binary-junk-on-stdin",
        submit("--file", "-"),
        ("standard input: not valid JSON",),
        stdin=random.Random(11).randbytes(2048),
    ),
    Case(
        "submit-file-is-a-fifo",
        submit("--file", "fifo.toml"),
        ("fifo.toml: cannot read: is not a regular file",),
    ),
    Case(
        "submit-file-missing",
        submit("--file", "no-such-body.json"),
        ("no-such-body.json: cannot read: No such file or directory",),
    ),
    Case(
        "submit-missing-flags",
        submit("--source-instance-id", "ob-prod-sh", "--cpu", "1"),
        ("missing --source-tenant-id, --target-instance-id", "--unit-num (or give --file"),
    ),
    Case(
        "submit-file-and-flags",
        submit("--file", "valid_body.json", "--cpu", "2", "--zone", "z"),
        ("give --file or the flags, not both (--zone, --cpu)",),
    ),
    Case(
        "submit-bad-timeout",
        submit("--file", "valid_body.json", "--wait", "--timeout", "forever"),
        ("--timeout: unreadable duration 'forever'",),
    ),
    Case(
        "submit-empty-tenant-name-flag",
        submit(
            *SUBMIT_FLAGS, "--restore-time", "2026-01-13T05:58:34Z", "--target-tenant-name", " "
        ),
        ("--target-tenant-name: must not be empty",),
    ),
    Case(
        "submit-future-restore-time-flag",
        submit(*SUBMIT_FLAGS, "--restore-time", "2999-01-01T08:00:00+08:00"),
        ("--restore-time: 2999-01-01T00:00:00Z is in the future",),
    ),
]

SUBPROCESS_CASES = PLAN_CASES + DRILL_FLAG_CASES + SUBMIT_CASES


# --- the environment: one simulator, one scratch copy of the corpus ----------------------


@pytest.fixture(scope="module")
def sim() -> Iterator[SimulatorProcess]:
    with simulator("--seed", "17", "--restore-seconds", "0.2") as process:
        yield process


@dataclass
class Workdir:
    path: Path
    facts: dict[str, str]

    def fill(self, text: str, sim: SimulatorProcess) -> str:
        for name, value in {"sim": sim.url, **self.facts}.items():
            text = text.replace("{" + name + "}", value)
        return text


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workdir]:
    root = tmp_path_factory.mktemp("bad_inputs")
    shutil.copytree(CORPUS, root, dirs_exist_ok=True)
    (root / "a_directory.toml").mkdir()
    (root / "not-a-journal.jsonl").write_text("restores for the weekly drill\n")
    os.mkfifo(root / "fifo.toml")
    junk = random.Random(7).randbytes(4096)
    (root / "junk.toml").write_bytes(b"\x89PNG\r\n\x1a\n" + junk)
    (root / "junk.json").write_bytes(b"\x89PNG\r\n\x1a\n" + junk)
    (root / "utf16.toml").write_bytes((root / "valid.toml").read_text().encode("utf-16"))
    with (root / "huge.toml").open("w") as huge:  # valid TOML: only its size is wrong
        huge.write((root / "valid.toml").read_text())
        filler = "# " + "x" * 1021 + "\n"
        while huge.tell() + len(filler) <= MAX_PLAN_BYTES:
            huge.write(filler)
        huge.write("#" * (MAX_PLAN_BYTES + 1 - huge.tell()))
    assert (root / "huge.toml").stat().st_size == MAX_PLAN_BYTES + 1
    body = json.loads((root / "valid_body.json").read_text())
    body["targetTenantDescription"] = "x" * (1024 * 1024)
    (root / "big_body.json").write_text(json.dumps(body))
    creds = root / "group-readable.env"
    creds.write_text(f"OB_ACCESS_KEY_ID=bad-input-ak\nOB_ACCESS_KEY_SECRET={SECRET}\n")
    creds.chmod(0o640)
    facts = {"unreadable": "unreadable.toml", "unreadable_error": "Permission denied"}
    unreadable = root / "unreadable.toml"
    shutil.copy(root / "valid.toml", unreadable)
    unreadable.chmod(0)
    try:
        unreadable.open("rb").close()
    except PermissionError:
        pass
    else:  # root reads a mode-000 file: make the plan unreadable by its path instead
        facts = {"unreadable": "valid.toml/plan.toml", "unreadable_error": "Not a directory"}
    yield Workdir(root, facts)
    unreadable.chmod(stat.S_IRUSR | stat.S_IWUSR)


def api_requests(sim: SimulatorProcess) -> int:
    """Requests the simulator received, not counting the reads of its stats page."""
    stats = sim.stats()
    return int(stats["requests"]) - int(stats["requestsByRoute"].get("stats", 0))


def run_cli(
    case: Case, sim: SimulatorProcess, workdir: Workdir
) -> tuple[subprocess.CompletedProcess[bytes], list[str]]:
    """Run a case as a guarded subprocess: (the result, the connect() calls it made)."""
    log = workdir.path / f"connects-{case.id}.log"
    log.unlink(missing_ok=True)
    env = cli_env(OB_TEST_CONNECT_LOG=str(log), **case.env)
    done = subprocess.run(
        [sys.executable, "-c", GUARDED_CLI, *(workdir.fill(arg, sim) for arg in case.argv)],
        cwd=workdir.path,
        env=env,
        input=case.stdin,
        stdin=None if case.stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )
    connects = log.read_text().splitlines() if log.exists() else []
    return done, connects


def assert_refused(
    case_id: str, code: int | None, stdout: str, stderr: str, expect: list[str]
) -> None:
    where = f"[{case_id}] stderr:\n{stderr}"
    assert code == 2, f"exit code {code}, not 2 {where}"
    assert "Traceback" not in stderr + stdout, where
    assert SECRET not in stderr + stdout, where
    for text in expect:
        assert text in stderr, f"{text!r} is not in the message {where}"
    assert not stdout.strip(), f"[{case_id}] bad input printed to stdout: {stdout!r}"


# --- the corpus, as subprocesses ---------------------------------------------------------


def test_the_corpus_is_large_enough() -> None:
    in_process = len(IN_PROCESS_CASES)
    assert len(SUBPROCESS_CASES) + in_process >= 30
    assert len(SUBPROCESS_CASES) > in_process
    assert len({case.id for case in SUBPROCESS_CASES}) == len(SUBPROCESS_CASES)


@pytest.mark.parametrize("case", SUBPROCESS_CASES, ids=lambda case: case.id)
def test_bad_input_exits_2_naming_the_problem_and_sends_nothing(
    case: Case, sim: SimulatorProcess, workdir: Workdir
) -> None:
    before = api_requests(sim)
    done, connects = run_cli(case, sim, workdir)
    stderr = done.stderr.decode(errors="replace")
    expect = [workdir.fill(text, sim) for text in case.expect]
    if case.problems is not None:
        expect.append(f"the plan has {case.problems} problem(s):")
    assert_refused(case.id, done.returncode, done.stdout.decode(errors="replace"), stderr, expect)
    assert connects == [], f"[{case.id}] opened connections: {connects}"
    assert api_requests(sim) == before, f"[{case.id}] the simulator received requests"


# --- a few in-process cases --------------------------------------------------------------


@pytest.fixture
def in_process(
    workdir: Workdir, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[tuple[str, Any]]]:
    """cwd = the workdir, credentials in the environment, no connection possible, and
    ObClient replaced by a stub that records being built (it must never be)."""
    monkeypatch.chdir(workdir.path)
    for key, value in cli_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("OB_ENDPOINT", raising=False)
    built: list[tuple[str, Any]] = []

    class NoClient:
        def __init__(self, endpoint: str, *args: Any, **kwargs: Any) -> None:
            built.append((endpoint, kwargs))
            raise AssertionError(f"a client was built for {endpoint} from bad input")

    monkeypatch.setattr(ob_async._cli.connection, "ObClient", NoClient)
    logger = logging.getLogger("ob_async")
    handlers, level = logger.handlers[:], logger.level
    yield built
    logger.handlers[:], logger.level = handlers, level  # main() points them at capsys


IN_PROCESS_CASES = [
    Case(
        "drill-concurrency-not-a-number",
        drill("valid.toml", "--concurrency", "x"),
        ("argument --concurrency: 'x' is not an integer",),
    ),
    Case(
        "drill-resume-without-journal",
        drill("valid.toml", "--resume"),
        ("--resume needs --journal FILE",),
    ),
    Case(
        "drill-endpoint-plain-http-off-loopback-in-process",
        ("drill", "valid.toml", "--endpoint", "http://10.1.2.3"),
        ("--endpoint: plain http:// to 10.1.2.3", "--insecure-http"),
    ),
    Case(
        "submit-cpu-0",
        submit(*SUBMIT_FLAGS, "--restore-time", "2026-01-13T05:58:34Z", "--cpu", "0"),
        ("argument --cpu: must be at least 1, got 0",),
    ),
    Case(
        "submit-naive-restore-time-flag",
        submit(*SUBMIT_FLAGS, "--restore-time", "2026-01-13T05:58:34"),
        ("--restore-time: time '2026-01-13T05:58:34' has no timezone",),
    ),
    Case(
        "submit-tenant-resource-not-an-object",
        submit("--file", "body_bad_resource.json"),
        (
            "body_bad_resource.json: invalid RestoreRequest: $.tenantResource: "
            "expected a JSON object",
        ),
    ),
    Case(
        "submit-unknown-restore-mode-flag",
        submit(*SUBMIT_FLAGS, "--restore-time", "2026-01-13T05:58:34Z", "--restore-mode", "x"),
        ("argument --restore-mode: invalid choice: 'x'",),
    ),
    Case(
        "submit-empty-file-name",
        submit("--file", ""),
        ("--file: is empty",),
    ),
]


@pytest.mark.parametrize("case", IN_PROCESS_CASES, ids=lambda case: case.id)
def test_bad_input_in_process(
    case: Case,
    sim: SimulatorProcess,
    workdir: Workdir,
    in_process: list[tuple[str, Any]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if case.stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(case.stdin)))

    def no_connect(self: socket.socket, address: Any) -> None:
        raise AssertionError(f"bad input opened a connection to {address}")

    before = api_requests(sim)
    argv = [workdir.fill(arg, sim) for arg in case.argv]
    with monkeypatch.context() as offline:
        offline.setattr(socket.socket, "connect", no_connect)
        try:
            code: int | None = main(argv)
        except SystemExit as exit_:  # argparse refuses a flag
            code = exit_.code if isinstance(exit_.code, int) else None
    out, err = capsys.readouterr()
    assert_refused(case.id, code, out, err, list(case.expect))
    assert in_process == [], f"[{case.id}] a client was built: {in_process}"
    assert api_requests(sim) == before, f"[{case.id}] the simulator received requests"


# --- the whole corpus, and the control ---------------------------------------------------


def test_the_simulator_received_nothing_from_the_corpus(sim: SimulatorProcess) -> None:
    """Runs after the cases above (file order): not one request in the whole module."""
    assert api_requests(sim) == 0
    assert sim.stats()["restoresAccepted"] == 0


def test_control_valid_inputs_do_reach_the_simulator(
    sim: SimulatorProcess, workdir: Workdir
) -> None:
    """The harness can see traffic: the same valid plan and body that the flag cases
    use, with the flaw removed, do talk to the simulator (and exit 0). Runs last."""
    before = api_requests(sim)
    dry_run = Case("control-drill", drill("valid.toml", "--dry-run"), ())
    done, connects = run_cli(dry_run, sim, workdir)
    assert done.returncode == 0, done.stderr.decode()
    assert connects, "the guard saw no connect()"
    after_drill = api_requests(sim)
    assert after_drill > before
    body = Case("control-submit", submit("--file", "valid_body.json"), ())
    done, _ = run_cli(body, sim, workdir)
    assert done.returncode == 0, done.stderr.decode()
    assert api_requests(sim) > after_drill
    assert sim.stats()["restoresAccepted"] == 1


def test_control_valid_plan_with_a_restore_list_loads_every_item(tmp_path: Path) -> None:
    """The checks that collect every problem still pass a valid plan, and the run
    reads the restore list the validation read (same items, same order)."""
    plan = tmp_path / "plan.toml"
    plan.write_text(
        (CORPUS / "valid.toml").read_text().replace("[drill]\n", '[drill]\nrestore_list = "l"\n')
    )
    (tmp_path / "l").write_text(
        "# comment\n\n"
        + "".join(
            json.dumps({"source_instance_id": "ob-prod-sh", "source_tenant_id": f"tsh00{n}"}) + "\n"
            for n in (2, 3)
        )
    )
    loaded = load_plan(plan)
    assert loaded.item_count == 3
    items = list(loaded.items(RunContext.new()))
    assert [item.template.target_tenant_name for item in items] == [
        "valid_1_tsh001",
        "valid_2_tsh002",
        "valid_3_tsh003",
    ]
    assert [item.line for item in items] == [17, 3, 4]  # the [[restore]], then list lines


@pytest.mark.parametrize(
    ("text", "seconds"), [("900", 900.0), (" 1.5 ", 1.5), ("15m", 900.0), ("1h30m", 5400.0)]
)
def test_durations_read_bare_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("value", ["0", "-5", "nan", "", "1h30", 0, -1.0, math.inf, math.nan, True])
def test_durations_refuse_what_is_not_a_positive_finite_duration(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)
