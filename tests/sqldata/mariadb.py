"""A real MariaDB server for the tests: its own data directory, a loopback port, stopped at the end.

Started from Debian's ``mariadb-server`` binaries (``.ci/run`` installs the
package when it is missing). Root logs in through the server's own socket and
seeds the ``app`` database; the drill's user, ``dr_reader``, may only SELECT.

The same heartbeat (a row a minute, the newest :attr:`MariaDB.newest_heartbeat`) is
written three ways: ``app.heartbeat`` as DATETIME in UTC, ``app.heartbeat_local`` as
DATETIME in the local time of :data:`LOCAL_ZONE` (+08:00, as in China), and
``app.heartbeat_ts`` as TIMESTAMP by a session in that zone (the server keeps UTC).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import asyncmy
import attrs
import trustme

LOCAL_ZONE = timezone(timedelta(hours=8))
READER = "dr_reader"
READER_PASSWORD = "Reader-Pass-4b1d9e"  # recognisable: tests assert it never leaks
ORDERS = 1200


@attrs.frozen
class MariaDB:
    port: int
    socket: Path
    newest_heartbeat: datetime
    """The newest row of app.heartbeat (UTC, whole minutes)."""
    ca_file: Path
    """The CA (PEM) of the server's TLS certificate, issued for 127.0.0.1."""

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/sbin") / name, Path("/usr/bin") / name) if p.exists()), None
    )
    if found is None:
        raise RuntimeError(f"{name} not found: install Debian's mariadb-server (.ci/run does)")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _seed(sock: Path, newest: datetime) -> None:
    connection = await asyncmy.connect(unix_socket=str(sock), user="root", autocommit=True)
    statements = [
        "CREATE DATABASE app",
        "CREATE TABLE app.orders (id INT PRIMARY KEY, amount INT, created_at DATETIME)",
        "CREATE TABLE app.heartbeat (id INT PRIMARY KEY, updated_at DATETIME)",
        "CREATE TABLE app.heartbeat_local (id INT PRIMARY KEY, updated_at DATETIME)",
        "CREATE TABLE app.heartbeat_ts (id INT PRIMARY KEY, updated_at TIMESTAMP NULL)",
        f"CREATE USER '{READER}'@'%' IDENTIFIED BY '{READER_PASSWORD}'",
        f"GRANT SELECT ON app.* TO '{READER}'@'%'",
    ]
    async with connection.cursor() as cursor:
        for statement in statements:
            await cursor.execute(statement)
        await cursor.executemany(
            "INSERT INTO app.orders VALUES (%s, %s, %s)",
            [
                (n, (n * 37) % 1000, datetime(2025, 6, 1) + timedelta(seconds=n))
                for n in range(1, ORDERS + 1)
            ],
        )
        beats = [newest - timedelta(minutes=120 - n) for n in range(121)]
        await cursor.executemany(
            "INSERT INTO app.heartbeat VALUES (%s, %s)",
            [(n, beat.replace(tzinfo=None)) for n, beat in enumerate(beats)],
        )
        local = [
            (n, beat.astimezone(LOCAL_ZONE).replace(tzinfo=None)) for n, beat in enumerate(beats)
        ]
        await cursor.executemany("INSERT INTO app.heartbeat_local VALUES (%s, %s)", local)
        # An application in +08:00 writes its TIMESTAMPs in local time; the server keeps UTC.
        await cursor.execute("SET time_zone = '+08:00'")
        await cursor.executemany("INSERT INTO app.heartbeat_ts VALUES (%s, %s)", local)
    connection.close()


@attrs.frozen
class _Server:
    process: subprocess.Popen[bytes]
    log: Path


def _certificates(base: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for 127.0.0.1 signed by it: (ca, cert, key)."""
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1")
    paths = base / "ca.pem", base / "cert.pem", base / "key.pem"
    ca.cert_pem.write_to_path(str(paths[0]))
    leaf.cert_chain_pems[0].write_to_path(str(paths[1]))
    leaf.private_key_pem.write_to_path(str(paths[2]))
    return paths


def _start(base: Path, port: int) -> _Server:
    datadir, sock, log = base / "data", base / "mysqld.sock", base / "error.log"
    ca, cert, key = _certificates(base)
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [
            _binary("mariadb-install-db"),
            "--no-defaults",
            f"--datadir={datadir}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            # A machine whose name does not resolve (a fresh container, a chroot without
            # /etc/hosts) is no reason to refuse: the tests' accounts need no host name.
            "--force",
            *as_root,
        ],
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        [
            _binary("mariadbd"),
            "--no-defaults",
            f"--datadir={datadir}",
            f"--socket={sock}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",  # clients are 127.0.0.1 and the socket: nothing to look up
            f"--pid-file={base / 'mariadbd.pid'}",
            f"--log-error={log}",
            "--skip-log-bin",
            "--innodb-buffer-pool-size=16M",
            f"--ssl-ca={ca}",
            f"--ssl-cert={cert}",
            f"--ssl-key={key}",
            *as_root,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    # The socket file appears before the server listens on it: wait for a connection.
    while not _accepts(sock):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"mariadbd did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)
    return _Server(process, log)


def _accepts(sock: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(str(sock))
        except OSError:
            return False
        return True


def running_mariadb(base: Path) -> Iterator[MariaDB]:
    """Start a server under ``base``, seed it, yield it, stop it."""
    port = _free_port()
    server = _start(base, port)
    try:
        newest = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=7)
        asyncio.run(_seed(base / "mysqld.sock", newest))
        yield MariaDB(
            port=port, socket=base / "mysqld.sock", newest_heartbeat=newest, ca_file=base / "ca.pem"
        )
    finally:
        server.process.terminate()
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
