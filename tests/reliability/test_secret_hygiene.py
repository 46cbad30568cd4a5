"""Secret hygiene: the AccessKey secret (and what stands in for it) appears nowhere.

A recognisable secret is given to a simulator process and to ``ob-restore``
subprocesses (a demo drill with cleanup, a failing drill under faults, a drill
with a wrong secret, ``submit`` with a bad and a good body), all at ``-vv`` with
a journal and both reports; the secret, the wrong secret, their Basic encoding
and the digest HA1 values (which are as good as the secret for the realm) are
searched for in stdout, stderr, every file written and the simulator's own
output. In-process, DEBUG logging of every logger is captured while calls
succeed, fail with every error class and fail digest handshakes; the logs,
every exception (with its whole chain and traceback) and the reprs of the
objects holding the secret are searched too, along with every ``Authorization``
value the client sent.

Also here: credentials files readable by group or others are refused (library
and CLI, exit 2, nothing sent); ``http://`` off loopback is refused unless
explicitly allowed (library and CLI); TLS certificates are verified by default.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import traceback
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import trustme
from aiohttp import web
from yarl import URL

from ob_async._cli.connection import open_connection
from ob_async._cli.drill_command import register as register_drill
from ob_async._client import ObClient
from ob_async._digest import DigestAuth
from ob_async._http.config import ClientConfig
from ob_async._http.credentials import Credentials
from ob_async._http.session import Session
from ob_async._restore.poll_config import PollConfig
from ob_async._wire.models import RestoreRequest, TenantResource
from ob_async.errors import (
    AuthenticationError,
    ChallengeError,
    ClientError,
    InvalidInputError,
    ObError,
    ProtocolError,
    ServerError,
    TenantNameConflict,
    ThrottledError,
    TransportError,
)
from ob_async.simulator import Simulator, SimulatorConfig

from ._hostile import (
    FAST,
    RawHttpServer,
    Reply,
    Request,
    json_bytes,
    response_bytes,
    sends,
    sends_json,
)

ROOT = Path(__file__).resolve().parents[2]
DEMO_PLAN = ROOT / "examples" / "weekly-drill.toml"
ACCESS_KEY_ID = "hygiene-ak"
SECRET = "S3cr3t-Hygiene-7d1e2f"
WRONG_SECRET = "Wr0ng-Hygiene-9a8b7c"
PROJECT = "hygiene-project"
REALM = "OceanBase Cloud"  # the simulator's default realm


def _ha1(algorithm: str, secret: str, realm: str = REALM) -> str:
    return hashlib.new(algorithm, f"{ACCESS_KEY_ID}:{realm}:{secret}".encode()).hexdigest()


def needles(*secrets: str) -> dict[str, str]:
    """What must never be written: each secret, its Basic encoding, its HA1 values."""
    found: dict[str, str] = {}
    for secret in secrets:
        found[f"secret {secret}"] = secret
        basic = base64.b64encode(f"{ACCESS_KEY_ID}:{secret}".encode()).decode()
        found[f"Basic encoding of {secret}"] = basic
        for algorithm in ("md5", "sha256", "sha512_256"):
            found[f"{algorithm} HA1 of {secret}"] = _ha1(algorithm, secret)
    return found


FORBIDDEN = needles(SECRET, WRONG_SECRET)


def assert_clean(text: str, where: str, extra: dict[str, str] | None = None) -> None:
    for name, needle in {**FORBIDDEN, **(extra or {})}.items():
        assert needle not in text, f"{name} found in {where}"


# --- subprocesses ----------------------------------------------------------------------


def cli_env(secret: str = SECRET, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OB_") and key != "PYTHONWARNINGS"
    }
    env.update(
        OB_ACCESS_KEY_ID=ACCESS_KEY_ID,
        OB_ACCESS_KEY_SECRET=secret,
        OB_PROJECT_ID=PROJECT,
        PYTHONUNBUFFERED="1",
        COLUMNS="120",
    )
    env.update(extra)
    return env


class SimulatorProcess:
    """``ob-restore simulator`` in a subprocess; its whole output is kept."""

    def __init__(self, process: subprocess.Popen[str], url: str, first_line: str) -> None:
        self.process = process
        self.url = url
        self.lines = [first_line]
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/_simulator/stats", timeout=10) as response:
            return json.loads(response.read())  # type: ignore[no-any-return]

    def output(self) -> str:
        """Everything it printed so far."""
        return "".join(list(self.lines))

    def api_requests(self) -> int:
        """Requests to the API so far (the stats requests themselves not counted)."""
        by_route = self.stats()["requestsByRoute"]
        return sum(count for route, count in by_route.items() if route != "stats")

    def stop(self) -> str:
        """Stop it (SIGINT, as Ctrl-C) and return everything it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=10)
        return "".join(self.lines)


