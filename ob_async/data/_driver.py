"""One read-only MySQL session to a restored tenant, on asyncmy.

The session sets its time zone to UTC (so TIMESTAMP values come back in UTC),
opens a ``READ ONLY`` transaction, and answers :meth:`ReadOnlySession.first_value`
for each check under a timeout, reading at most ``max_rows + 1`` rows through an
unbuffered cursor: a result over the limit, a timeout or a lost connection
drops the connection (the rest of a result is never read) and the next query
opens a new one. The transaction is rolled back at the end. TLS is used when
the address says ``useSSL``, with the certificate verified against the system's
trust store.
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs

from ob_async._extras import require_extra

require_extra("data", "Checking a restored tenant's data")

import asyncmy  # noqa: E402
from asyncmy.constants import FIELD_TYPE  # noqa: E402
from asyncmy.cursors import SSCursor  # noqa: E402
from asyncmy.errors import Error as MySQLError  # noqa: E402

from ob_async._wire.addresses import Endpoint  # noqa: E402
from ob_async.data._login import TenantLogin  # noqa: E402
from ob_async.data._spec import DataLimits  # noqa: E402
from ob_async.data._sql_error import SqlError  # noqa: E402

# Client-side codes (CR_*) of a server that is not (yet) reachable.
UNREACHABLE_CODES = frozenset({2002, 2003, 2005, 2006, 2013})
ACCESS_DENIED_CODES = frozenset({1044, 1045, 1698})


def _describe(error: BaseException) -> SqlError:
    if isinstance(error, MySQLError) and len(error.args) >= 2:
        code, message = error.args[0], error.args[1]
        # A refused certificate comes as "can't connect" too, but trying again cannot help.
        tls_refused = "[SSL" in str(message) or isinstance(error.__cause__, ssl.SSLError)
        return SqlError(
            f"MySQL error {code}: {message}",
            unreachable=code in UNREACHABLE_CODES and not tls_refused,
        )
    if isinstance(error, OSError):
        return SqlError(f"cannot connect: {error.strerror or error}", unreachable=True)
    return SqlError(f"{type(error).__name__}: {error}")


@attrs.frozen
class Cell:
    """A result's first value, and whether its column is a TIMESTAMP: the server gives a
    TIMESTAMP in the session's time zone (UTC, set at connect), so it names its moment."""

    value: object
    in_session_zone: bool = False


def tls_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """A client context that verifies the server's certificate and name."""
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


class ReadOnlySession:
    """A tenant connection inside a read-only transaction; reconnects after a broken query."""

    def __init__(self, endpoint: Endpoint, login: TenantLogin, limits: DataLimits) -> None:
        self.endpoint = endpoint
        self._login = login
        self._limits = limits
        self._connection: Any = None

    def __repr__(self) -> str:
        return f"ReadOnlySession({self.endpoint}, user={self._login.user!r})"

    async def connect(self) -> None:
        """Open the connection and the read-only transaction (a no-op when open)."""
        if self._connection is not None:
            return
        login, limits = self._login, self._limits
        try:
            async with asyncio.timeout(limits.connect_timeout + 1):
                connection = await asyncmy.connect(
                    host=self.endpoint.host,
                    port=self.endpoint.port,
                    user=login.user,
                    password=login.reveal_password(),
                    database=login.database,
                    connect_timeout=limits.connect_timeout,
                    ssl=tls_context(limits.ca_file) if self.endpoint.use_ssl else None,
                    autocommit=True,
                    charset="utf8mb4",
                )
        except TimeoutError:
            raise SqlError(
                f"cannot connect to {self.endpoint}: no answer within {limits.connect_timeout:g}s",
                unreachable=True,
            ) from None
        except ssl.SSLError as error:
            raise SqlError(f"TLS with {self.endpoint} failed: {error.reason or error}") from None
        except (MySQLError, OSError) as error:
            raise _describe(error) from None
        try:
            async with connection.cursor() as cursor:
                await cursor.execute("SET time_zone = '+00:00'")
                await cursor.execute("START TRANSACTION READ ONLY")
        except (MySQLError, OSError) as error:
            connection.close()
            raise _describe(error) from None
        self._connection = connection

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    async def first_value(
        self, sql: str, *, timeout: float | None = None, max_rows: int | None = None
    ) -> object:
        """The first column of the first row of ``sql``'s result; SqlError if there is none.

        ``timeout`` and ``max_rows`` default to the limits' ``check_timeout`` and ``max_rows``.
        """
        return (await self.first_cell(sql, timeout=timeout, max_rows=max_rows)).value

    async def first_cell(
        self, sql: str, *, timeout: float | None = None, max_rows: int | None = None
    ) -> Cell:
        """:meth:`first_value` with what its column's type says about it."""
        await self.connect()
        seconds = timeout or self._limits.check_timeout
        bound = max_rows or self._limits.max_rows
        rows: list[Any] = []
        try:
            async with asyncio.timeout(seconds):
                cursor = self._connection.cursor(SSCursor)
                await cursor.execute(sql)
                rows = await cursor.fetchmany(bound + 1)
                column_type = cursor.description[0][1] if cursor.description else None
                if len(rows) > bound:
                    self._drop()
                    raise SqlError(
                        f"the result has more than {bound} rows (the limit); "
                        "a check should return one value"
                    )
                await cursor.close()
        except TimeoutError:
            self._drop()
            raise SqlError(f"no result within {seconds:g}s (the check timeout)") from None
        except (MySQLError, OSError) as error:
            described = _describe(error)
            if described.unreachable:
                self._drop()
            raise described from None
        if not rows or not rows[0]:
            raise SqlError("the query returned no rows")
        return Cell(rows[0][0], in_session_zone=column_type == FIELD_TYPE.TIMESTAMP)

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            async with asyncio.timeout(self._limits.connect_timeout):
                async with connection.cursor() as cursor:
                    await cursor.execute("ROLLBACK")
                await connection.ensure_closed()
        except (MySQLError, OSError, TimeoutError):
            connection.close()

    async def __aenter__(self) -> ReadOnlySession:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
