"""The simulated tenants' MySQL endpoints: each restored tenant served over the MySQL protocol.

A tenant gets its own loopback listener (mysql-mimic speaks the wire
protocol) the first time its address is asked for once it is ONLINE, and
loses it when the tenant is deleted or the simulator stops. Its data is a
:class:`~.tenant_data.Snapshot` of its source tenant's fixture tables as of
the restore point (a fixture tenant serves its own tables as of now).
Queries run through sqlglot's executor over those rows: SELECT (with WITH,
joins, aggregates), SHOW and the information schema; ``SLEEP(n)`` waits, so
that a client's timeout can be tried. Anything that would write is refused.

Login: any user name with the configured tenant password
(``mysql_native_password``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from typing import Any

from mysql_mimic import MysqlServer, Session  # type: ignore[import-untyped]
from mysql_mimic.auth import (  # type: ignore[import-untyped]
    IdentityProvider,
    NativePasswordAuthPlugin,
    User,
)
from mysql_mimic.constants import KillKind  # type: ignore[import-untyped]
from mysql_mimic.errors import MysqlError  # type: ignore[import-untyped]
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.executor import execute

from ob_async.simulator._tenant_data import Snapshot

logger = logging.getLogger("ob_async.simulator.sql")

NO_SUCH_TABLE = 1146
READ_ONLY_TRANSACTION = 1792
MAX_SLEEP_SECONDS = 600.0


class _PasswordProvider(IdentityProvider):  # type: ignore[misc]
    """Any user name, one password."""

    def __init__(self, password: str) -> None:
        self._auth_string = NativePasswordAuthPlugin.create_auth_string(password)

    def get_plugins(self) -> Sequence[Any]:
        return [NativePasswordAuthPlugin()]

    async def get_user(self, username: str) -> Any:
        return User(
            name=username, auth_string=self._auth_string, auth_plugin=NativePasswordAuthPlugin.name
        )

    def __repr__(self) -> str:
        return "_PasswordProvider(password=***)"


class _TenantSession(Session):  # type: ignore[misc]
    def __init__(self, data: Snapshot) -> None:
        super().__init__()
        self._data = data
        # First, before mysql-mimic answers a FROM-less SELECT on its own.
        self.middlewares.insert(0, self._sleep_middleware)

    async def schema(self) -> dict[str, Any]:
        return self._data.schema

    async def query(self, expression: exp.Expression, sql: str, attrs: dict[str, str]) -> Any:
        if not isinstance(expression, exp.Query):
            raise MysqlError(
                "Cannot execute statement in a READ ONLY transaction",
                code=READ_ONLY_TRANSACTION,
            )
        expression = expression.copy()
        for table in expression.find_all(exp.Table):
            database = table.db or self.database or ""
            if table.name and not self._data.has_table(database, table.name):
                raise MysqlError(f"Table '{database}.{table.name}' doesn't exist", NO_SUCH_TABLE)
            if table.name and not table.db:
                table.set("db", exp.to_identifier(database))
        try:
            result = execute(expression, tables=self._data.tables)
        except SqlglotError as error:
            raise MysqlError(f"the simulator cannot run this query: {error}") from None
        return result.rows, list(result.columns)

    @staticmethod
    async def _sleep_middleware(query: Any) -> Any:
        """``SLEEP(n)`` waits n seconds and is 0, as in MySQL."""
        for call in list(query.expression.find_all(exp.Anonymous)):
            if call.name.upper() != "SLEEP":
                continue
            argument = call.expressions[0] if call.expressions else None
            seconds = float(argument.name) if isinstance(argument, exp.Literal) else 0.0
            await asyncio.sleep(min(max(seconds, 0.0), MAX_SLEEP_SECONDS))
            call.replace(exp.Literal.number(0))
        return await query.next()


class TenantSqlServer:
    """One tenant's listener on loopback."""

    def __init__(self, data: Callable[[], Snapshot], password: str, host: str) -> None:
        # The rows are made when the first client connects, not when the address is
        # first described: a drill without data checks never pays for them.
        snapshot = functools.cache(data)
        self._server = MysqlServer(
            session_factory=lambda: _TenantSession(snapshot()),
            identity_provider=_PasswordProvider(password),
        )
        self._host = host
        self.port = 0

    async def start(self) -> None:
        await self._server.start_server(host=self._host, port=0)
        self.port = int(self._server.sockets()[0].getsockname()[1])

    async def stop(self) -> None:
        self._server.close()
        control = self._server.control
        for connection_id in list(getattr(control, "_connections", {})):
            await control.kill(connection_id, KillKind.CONNECTION)
        await self._server.wait_closed()


class TenantSqlServers:
    """Every served tenant's listener, by tenant id."""

    def __init__(self, password: str, host: str = "127.0.0.1") -> None:
        # mysql-mimic logs every query error a client causes at ERROR; here those are
        # the drill's own findings (a missing table, a refused write), reported there.
        logging.getLogger("mysql_mimic.connection").setLevel(logging.CRITICAL)
        self._password = password
        self._host = host
        self._servers: dict[str, TenantSqlServer] = {}
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"TenantSqlServers(host={self._host!r}, serving={len(self._servers)})"

    @property
    def host(self) -> str:
        return self._host

    def port_of(self, tenant_id: str) -> int | None:
        server = self._servers.get(tenant_id)
        return server.port if server is not None else None

    async def serve(self, tenant_id: str, data: Callable[[], Snapshot]) -> int:
        """The tenant's port, starting its listener the first time (``data`` is called
        when its first client connects)."""
        async with self._lock:
            server = self._servers.get(tenant_id)
            if server is None:
                server = TenantSqlServer(data, self._password, self._host)
                await server.start()
                self._servers[tenant_id] = server
                logger.debug("serving tenant %s over MySQL on port %d", tenant_id, server.port)
            return server.port

    async def drop(self, tenant_id: str) -> None:
        server = self._servers.pop(tenant_id, None)
        if server is not None:
            await server.stop()

    async def close(self) -> None:
        servers, self._servers = self._servers, {}
        await asyncio.gather(*(server.stop() for server in servers.values()))