@contextmanager
def simulator_process(*flags: str) -> Iterator[SimulatorProcess]:
    """A simulator that accepts only (ACCESS_KEY_ID, SECRET), given through the environment."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ob_async", "simulator", "--port", "0", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=cli_env(),
    )
    sim: SimulatorProcess | None = None
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)", first)
        assert match, f"simulator did not start: {first!r}"
        sim = SimulatorProcess(process, match.group(1), first)
        yield sim
    finally:
        if sim is not None:
            sim.stop()
        elif process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[SimulatorProcess]:
    """One simulator for the tests that need no faults (each reads its own stats deltas)."""
    with simulator_process("--restore-seconds", "0.2", "--seed", "7") as sim:
        yield sim
        output = sim.stop()
    assert_clean(output, "the shared simulator's output")


def delta(before: dict[str, Any], after: dict[str, Any], key: str) -> int:
    return int(after[key]) - int(before[key])


def ob_restore(
    *args: str, env: dict[str, str], timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    """Run ``ob-restore`` in an empty working directory; whatever it leaves there is searched."""
    with tempfile.TemporaryDirectory(prefix="ob-hygiene-") as cwd:
        done = subprocess.run(
            [sys.executable, "-m", "ob_async", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            check=False,
            cwd=cwd,
        )
        for path in Path(cwd).rglob("*"):
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace")
                assert_clean(text, f"{path.name}, left in the working directory")
    return done


@pytest.fixture
def outputs(tmp_path: Path) -> dict[str, Path]:
    return {
        "journal": tmp_path / "journal.jsonl",
        "report": tmp_path / "report.json",
        "junit": tmp_path / "report.xml",
    }


def output_flags(outputs: dict[str, Path]) -> list[str]:
    return [
        "--journal",
        str(outputs["journal"]),
        "--report-json",
        str(outputs["report"]),
        "--junit",
        str(outputs["junit"]),
    ]


def assert_run_clean(
    done: subprocess.CompletedProcess[str], files: dict[str, Path], sim_output: str
) -> None:
    assert_clean(done.stdout, "stdout")
    assert_clean(done.stderr, "stderr")
    assert_clean(sim_output, "the simulator's output")
    for name, path in files.items():
        if path.exists():
            assert_clean(path.read_text(encoding="utf-8", errors="replace"), name)


def assert_debug_logging_was_on(stderr: str) -> None:
    # The test means something only if -vv really logged each request.
    assert re.search(r"DEBUG ob_async\.session: requestId=\S+ (GET|POST|DELETE) /api/v2/", stderr)


def test_the_demo_drill_with_cleanup_at_debug_level_leaks_nothing(
    outputs: dict[str, Path], shared_sim: SimulatorProcess
) -> None:
    before = shared_sim.stats()
    done = ob_restore(
        "drill",
        str(DEMO_PLAN),
        "--endpoint",
        shared_sim.url,
        "--cleanup",
        "-vv",
        *output_flags(outputs),
        env=cli_env(),
    )
    after = shared_sim.stats()
    assert done.returncode == 0, done.stderr[-3000:]
    assert delta(before, after, "restoresAccepted") >= 6
    assert delta(before, after, "deletes") >= 6
    assert delta(before, after, "authFailures") == 0  # the client used the secret, correctly
    assert_debug_logging_was_on(done.stderr)
    assert all(path.stat().st_size > 0 for path in outputs.values())
    assert "not shown" in shared_sim.output()  # it names where its secret came from
    assert_run_clean(done, outputs, shared_sim.output())


def test_a_failing_drill_under_faults_at_debug_level_leaks_nothing(
    outputs: dict[str, Path],
) -> None:
    faults = "http_503=0.2,http_502_html=0.1,reset_after@restore=0.2,throttle=0.1"
    with simulator_process(
        "--restore-seconds", "0.2", "--failure-rate", "1", "--faults", faults, "--seed", "3"
    ) as sim:
        done = ob_restore(
            "drill",
            str(DEMO_PLAN),
            "--endpoint",
            sim.url,
            "-vv",
            *output_flags(outputs),
            env=cli_env(),
        )
        stats = sim.stats()
        sim_output = sim.stop()
    assert done.returncode == 1, done.stderr[-3000:]
    assert sum(stats["faultsInjected"].values()) > 0
    report = json.loads(outputs["report"].read_text())
    assert report["summary"]["items"] > 0
    assert all(not item["ok"] for item in report["items"])
    assert_debug_logging_was_on(done.stderr)
    assert_run_clean(done, outputs, sim_output)


def test_a_drill_with_a_wrong_secret_fails_and_leaks_neither_secret(
    outputs: dict[str, Path], shared_sim: SimulatorProcess
) -> None:
    before = shared_sim.stats()
    done = ob_restore(
        "drill",
        str(DEMO_PLAN),
        "--endpoint",
        shared_sim.url,
        "-vv",
        *output_flags(outputs),
        env=cli_env(WRONG_SECRET),
    )
    after = shared_sim.stats()
    assert done.returncode != 0
    assert delta(before, after, "authFailures") >= 1  # the wrong secret was tried, and refused
    assert delta(before, after, "restoresAccepted") == 0
    assert "refused" in done.stderr + done.stdout
    assert_run_clean(done, outputs, shared_sim.output())


def seed_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sourceInstanceId": "ob-prod-sh",
        "tenantResource": {"cpu": 1, "memory": 4, "unitNum": 1},
        "fromRemote": False,
        "sourceTenantId": "tsh001",
        "restoreTime": "2026-01-13T05:58:34Z",
        "restoreObjectType": "tenant",
        "restoreObjects": [],
        "restoreMode": "from_backup_set",
        "targetInstanceId": "ob-dr-east",
        "targetTenantName": "hygiene_submit_1",
        "targetTenantDescription": "hygiene",
        "targetTenantPrimaryZone": "cn-shanghai-e",
    }
    body.update(changes)
    return body


def latest_restorable_time(sim_url: str) -> str:
    async def read() -> str:
        async with ObClient(
            sim_url, Credentials(ACCESS_KEY_ID, access_key_secret=SECRET), PROJECT
        ) as client:
            [tenant] = await client.list_restorable_tenants("ob-prod-sh", tenant_id="tsh001")
        moment = tenant.latest_restorable_time
        assert moment is not None
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    return asyncio.run(read())


def test_submit_with_a_bad_body_and_a_good_one_leaks_nothing(
    tmp_path: Path, shared_sim: SimulatorProcess
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(seed_body(restoreTime="2026-01-13 05:58:34", tenantResource={"cpu": -1}))
    )
    good = tmp_path / "good.json"
    good.write_text(json.dumps(seed_body(restoreTime=latest_restorable_time(shared_sim.url))))
    before = shared_sim.api_requests()
    refused = ob_restore(
        "submit", "--file", str(bad), "--endpoint", shared_sim.url, "-vv", env=cli_env()
    )
    after_refusal = shared_sim.api_requests()
    accepted = ob_restore(
        "submit",
        "--file",
        str(good),
        "--endpoint",
        shared_sim.url,
        "--wait",
        "--json",
        "-vv",
        env=cli_env(),
    )
    assert refused.returncode == 2, refused.stderr
    assert "bad.json" in refused.stderr
    assert after_refusal == before  # nothing was sent
    assert accepted.returncode == 0, accepted.stderr[-3000:]
    assert json.loads(accepted.stdout)["state"] == "online"
    assert_debug_logging_was_on(accepted.stderr)
    for done in (refused, accepted):
        assert_run_clean(done, {}, shared_sim.output())


# --- credentials files -----------------------------------------------------------------


def credentials_file(path: Path, mode: int, secret: str = SECRET) -> Path:
    path.write_text(
        f"# test credentials\nOB_ACCESS_KEY_ID={ACCESS_KEY_ID}\nOB_ACCESS_KEY_SECRET={secret}\n"
    )
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o666, 0o610, 0o601, 0o700 | 0o004])
def test_a_credentials_file_readable_by_group_or_others_is_refused(
    tmp_path: Path, mode: int
) -> None:
    path = credentials_file(tmp_path / "credentials", mode)
    with pytest.raises(InvalidInputError) as caught:
        Credentials.from_file(path)
    message = str(caught.value)
    assert "accessible by group or others" in message
    assert f"chmod 600 {path}" in message
    assert_clean(message, "the refusal")
    assert_clean("".join(traceback.format_exception(caught.value)), "the refusal's traceback")


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_an_owner_only_credentials_file_is_read(tmp_path: Path, mode: int) -> None:
    credentials = Credentials.from_file(credentials_file(tmp_path / "credentials", mode))
    assert credentials.access_key_id == ACCESS_KEY_ID
    assert credentials.reveal_secret() == SECRET
    assert_clean(repr(credentials) + str(credentials), "the credentials' repr")


def test_a_credentials_file_with_a_bad_line_does_not_show_the_line(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_text(f"OB_ACCESS_KEY_ID={ACCESS_KEY_ID}\n{SECRET}\n")
    path.chmod(0o600)
    with pytest.raises(InvalidInputError, match="line 2") as caught:
        Credentials.from_file(path)
    assert_clean(str(caught.value), "the refusal")


@pytest.mark.parametrize("how", ["--credentials-file", "OB_CREDENTIALS_FILE"])
def test_the_drill_refuses_a_group_readable_credentials_file_with_exit_2(
    tmp_path: Path, how: str, outputs: dict[str, Path], shared_sim: SimulatorProcess
) -> None:
    path = credentials_file(tmp_path / "credentials", 0o644)
    env = cli_env()
    del env["OB_ACCESS_KEY_SECRET"]  # the file is the only place the secret is
    flags: list[str] = []
    if how == "--credentials-file":
        flags = ["--credentials-file", str(path)]
    else:
        env["OB_CREDENTIALS_FILE"] = str(path)
    before = shared_sim.api_requests()
    done = ob_restore(
        "drill",
        str(DEMO_PLAN),
        "--endpoint",
        shared_sim.url,
        "-vv",
        *flags,
        *output_flags(outputs),
        env=env,
    )
    assert done.returncode == 2, done.stderr
    assert "accessible by group or others" in done.stderr
    assert shared_sim.api_requests() == before  # nothing was sent
    assert_run_clean(done, outputs, shared_sim.output())


def test_the_drill_reads_an_owner_only_credentials_file(
    tmp_path: Path, outputs: dict[str, Path], shared_sim: SimulatorProcess
) -> None:
    path = credentials_file(tmp_path / "credentials", 0o600)
    env = cli_env()
    del env["OB_ACCESS_KEY_SECRET"]
    before = shared_sim.stats()
    done = ob_restore(
        "drill",
        str(DEMO_PLAN),
        "--endpoint",
        shared_sim.url,
        "--credentials-file",
        str(path),
        "--dry-run",
        "-vv",
        *output_flags(outputs),
        env=env,
    )
    after = shared_sim.stats()
    assert done.returncode == 0, done.stderr[-3000:]
    assert delta(before, after, "authFailures") == 0
    assert delta(before, after, "challengesIssued") >= 1  # it did authenticate, with the file
    assert_run_clean(done, outputs, shared_sim.output())


# --- plain http off loopback -----------------------------------------------------------

OFF_LOOPBACK = [
    "http://api-cloud.oceanbase.com",
    "http://10.0.0.8:8765",
    "http://192.168.1.20",
    "http://0.0.0.0:8765",
    "http://[2001:db8::1]:8765",
    "http://127.0.0.1.example.com",
    "http://localhost.example.com",
]
LOOPBACK = [
    "http://127.0.0.1:8765",
    "http://127.8.9.10",
    "http://localhost:8765",
    "http://LOCALHOST",
    "http://[::1]:8765",
]


@pytest.mark.parametrize("endpoint", OFF_LOOPBACK)
def test_plain_http_off_loopback_is_refused_unless_allowed(endpoint: str) -> None:
    credentials = Credentials(ACCESS_KEY_ID, access_key_secret=SECRET)
    with pytest.raises(InvalidInputError, match="insecure") as caught:
        ObClient(endpoint, credentials, PROJECT)
    assert caught.value.where == "endpoint"
    assert_clean(str(caught.value), "the refusal")
    allowed = ObClient(
        endpoint, credentials, PROJECT, config=ClientConfig(allow_insecure_http=True)
    )
    assert str(allowed.session.base_url).startswith("http://")


@pytest.mark.parametrize("endpoint", LOOPBACK)
def test_plain_http_to_loopback_needs_no_flag(endpoint: str) -> None:
    client = ObClient(endpoint, Credentials(ACCESS_KEY_ID, access_key_secret=SECRET), PROJECT)
    assert not client.session.config.allow_insecure_http
    base = client.session.base_url
    assert (base.scheme, base.host, base.port) == (
        "http",
        URL(endpoint).host,
        URL(endpoint).port,
    )
    assert_clean(repr(client), "the client's repr")


@pytest.mark.parametrize("command", ["drill", "submit"])
def test_the_cli_refuses_plain_http_off_loopback_with_exit_2(command: str, tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_text(json.dumps(seed_body(restoreTime="2026-01-13T05:58:34Z")))
    target = [str(DEMO_PLAN)] if command == "drill" else ["--file", str(body)]
    done = ob_restore(command, *target, "--endpoint", "http://10.0.0.8:8765", env=cli_env())
    assert done.returncode == 2, done.stderr
    assert "--insecure-http" in done.stderr
    assert_run_clean(done, {}, "")


async def test_the_cli_insecure_http_flag_lets_a_non_loopback_endpoint_through() -> None:
    # In-process and without a request: only loopback is ever contacted by these tests.
    import argparse

    parser = argparse.ArgumentParser()
    register_drill(parser.add_subparsers())
    endpoint = "http://10.0.0.8:8765"
    environ = {
        "OB_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "OB_ACCESS_KEY_SECRET": SECRET,
        "OB_PROJECT_ID": PROJECT,
    }
    refused = parser.parse_args(["drill", "plan.toml", "--endpoint", endpoint])
    with pytest.raises(InvalidInputError, match="--insecure-http"):
        async with open_connection(refused, environ=environ):
            pass
    allowed = parser.parse_args(["drill", "plan.toml", "--endpoint", endpoint, "--insecure-http"])
    async with open_connection(allowed, environ=environ) as connection:
        assert connection.client.session.config.allow_insecure_http
        assert connection.client.session.origin == endpoint


# --- TLS -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


async def _https_server(ca: trustme.CA) -> tuple[web.AppRunner, str]:
    async def handle(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "success": True,
                "data": {
                    "tenantId": "t1",
                    "tenantName": "a",
                    "status": "ONLINE",
                    "description": "",
                },
            }
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"https://127.0.0.1:{port}"


async def test_tls_certificates_are_verified_by_default(certificate_authority: trustme.CA) -> None:
    runner, url = await _https_server(certificate_authority)
    try:
        client = ObClient(
            url, Credentials(ACCESS_KEY_ID, access_key_secret=SECRET), PROJECT, config=FAST
        )
        assert client.session.config.verify_tls
        async with client:
            with pytest.raises(TransportError) as caught:
                await client.describe_tenant("ob1", "t1")
        error = caught.value
        assert isinstance(error.__cause__, aiohttp.ClientConnectorCertificateError)
        assert "certificate verify failed" in str(error)
        assert not error.may_have_reached_server  # the handshake failed: nothing was sent
        # The same server is sound: a client that trusts its CA is answered.
        trusting = ssl.create_default_context()
        certificate_authority.configure_trust(trusting)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{url}/api/v2/x", ssl=trusting) as response:
                assert response.status == 200
    finally:
        await runner.cleanup()


async def test_turning_tls_verification_off_is_explicit_and_works(
    certificate_authority: trustme.CA,
) -> None:
    # ClientConfig offers no way to trust a private CA (no ssl context option): the
    # only switch is verify_tls=False, and nothing turns it off implicitly.
    runner, url = await _https_server(certificate_authority)
    try:
        config = ClientConfig(verify_tls=False, total_timeout=3.0)
        credentials = Credentials(ACCESS_KEY_ID, access_key_secret=SECRET)
        async with ObClient(url, credentials, PROJECT, config=config) as client:
            detail = await client.describe_tenant("ob1", "t1")
        assert detail.tenant_id == "t1"
    finally:
        await runner.cleanup()


# --- in-process: DEBUG logs, exceptions and reprs --------------------------------------


class Sent:
    """Every Authorization value the sessions of a test sent."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def needles(self) -> dict[str, str]:
        found = {}
        for number, value in enumerate(self.values):
            found[f"Authorization value {number}"] = value
            match = re.search(r'response="([0-9a-f]+)"', value)
            assert match, value
            found[f"digest response= of Authorization value {number}"] = match.group(1)
        return found


