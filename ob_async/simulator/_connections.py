"""A simulated tenant's connection address, as describe and the address call return it.

Both the intranet and the internet address are the tenant's loopback listener
(the simulator has no other network), or ``sql_address`` for every tenant when
configured. An address is ``ONLINE`` once its tenant is ONLINE and
``address_delay`` has passed; until then it is ``CREATING`` and has no host.
"""

from __future__ import annotations

import functools
from typing import Any

from ob_async.simulator import _shapes as shapes
from ob_async.simulator._config import SimulatorConfig
from ob_async.simulator._sql_server import TenantSqlServers
from ob_async.simulator._tenant_data import snapshot
from ob_async.simulator._world import Tenant


class TenantAddresses:
    """Works out, and serves, every tenant's MySQL address."""

    def __init__(self, config: SimulatorConfig) -> None:
        self._config = config
        self.servers = TenantSqlServers(config.tenant_password, host="127.0.0.1")

    async def _endpoint(self, tenant: Tenant, now: float) -> tuple[str, int] | None:
        config = self._config
        if tenant.status != config.online_status or now < tenant.address_ready_at:
            return None
        if config.sql_address is not None:
            host, _, port_text = config.sql_address.rpartition(":")
            return host.strip("[]"), int(port_text)
        if not config.serve_sql:
            return None
        as_of = now if tenant.data_as_of is None else tenant.data_as_of
        port = self.servers.port_of(tenant.tenant_id)
        if port is None:
            port = await self.servers.serve(
                tenant.tenant_id,
                functools.partial(snapshot, tenant.tables, as_of=as_of, now=now),
            )
        return self.servers.host, port

    async def connections(self, tenant: Tenant, now: float) -> list[dict[str, Any]]:
        """Describe tenant's ``tenantConnections``: the tenant's one address."""
        return [await self.address(tenant, now)]

    async def address(self, tenant: Tenant, now: float) -> dict[str, Any]:
        """The tenant's address, a ``TenantConnectionDTO`` (what the address call answers)."""
        endpoint = await self._endpoint(tenant, now)
        return shapes.connection(tenant, endpoint, use_ssl=self._config.sql_use_ssl)

    async def forget(self, tenant: Tenant) -> None:
        await self.servers.drop(tenant.tenant_id)

    async def close(self) -> None:
        await self.servers.close()
