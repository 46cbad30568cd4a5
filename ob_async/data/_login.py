"""How the drill logs into a restored tenant: a user, a database, and a password kept secret.

The password comes from an environment variable or from a file only its owner
can read (mode 600), never from the plan itself or a command-line value. It
never shows in a repr, str, log line, report or exception; the driver reads it
through :meth:`TenantLogin.reveal_password`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import attrs

from ob_async._secret_file import read_secret_file
from ob_async.errors import InvalidInputError

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
        text = read_secret_file(path, what="password file", max_bytes=MAX_PASSWORD_FILE_BYTES)
    except InvalidInputError as error:
        raise PasswordError(str(error)) from None
    lines = text.splitlines()
    password = lines[0].strip() if lines else ""
    if not password:
        raise PasswordError(f"password file {path}: its first line is empty")
    return password