@pytest.fixture
def sent_authorizations(monkeypatch: pytest.MonkeyPatch) -> Sent:
    sent = Sent()
    original = Session._send

    async def recording(
        self: Session,
        method: str,
        url: str,
        body: bytes | None,
        authorization: str | None,
        request_id: str,
    ) -> Any:
        if authorization is not None:
            sent.values.append(authorization)
        return await original(self, method, url, body, authorization, request_id)

    monkeypatch.setattr(Session, "_send", recording)
    return sent


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # every logger, aiohttp's included
    caplog.set_level(logging.DEBUG, logger="ob_async")
    return caplog


def error_texts(error: BaseException) -> str:
    """str, repr and the whole formatted chain of an exception, and its attributes."""
    parts = ["".join(traceback.format_exception(error))]
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), repr(vars(current))]
        current = current.__cause__ or current.__context__
    return "\n".join(parts)


def restore_request(name: str, restore_time: datetime) -> RestoreRequest:
    return RestoreRequest(
        source_instance_id="ob-prod-sh",
        source_tenant_id="tsh001",
        target_instance_id="ob-dr-east",
        target_tenant_name=name,
        target_tenant_primary_zone="cn-shanghai-e",
        restore_time=restore_time,
        tenant_resource=TenantResource(cpu=1, memory=4, unit_num=1),
    )


def simulator_config(**options: Any) -> SimulatorConfig:
    return SimulatorConfig(
        access_key_id=ACCESS_KEY_ID,
        access_key_secret=SECRET,
        restore_seconds=(0.1, 0.1),
        seed=11,
        **options,
    )


async def test_successful_and_retried_calls_at_debug_level_log_no_secret(
    debug_logs: pytest.LogCaptureFixture, sent_authorizations: Sent
) -> None:
    faults = (
        "http_503@restore=0.15,http_502_html@restore=0.1,reset_after@restore=0.2,"
        "throttle@restore=0.1"
    )
    config = simulator_config(faults=faults)
    async with Simulator(config) as sim:
        credentials = Credentials(ACCESS_KEY_ID, access_key_secret=SECRET)
        poll = PollConfig(initial_interval=0.2, max_interval=0.5)
        async with ObClient(sim.url, credentials, PROJECT, poll=poll) as client:
            [source] = await client.list_restorable_tenants("ob-prod-sh", tenant_id="tsh001")
            moment = source.latest_restorable_time
            assert moment is not None
            submissions = await asyncio.gather(
                *(
                    client.submit_restore(
                        "ob-dr-east",
                        restore_request(f"hygiene_{n}", moment),
                        wait=True,
                        timeout=30,
                    )
                    for n in range(8)
                )
            )
            tenants = [tenant async for tenant in client.iter_tenants("ob-dr-east")]
            for tenant in tenants:
                if tenant.tenant_name.startswith("hygiene_"):
                    await client.delete_tenant("ob-dr-east", tenant.tenant_id)
            texts = [repr(client), str(client), repr(client.session), repr(client.session._auth)]
            texts += [repr(submission) for submission in submissions]
            texts += [error_texts(s.error) for s in submissions if s.error is not None]
    assert all(submission.ok for submission in submissions), [s.error for s in submissions]
    assert sim.stats()["faultsInjected"]
    assert sent_authorizations.values
    assert any(record.levelno == logging.DEBUG for record in debug_logs.records)
    extra = sent_authorizations.needles()
    assert_clean(debug_logs.text, "the DEBUG log", extra)
    for text in texts:
        assert_clean(text, "a repr", extra)


