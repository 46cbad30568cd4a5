"""The one error a tenant's SQL session raises, importable without the MySQL driver."""

from __future__ import annotations


class SqlError(Exception):
    """A query or connection failed; the message is safe to report (no password)."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable
