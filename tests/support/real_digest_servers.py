"""Real third-party digest servers: Apache httpd's mod_auth_digest and lighttpd's mod_auth.

Both come from Debian's packages (``apache2``, ``lighttpd``; ``.ci/run`` installs
them when missing, and a missing binary fails the test with the command that
installs it). Each setup runs as its own process, from its own configuration in
a fresh directory, on a free loopback port, and protects two endpoints in the
API's shapes under ``/api/``:

- ``GET`` :data:`TENANTS_PATH`: a static file, a tenant list envelope;
- ``POST`` :data:`RESTORE_PATH`: a tiny CGI script that reads the body and
  answers the success envelope with the call's ``requestId`` (400 for anything
  but a POST with a body).

Every request lands in the server's access log with its status and its
``Authorization`` header, so a test reads what the server saw (each nonce and
count) independently of the client. Run as root, Apache's children and CGI run as
``nobody``, which is why the directory is readable by all; lighttpd runs as the
current user.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

USERNAME = "AK-real-digest"
PASSWORD = "Real-Digest-Secret-52c1"  # recognisable: a test may assert it never leaks
REALM = "ob-async real digest"
PROJECT = "p-real"
INSTANCE = "ob-real-1"
TENANTS_PATH = f"/api/v2/instances/{INSTANCE}/tenants"
RESTORE_PATH = f"/api/v2/instances/{INSTANCE}/backup/restore"

TENANTS = {
    "success": True,
    "data": {
        "dataList": [
            {
                "tenantId": "t-real-1",
                "tenantName": "orders",
                "status": "ONLINE",
                "tenantMode": "MYSQL",
                "primaryZone": "cn-hangzhou-h",
            }
        ],
        "total": 1,
    },
    "requestId": "static",
}

_RESTORE_CGI = """#!/bin/sh
# The restore POST of the API: reads the body it was sent, answers the success envelope.
rid=${QUERY_STRING#requestId=}
rid=${rid%%&*}
body=$(head -c "${CONTENT_LENGTH:-0}")
if [ "$REQUEST_METHOD" != POST ] || [ -z "$body" ]; then
    printf 'Status: 400 Bad Request\\r\\nContent-Type: application/json\\r\\n\\r\\n'
    printf '{"success":false,"errorCode":"IllegalRequest","requestId":"%s"}\\n' "$rid"
    exit 0
fi
printf 'Content-Type: application/json\\r\\n\\r\\n'
printf '{"success":true,"data":{},"requestId":"%s"}\\n' "$rid"
"""

# status, method, target, then the Authorization header as the server logs it; Apache's
# %q has the "?", lighttpd's has not.
_ACCESS_FORMAT = '%>s %m "%U{query}" "%{{Authorization}}i"'
_LOG_DEADLINE = 10.0
_HASHES: dict[str, Callable[[bytes], Any]] = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
    "SHA-512-256": lambda data: hashlib.new("sha512_256", data),
}
_LOG_QUIET = 0.05
_ACCESS_LINE = re.compile(r'^(\d{3}) (\S+) "([^"]*)" "(.*)"$')
_AUTH_PARAM = re.compile(r'(\w+)=(?:\\?"((?:[^"\\]|\\[^"])*)\\?"|([^\s,"\\]+))')


@attrs.frozen
class ApacheSetup:
    """An Apache httpd with mod_auth_digest (MD5, qop=auth: all it implements)."""

    name: str
    nc_check: bool = False
    nonce_lifetime: int | None = None
    """``AuthDigestNonceLifetime`` in seconds; None: Apache's default (300)."""
    shmem_size: int | None = None
    """``AuthDigestShmemSize`` in bytes; None: Apache's default (1000, about a dozen
    client records for the whole server)."""


@attrs.frozen
class LighttpdSetup:
    """A lighttpd with mod_auth's digest method; one challenge per algorithm."""

    name: str
    algorithms: tuple[str, ...] = ("MD5",)
    userhash: bool = False


@attrs.frozen
class Seen:
    """One request as the server logged it."""

    status: int
    method: str
    target: str
    authorization: dict[str, str] | None


@attrs.frozen
class RealServer:
    name: str
    url: str
    directory: Path

    @property
    def access_log(self) -> Path:
        return self.directory / "access.log"

    @property
    def error_log(self) -> Path:
        return self.directory / "error.log"

    def seen(self) -> list[Seen]:
        """Every request the server has logged so far, in order."""
        if not self.access_log.exists():
            return []
        return [_parse_access(line) for line in self.access_log.read_text().splitlines() if line]

    def seen_since(self, mark: int, *, at_least: int) -> list[Seen]:
        """The requests logged after the first ``mark``, once ``at_least`` are and no more come.

        Servers log a request after answering it, so the last few lines of a run may
        land a moment after the client has its answers.
        """
        deadline = time.monotonic() + _LOG_DEADLINE
        seen = self.seen()[mark:]
        while len(seen) < at_least:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.name} logged {len(seen)} requests, expected at least {at_least}"
                )
            time.sleep(_LOG_QUIET)
            seen = self.seen()[mark:]
        while True:
            time.sleep(_LOG_QUIET)
            later = self.seen()[mark:]
            if len(later) == len(seen):
                return seen
            seen = later

    def errors(self) -> str:
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""


def _parse_access(line: str) -> Seen:
    match = _ACCESS_LINE.match(line)
    if match is None:
        raise AssertionError(f"unexpected access log line: {line!r}")
    status, method, target, header = match.groups()
    authorization = None
    if header.startswith("Digest "):
        authorization = {
            match.group(1).lower(): match.group(2) if match.group(2) is not None else match.group(3)
            for match in _AUTH_PARAM.finditer(header[len("Digest ") :])
        }
    return Seen(int(status), method, target, authorization)


def binary(name: str, package: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.exists()), None
    )
    if found is None:
        raise RuntimeError(
            f"{name} not found: install Debian's {package} "
            f"(apt-get install -y {package}; .ci/run does)"
        )
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _site(directory: Path) -> None:
    """The endpoints: the tenant list file and the restore CGI."""
    tenants = directory / "htdocs" / TENANTS_PATH.lstrip("/")
    tenants.parent.mkdir(parents=True)
    tenants.write_text(json.dumps(TENANTS))
    restore = directory / "htdocs" / RESTORE_PATH.lstrip("/")
    restore.parent.mkdir(parents=True)
    restore.write_text(_RESTORE_CGI)
    restore.chmod(0o755)


def _readable_by_all(directory: Path) -> None:
    for path in (directory, *directory.rglob("*")):
        path.chmod(path.stat().st_mode | (0o555 if path.is_dir() else 0o444))


def _apache_config(setup: ApacheSetup, directory: Path, port: int) -> str:
    modules = "/usr/lib/apache2/modules"
    loaded = [
        ("mpm_event", "mpm_event"),
        ("authz_core", "authz_core"),
        ("authz_user", "authz_user"),
        ("authn_core", "authn_core"),
        ("authn_file", "authn_file"),
        ("auth_digest", "auth_digest"),
        ("mime", "mime"),
        ("alias", "alias"),
        ("cgid", "cgid"),
    ]
    lines = [f"LoadModule {name}_module {modules}/mod_{so}.so" for name, so in loaded]
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        lines += ["User nobody", f"Group #{nobody.pw_gid}"]
    digest = [
        "AuthType Digest",
        f'AuthName "{REALM}"',
        "AuthDigestProvider file",
        f"AuthUserFile {directory}/users.digest",
        f"AuthDigestNcCheck {'On' if setup.nc_check else 'Off'}",
        "Require valid-user",
    ]
    if setup.nonce_lifetime is not None:
        digest.append(f"AuthDigestNonceLifetime {setup.nonce_lifetime}")
    if setup.shmem_size is not None:
        lines.append(f"AuthDigestShmemSize {setup.shmem_size}")
    lines += [
        f"ServerRoot {directory}",
        f"Listen 127.0.0.1:{port}",
        "ServerName 127.0.0.1",
        f"PidFile {directory}/httpd.pid",
        f"DefaultRuntimeDir {directory}/run",
        f"ScriptSock {directory}/run/cgid.sock",
        f"ErrorLog {directory}/error.log",
        "LogLevel warn auth_digest:info",
        f"LogFormat {json.dumps(_ACCESS_FORMAT.format(query='%q'))} digest",
        f"CustomLog {directory}/access.log digest",
        # Enough workers that no kept-alive connection is closed for want of one.
        "StartServers 2",
        "ThreadsPerChild 64",
        "ServerLimit 4",
        "MaxRequestWorkers 256",
        "KeepAliveTimeout 60",
        "MaxKeepAliveRequests 0",
        "TypesConfig /dev/null",
        f"DocumentRoot {directory}/htdocs",
        f"ScriptAlias {RESTORE_PATH} {directory}/htdocs{RESTORE_PATH}",
        f'<Location "{TENANTS_PATH}">',
        "    ForceType application/json",
        "</Location>",
        '<Location "/api/">',
        *(f"    {line}" for line in digest),
        "</Location>",
    ]
    return "\n".join(lines) + "\n"