def _challenge(nonce: str, **params: str) -> str:
    fields = {"realm": f'"{REALM}"', "nonce": f'"{nonce}"', "qop": '"auth"', "algorithm": "MD5"}
    fields.update(params)
    return "Digest " + ", ".join(f"{key}={value}" for key, value in fields.items())


def challenging_then(status: int, document: Any, **options: Any) -> Any:
    """Challenge a request without credentials; answer the authenticated one as given."""
    answer = response_bytes(status, json_bytes(document), **options)

    async def respond(request: Request, reply: Reply) -> None:
        if request.authorization is None:
            await reply.send(
                response_bytes(401, b"", headers=[("WWW-Authenticate", _challenge("n1"))])
            )
        else:
            await reply.send(answer)

    return respond


def failure(code: str) -> dict[str, Any]:
    return {
        "success": False,
        "errorCode": code,
        "errorMessage": f"{code} happened",
        "requestId": "srv",
    }


async def _reset(request: Request, reply: Reply) -> None:
    reply.reset()


def _stale_forever() -> Any:
    counter = iter(range(10**6))

    async def respond(request: Request, reply: Reply) -> None:
        header = _challenge(f"n{next(counter)}", stale="true")
        await reply.send(response_bytes(401, b"", headers=[("WWW-Authenticate", header)]))

    return respond


