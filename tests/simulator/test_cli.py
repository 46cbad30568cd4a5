"""``ob-restore simulator`` as a process: the seed's curl example, flags, credentials, signals."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ob_async._cli import main

from ._helpers import SEED_BODY_TEXT

SEED_REQUEST_ID = "4d9124c3-d92b-4a6e-bccd-343f2554fa22"


def command() -> list[str]:
    script = shutil.which("ob-restore")
    return [script] if script else [sys.executable, "-m", "ob_async"]


@contextmanager
def running(
    *flags: str, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """A simulator subprocess on a free port: (process, base URL, the lines it printed)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("OB_ACCESS_KEY")}
    environ.update(env or {})
    process = subprocess.Popen(
        [*command(), "simulator", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )
    try:
        assert process.stdout is not None
        lines = []
        while not lines or not lines[-1].startswith("Press Ctrl-C"):
            line = process.stdout.readline()
            assert line, f"the simulator exited: {process.communicate(timeout=10)}"
            lines.append(line.rstrip("\n"))
        match = re.search(r"listening on (http://127\.0\.0\.1:(\d+))$", lines[0])
        assert match, lines
        assert match.group(2) != "0"
        yield process, match.group(1), lines
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def printed(lines: list[str], label: str) -> str:
    line = next(line for line in lines if line.strip().startswith(label))
    return line.split(":", 1)[1].split()[0]


def curl_seed_example(url: str, credentials: str) -> tuple[int, dict[str, object]]:
    """The seed's curl example with only host and credentials substituted."""
    result = subprocess.run(
        [
            "curl",
            "--silent",
            "--show-error",
            "--write-out",
            "\n%{http_code}",
            "--digest",
            "-u",
            credentials,
            "-X",
            "POST",
            f"{url}/api/v2/instances/obxxx/backup/restore?requestId={SEED_REQUEST_ID}",
            "--header",
            "X-Ob-Project-Id: p1",
            "--header",
            "Content-Type: application/json",
            "--data",
            SEED_BODY_TEXT,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status), json.loads(body)


def test_the_seeds_curl_example_against_the_command() -> None:
    with running() as (process, url, lines):
        key_id = printed(lines, "AccessKey ID")
        secret = printed(lines, "AccessKey secret")
        status, envelope = curl_seed_example(url, f"{key_id}:{secret}")
        assert status == 200
        assert envelope["success"] is True
        assert envelope["data"] == {}
        assert envelope["requestId"] == SEED_REQUEST_ID
        assert envelope["server"] == url.removeprefix("http://")
        status, envelope = curl_seed_example(url, f"{key_id}:{secret}")
        assert status == 409
        assert envelope["success"] is False
        assert envelope["errorCode"] == "TenantNameConflict"
        assert "RestoredTenant001" in str(envelope["errorMessage"])
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0


def test_credentials_from_the_environment_are_used_and_never_printed() -> None:
    secret = "s3cr3t-Value-From-Env"
    env = {"OB_ACCESS_KEY_ID": "LTAIexample", "OB_ACCESS_KEY_SECRET": secret}
    with running("--digest-algorithms", "MD5", env=env) as (process, url, lines):
        assert printed(lines, "AccessKey ID") == "LTAIexample"
        assert secret not in "\n".join(lines)
        status, _ = curl_seed_example(url, f"LTAIexample:{secret}")
        assert status == 200
        status, envelope = curl_seed_example(url, "demo-access-key-id:demo-access-key-secret")
        assert status == 401
        assert envelope["errorCode"] == "Unauthorized"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
        assert process.returncode == 0
        assert secret not in out + err


def test_nc_check_strict_is_announced_and_enforced() -> None:
    with running("--nc-check", "strict") as (process, url, lines):
        assert "nonce counts strict" in "\n".join(lines)
        # curl answers one challenge with nc=1: strict counting still accepts it.
        status, _ = curl_seed_example(url, "demo-access-key-id:demo-access-key-secret")
        assert status == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0


def test_only_one_credential_variable_is_an_input_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OB_ACCESS_KEY_ID", "LTAIexample")
    monkeypatch.delenv("OB_ACCESS_KEY_SECRET", raising=False)
    assert main(["simulator", "--port", "0"]) == 2
    assert "OB_ACCESS_KEY_SECRET" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "flag"),
    [
        (["--port", "70000"], "--port"),
        (["--port", "http"], "--port"),
        (["--seed", "x"], "--seed"),
        (["--rate-limit", "0"], "--rate-limit"),
        (["--restore-seconds", "5-1"], "--restore-seconds"),
        (["--restore-seconds", "soon"], "--restore-seconds"),
        (["--failure-rate", "1.5"], "--failure-rate"),
        (["--digest-algorithms", "SHA-1"], "--digest-algorithms"),
        (["--qop", "auth-conf"], "--qop"),
        (["--nonce-ttl", "0"], "--nonce-ttl"),
        (["--nc-check", "sorted"], "--nc-check"),
        (["--faults", "reset_after=2"], "--faults"),
        (["--fixture", "/nonexistent/world.toml"], "--fixture"),
        (["--path-instance", "middle"], "--path-instance"),
        (["--qop", "none", "--digest-algorithms", "MD5-sess"], "--qop"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(
    capsys: pytest.CaptureFixture[str], flags: list[str], flag: str
) -> None:
    try:
        code = main(["simulator", *flags])
    except SystemExit as exit_:
        code = exit_.code  # type: ignore[assignment]
    assert code == 2
    assert flag in capsys.readouterr().err


def test_a_bad_flag_exits_2_as_a_process() -> None:
    result = subprocess.run(
        [*command(), "simulator", "--faults", "explode=0.1"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "--faults" in result.stderr
    assert "explode" in result.stderr


def test_a_port_in_use_exits_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*command(), "simulator", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 1
    assert "cannot listen" in result.stderr
