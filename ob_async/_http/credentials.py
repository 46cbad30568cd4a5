"""The AccessKey pair, and where it may come from (never from a command-line value).

The secret carries every privilege of the account, so it is kept out of every
repr, str, log line and exception; the only code that reads it is the digest
engine, through :meth:`Credentials.reveal_secret`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import attrs

from ob_async._secret_file import read_secret_file
from ob_async._validators import check_header_value
from ob_async.errors import InvalidInputError

ENV_ACCESS_KEY_ID = "OB_ACCESS_KEY_ID"
ENV_ACCESS_KEY_SECRET = "OB_ACCESS_KEY_SECRET"  # noqa: S105 - the variable's name, not a secret
ENV_PROJECT_ID = "OB_PROJECT_ID"
ENV_CREDENTIALS_FILE = "OB_CREDENTIALS_FILE"


@attrs.frozen(repr=False)
class Credentials:
    """An AccessKey ID and secret; the secret never shows in repr or str."""

    access_key_id: str
    _access_key_secret: str = attrs.field(alias="access_key_secret")

    def __attrs_post_init__(self) -> None:
        if not self.access_key_id:
            raise InvalidInputError("the AccessKey ID is empty", where="credentials")
        if not self._access_key_secret.strip():
            raise InvalidInputError(
                "the AccessKey secret is empty"
                + (" (only blanks)" if self._access_key_secret else ""),
                where="credentials",
            )
        if ":" in self.access_key_id:
            raise InvalidInputError("the AccessKey ID must not contain ':'", where="credentials")
        check_header_value(self.access_key_id, where="credentials: the AccessKey ID")
        check_header_value(self._access_key_secret, where="credentials: the AccessKey secret")

    def reveal_secret(self) -> str:
        """The secret itself, for the digest computation only."""
        return self._access_key_secret

    def __repr__(self) -> str:
        return f"Credentials(access_key_id={self.access_key_id!r}, access_key_secret='***')"

    __str__ = __repr__

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """Read ``OB_ACCESS_KEY_ID`` and ``OB_ACCESS_KEY_SECRET``."""
        env = os.environ if environ is None else environ
        key_id = env.get(ENV_ACCESS_KEY_ID, "")
        secret = env.get(ENV_ACCESS_KEY_SECRET, "")
        missing = [
            name
            for name, value in ((ENV_ACCESS_KEY_ID, key_id), (ENV_ACCESS_KEY_SECRET, secret))
            if not value
        ]
        if missing:
            raise InvalidInputError(
                f"environment variable(s) {', '.join(missing)} not set", where="credentials"
            )
        return cls(key_id, access_key_secret=secret)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Credentials:
        """Read a credentials file, refusing one that group or others can read.

        The file holds ``KEY=VALUE`` lines with ``OB_ACCESS_KEY_ID`` and
        ``OB_ACCESS_KEY_SECRET`` (``access_key_id`` and ``access_key_secret`` are
        accepted as key names too), as a shell would source them: a line may
        start with ``export``, a value may be in single or double quotes, and a
        line starting with ``#`` is a comment (a ``#`` inside a value is kept:
        secrets may contain one).
        """
        file = Path(path)
        where = f"credentials file {file}"
        text = read_secret_file(file, what="credentials file")
        values: dict[str, str] = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            entry = _parse_line(raw, where=f"{where}, line {number}")
            if entry is not None:
                values[entry[0]] = entry[1]
        for short, full in (
            ("ACCESS_KEY_ID", ENV_ACCESS_KEY_ID),
            ("ACCESS_KEY_SECRET", ENV_ACCESS_KEY_SECRET),
        ):
            if short in values and full not in values:
                values[full] = values.pop(short)
        try:
            return cls.from_env(values)
        except InvalidInputError as error:
            raise InvalidInputError(
                error.reason.replace("environment variable(s)", "key(s)").replace(
                    "not set", "missing"
                ),
                where=where,
            ) from None


_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXPORT = re.compile(r"export\s+")


def _parse_line(raw: str, *, where: str) -> tuple[str, str] | None:
    """One ``[export] KEY=VALUE`` line as (KEY in upper case, VALUE unquoted), None if blank.

    Errors name the line, never its content: the line may hold the secret.
    """
    line = raw.strip()
    if not line or line.startswith("#"):
        return None
    line = _EXPORT.sub("", line, count=1) if _EXPORT.match(line) else line
    key, sep, value = line.partition("=")
    key, value = key.strip(), value.strip()
    if not sep:
        raise InvalidInputError(
            "expected KEY=VALUE (the line's content is not shown, it may be secret)", where=where
        )
    if not _KEY.fullmatch(key):
        raise InvalidInputError(
            "the key before '=' is not a variable name (the line's content is not shown, "
            "it may be secret)",
            where=where,
        )
    if value[:1] in ("'", '"'):
        quote = value[0]
        if len(value) < 2 or not value.endswith(quote):
            raise InvalidInputError(
                f"the value opens a {quote} quote it does not close", where=where
            )
        value = value[1:-1]
    return key.upper(), value