def _fresh_401_forever() -> Any:
    counter = iter(range(10**6))

    async def respond(request: Request, reply: Reply) -> None:
        header = _challenge(f"n{next(counter)}")
        await reply.send(
            response_bytes(
                401, json_bytes(failure("Unauthorized")), headers=[("WWW-Authenticate", header)]
            )
        )

    return respond


FAILING_SERVERS: dict[str, tuple[Any, type[ObError]]] = {
    "400 failure envelope": (challenging_then(400, failure("InvalidParameter")), ClientError),
    "403 failure envelope": (challenging_then(403, failure("Forbidden")), AuthenticationError),
    "429 failure envelope": (
        challenging_then(429, failure("Throttling"), headers=[("Retry-After", "1")]),
        ThrottledError,
    ),
    "500 failure envelope": (challenging_then(500, failure("InternalError")), ServerError),
    "502 HTML page": (
        challenging_then(502, "<html>bad gateway</html>", content_type="text/html"),
        ProtocolError,
    ),
    "a reset": (_reset, TransportError),
    "a malformed challenge": (
        sends(response_bytes(401, b"", headers=[("WWW-Authenticate", 'Digest realm="x')])),
        ChallengeError,
    ),
    "SHA-1 only": (
        sends(
            response_bytes(
                401, b"", headers=[("WWW-Authenticate", _challenge("n", algorithm="SHA-1"))]
            )
        ),
        AuthenticationError,
    ),
    "stale forever": (_stale_forever(), AuthenticationError),
    "401 after every answer": (_fresh_401_forever(), AuthenticationError),
    "a redirect": (
        sends_json(302, {}, headers=[("Location", "http://127.0.0.1:1/x")]),
        ProtocolError,
    ),
}


