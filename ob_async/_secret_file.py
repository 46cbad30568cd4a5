"""Reading a secret from a file only its owner can read: the one rule for every secret on disk.

AccessKey credentials, tenant passwords and evidence signing keys may each come from a file.
A file that group or others can read has already leaked, so it is refused with the ``chmod``
that fixes it; the contents are never part of any message.
"""

from __future__ import annotations

import stat
from pathlib import Path

from ob_async.errors import InvalidInputError


def read_secret_file(path: Path, *, what: str, max_bytes: int = 64 * 1024) -> str:
    """The UTF-8 text of ``path``, a regular file of at most ``max_bytes`` that only its
    owner can read; :class:`InvalidInputError` naming ``what`` and the path otherwise."""
    where = f"{what} {path}"
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise InvalidInputError(f"cannot read: {error.strerror}", where=where) from None
    if not stat.S_ISREG(mode):
        raise InvalidInputError("is not a regular file", where=where)
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InvalidInputError(
            f"is accessible by group or others (mode {stat.S_IMODE(mode):04o}); "
            f"run: chmod 600 {path}",
            where=where,
        )
    try:
        with path.open("rb") as file:
            data = file.read(max_bytes + 1)
    except OSError as error:
        raise InvalidInputError(f"cannot read: {error.strerror}", where=where) from None
    if len(data) > max_bytes:
        raise InvalidInputError(f"is larger than {max_bytes} bytes", where=where)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError("is not UTF-8 text", where=where) from None