def _lighttpd_config(setup: LighttpdSetup, directory: Path, port: int) -> str:
    require = {
        "method": "digest",
        "realm": REALM,
        "require": "valid-user",
        "algorithm": "|".join(setup.algorithms),
    }
    if setup.userhash:
        require["userhash"] = "enable"
    pairs = ", ".join(f'"{key}" => "{value}"' for key, value in require.items())
    return (
        "\n".join(
            [
                f'server.document-root = "{directory}/htdocs"',
                'server.bind = "127.0.0.1"',
                f"server.port = {port}",
                f'server.errorlog = "{directory}/error.log"',
                'server.modules = ("mod_auth", "mod_authn_file", "mod_cgi", "mod_accesslog")',
                'mimetype.assign = ("" => "application/json")',
                # Through a pipe: lighttpd buffers a log file for up to a second or so.
                f'accesslog.filename = "|exec /bin/cat >> {directory}/access.log"',
                f"accesslog.format = {json.dumps(_ACCESS_FORMAT.format(query='?%q'))}",
                f'cgi.assign = ("{RESTORE_PATH.rsplit("/", 1)[1]}" => "/bin/sh")',
                *_lighttpd_backend(setup, directory),
                f'auth.require = ("/api/" => ({pairs}))',
            ]
        )
        + "\n"
    )


def _lighttpd_backend(setup: LighttpdSetup, directory: Path) -> list[str]:
    """The user file: plain (every algorithm), or htdigest when names come hashed.

    lighttpd finds a hashed name only in an htdigest file's fourth field, which holds
    H(username:realm) of the one algorithm offered.
    """
    if not setup.userhash:
        (directory / "users.plain").write_text(f"{USERNAME}:{PASSWORD}\n")
        return [
            'auth.backend = "plain"',
            f'auth.backend.plain.userfile = "{directory}/users.plain"',
        ]
    (algorithm,) = setup.algorithms
    digest = _HASHES[algorithm]
    secret = digest(f"{USERNAME}:{REALM}:{PASSWORD}".encode()).hexdigest()
    hashed = digest(f"{USERNAME}:{REALM}".encode()).hexdigest()
    (directory / "users.htdigest").write_text(f"{USERNAME}:{REALM}:{secret}:{hashed}\n")
    return [
        'auth.backend = "htdigest"',
        f'auth.backend.htdigest.userfile = "{directory}/users.htdigest"',
    ]


def _wait_listening(process: subprocess.Popen[bytes], port: int, what: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process.poll() is not None or time.monotonic() > deadline:
            detail = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
            raise RuntimeError(f"{what} did not start on port {port}:\n{detail}")
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            # Its own session (start_new_session): the group is this server and its children.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextmanager
def _running(name: str, command: list[str], directory: Path, port: int) -> Iterator[RealServer]:
    output = directory / "stdout.log"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            command,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        try:
            _wait_listening(process, port, name, directory / "error.log")
        except RuntimeError as error:
            raise RuntimeError(f"{error}\n{output.read_text(errors='replace')[-2000:]}") from None
        yield RealServer(name, f"http://127.0.0.1:{port}", directory)
    finally:
        _stop(process)


@contextmanager
def running_apache(setup: ApacheSetup) -> Iterator[RealServer]:
    """Apache httpd in the foreground (``-DFOREGROUND``), with its own configuration."""
    executable = binary("apache2", "apache2")
    directory = Path(tempfile.mkdtemp(prefix=f"ob-async-{setup.name}-"))
    try:
        (directory / "run").mkdir()
        _site(directory)
        ha1 = hashlib.md5(f"{USERNAME}:{REALM}:{PASSWORD}".encode()).hexdigest()
        (directory / "users.digest").write_text(f"{USERNAME}:{REALM}:{ha1}\n")
        port = _free_port()
        config = directory / "httpd.conf"
        config.write_text(_apache_config(setup, directory, port))
        _readable_by_all(directory)
        command = [executable, "-f", str(config), "-DFOREGROUND"]
        with _running(setup.name, command, directory, port) as server:
            yield server
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def running_lighttpd(setup: LighttpdSetup) -> Iterator[RealServer]:
    """lighttpd in the foreground (``-D``), with its own configuration."""
    executable = binary("lighttpd", "lighttpd")
    directory = Path(tempfile.mkdtemp(prefix=f"ob-async-{setup.name}-"))
    try:
        _site(directory)
        port = _free_port()
        config = directory / "lighttpd.conf"
        config.write_text(_lighttpd_config(setup, directory, port))
        command = [executable, "-D", "-f", str(config)]
        with _running(setup.name, command, directory, port) as server:
            yield server
    finally:
        shutil.rmtree(directory, ignore_errors=True)