@pytest.mark.parametrize("case", sorted(FAILING_SERVERS))
async def test_every_error_class_at_debug_level_leaks_nothing(
    case: str, debug_logs: pytest.LogCaptureFixture, sent_authorizations: Sent
) -> None:
    responder, expected = FAILING_SERVERS[case]
    async with RawHttpServer(responder) as server:
        credentials = Credentials(ACCESS_KEY_ID, access_key_secret=SECRET)
        async with ObClient(server.url, credentials, PROJECT, config=FAST) as client:
            errors: list[ObError] = []
            for call in (
                lambda: client.describe_tenant("ob1", "t1"),
                lambda: client.create_restore_task(
                    "ob1", restore_request("x1", datetime(2026, 1, 1, tzinfo=UTC))
                ),
            ):
                with pytest.raises(ObError) as caught:
                    await call()
                errors.append(caught.value)
            texts = [repr(client), repr(client.session), repr(client.session._auth)]
    assert all(type(error) is expected for error in errors), errors
    received = [r.authorization for r in server.requests if r.authorization is not None]
    assert received == sent_authorizations.values
    extra = sent_authorizations.needles()
    assert_clean(debug_logs.text, "the DEBUG log", extra)
    for error in errors:
        assert_clean(error_texts(error), "an exception", extra)
    for text in texts:
        assert_clean(text, "a repr", extra)


async def test_a_wrong_secret_and_a_name_conflict_against_the_simulator_leak_nothing(
    debug_logs: pytest.LogCaptureFixture, sent_authorizations: Sent
) -> None:
    async with Simulator(simulator_config()) as sim:
        wrong = Credentials(ACCESS_KEY_ID, access_key_secret=WRONG_SECRET)
        async with ObClient(sim.url, wrong, PROJECT) as client:
            with pytest.raises(AuthenticationError) as refused:
                await client.list_tenants("ob-dr-east")
            wrong_texts = [repr(client), repr(client.session._auth), error_texts(refused.value)]
        right = Credentials(ACCESS_KEY_ID, access_key_secret=SECRET)
        async with ObClient(sim.url, right, PROJECT) as client:
            [existing] = (await client.list_tenants("ob-dr-east")).data_list
            [source] = await client.list_restorable_tenants("ob-prod-sh", tenant_id="tsh001")
            assert source.latest_restorable_time is not None
            request = restore_request(existing.tenant_name, source.latest_restorable_time)
            submission = await client.submit_restore("ob-dr-east", request)
            assert isinstance(submission.error, TenantNameConflict)
            with pytest.raises(InvalidInputError) as bad_input:
                await client.list_tenants("ob-dr-east", page_size=0)
            texts = [error_texts(submission.error), error_texts(bad_input.value), repr(submission)]
    assert sim.stats()["authFailures"] >= 1
    extra = sent_authorizations.needles()
    assert_clean(debug_logs.text, "the DEBUG log", extra)
    for text in wrong_texts + texts:
        assert_clean(text, "an exception or repr", extra)


def test_reprs_of_everything_that_holds_the_secret() -> None:
    credentials = Credentials(ACCESS_KEY_ID, access_key_secret=SECRET)
    client = ObClient("https://api.example.test", credentials, PROJECT)
    auth = DigestAuth(ACCESS_KEY_ID, SECRET, origin="https://api.example.test")
    for holder in (credentials, client, client.session, client.session._auth, auth):
        assert_clean(repr(holder), f"repr of {type(holder).__name__}")
        assert_clean(str(holder), f"str of {type(holder).__name__}")
        assert ACCESS_KEY_ID in repr(holder)  # the ID is not secret, and it helps
    assert_clean(repr(client.session.config), "repr of ClientConfig")


