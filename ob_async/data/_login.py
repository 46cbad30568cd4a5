"""How the drill logs into a restored tenant: a user, a database, and a password kept secret.

The password comes from an environment variable or from a file only its owner
can read (mode 600), never from the plan itself or a command-line value. It
never shows in a repr, str, log line, report or exception; the driver reads it
through :meth:`TenantLogin.reveal_password`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

import attrs

MAX_PASSWORD_FILE_BYTES = 4096

DEMO_TENANT_PASSWORD = "demo-tenant-password"  # noqa: S105 - a published demo value
"""What the embedded simulator's tenants accept when the plan's password variable is unset."""


class PasswordError(ValueError):
    """The password cannot be had; the message says why, never what it is."""


@attrs.frozen(repr=False)
class TenantLogin:
    """A tenant user and the database to open; ``source`` says where the password came from."""

    user: str
    _password: str = attrs.field(alias="password")
    database: str | None = None
    source: str = ""

    def reveal_password(self) -> str:
        """The password itself, for the MySQL handshake only."""
        return self._password

    def __repr__(self) -> str:
        return (
            f"TenantLogin(user={self.user!r}, password='***', database={self.database!r}, "
            f"source={self.source!r})"
        )

    __str__ = __repr__


def password_from_env(name: str, environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    value = env.get(name, "")
    if not value:
        raise PasswordError(f"environment variable {name} is not set (it holds the password)")
    return value


def password_from_file(path: Path) -> str:
    """The first line of a regular file that group and others cannot read."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise PasswordError(f"password file {path}: cannot read: {error.strerror}") from None
    if not stat.S_ISREG(mode):
        raise PasswordError(f"password file {path}: is not a regular file")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PasswordError(
            f"password file {path}: is accessible by group or others "
            f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {path}"
        )
    try:
        with path.open("rb") as file:
            data = file.read(MAX_PASSWORD_FILE_BYTES + 1)
    except OSError as error:
        raise PasswordError(f"password file {path}: cannot read: {error.strerror}") from None
    if len(data) > MAX_PASSWORD_FILE_BYTES:
        raise PasswordError(f"password file {path}: is larger than {MAX_PASSWORD_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PasswordError(f"password file {path}: is not UTF-8 text") from None
    lines = text.splitlines()
    password = lines[0].strip() if lines else ""
    if not password:
        raise PasswordError(f"password file {path}: its first line is empty")
    return password