# --- the tenant password of data checks ------------------------------------------------

TENANT_PASSWORD = "T3nant-Hygiene-5e6f7a"
WRONG_TENANT_PASSWORD = "Wr0ng-T3nant-1b2c3d"
TENANT_NEEDLES = {
    "tenant password": TENANT_PASSWORD,
    "wrong tenant password": WRONG_TENANT_PASSWORD,
}
DATA_PLAN = Path(__file__).resolve().parents[2] / "examples" / "data-drill.toml"


def test_a_data_drill_at_debug_level_leaks_no_tenant_password(
    outputs: dict[str, Path], tmp_path: Path
) -> None:
    plan = tmp_path / "data.toml"  # one check fails, one reads a missing table: error paths too
    plan.write_text(
        DATA_PLAN.read_text()
        .replace('expect = ">= 1000"', 'expect = ">= 1000000"')
        .replace("FROM app.heartbeat WHERE", "FROM app.missing WHERE")
    )
    env = cli_env(OB_TENANT_PASSWORD=TENANT_PASSWORD)
    with tempfile.TemporaryDirectory(prefix="ob-hygiene-") as cwd:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ob_async",
                "drill",
                str(plan),
                "--simulate",
                "-vv",
                *output_flags(outputs),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,
        )
        command_lines = []
        while process.poll() is None:  # the process list, while it runs
            with contextlib.suppress(OSError):
                command_lines.append(Path(f"/proc/{process.pid}/cmdline").read_bytes())
            threading.Event().wait(0.2)
        out, err = process.communicate(timeout=120)
        left = [p.read_text(errors="replace") for p in Path(cwd).rglob("*") if p.is_file()]
    assert process.returncode == 1, err[-3000:]
    assert "check 'orders restored' failed" in out
    assert command_lines
    assert_debug_logging_was_on(err)
    for where, text in [
        ("stdout", out),
        ("stderr", err),
        ("the process list", b"".join(command_lines).decode(errors="replace")),
        *((name, path.read_text(errors="replace")) for name, path in outputs.items()),
        *(("a file left in the working directory", text) for text in left),
    ]:
        assert_clean(text, where, TENANT_NEEDLES)


async def test_a_refused_tenant_login_logs_and_reports_no_password(
    tmp_path: Path, debug_logs: pytest.LogCaptureFixture
) -> None:
    from ob_async.drill._plan import RunContext, load_plan
    from tests.sqldata.drills import PASSWORD_ENV, plan_text, run_data_drill

    text = plan_text('[[check]]\nname = "c"\nsql = "SELECT 1"\nexpect = "= 1"\n')
    report, _ = await run_data_drill(
        tmp_path,
        text,
        environ={PASSWORD_ENV: TENANT_PASSWORD},
        tenant_password=WRONG_TENANT_PASSWORD,
    )
    [item] = report["items"]
    assert "Access denied" in item["checks"][0]["error"]
    plan = load_plan(tmp_path / "plan.toml", environ={PASSWORD_ENV: TENANT_PASSWORD})
    assert plan.data is not None
    assert plan.data.login is not None
    [plan_item] = plan.items(RunContext.new())
    texts = [
        json.dumps(report),
        (tmp_path / "journal.jsonl").read_text(),
        debug_logs.text,
        repr(plan),
        repr(plan.data),
        repr(plan.data.login),
        str(plan.data.login),
        repr(plan_item),
        repr(plan_item.data),
    ]
    for number, text_seen in enumerate(texts):
        assert_clean(text_seen, f"text {number}", TENANT_NEEDLES)
    assert plan.data.login.reveal_password() == TENANT_PASSWORD


def test_a_missing_or_unreadable_tenant_password_is_named_never_shown(tmp_path: Path) -> None:
    from ob_async.data._login import PasswordError, password_from_file

    secret = tmp_path / "tenant-password"
    secret.write_text(TENANT_PASSWORD + "\n")
    secret.chmod(0o640)
    with pytest.raises(PasswordError) as refused:
        password_from_file(secret)
    assert "chmod 600" in str(refused.value)
    assert_clean(error_texts(refused.value), "the refusal", TENANT_NEEDLES)
    secret.chmod(0o600)
    assert password_from_file(secret) == TENANT_PASSWORD
