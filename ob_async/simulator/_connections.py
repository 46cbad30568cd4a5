"""A simulated tenant's connection addresses, as describe and the address call return them.

Both the intranet and the internet address are the tenant's loopback listener
(the simulator has no other network), or ``sql_address`` for every tenant when
configured. An address is ``ONLINE`` once its tenant is ONLINE and
``address_delay`` has passed; until then it is ``CREATING`` and has no host.
"""

from __future__ import annotations

import functools
from typing import Any

from ob_async.simulator._config import SimulatorConfig
from ob_async.simulator._sql_server import TenantSqlServers
from ob_async.simulator._tenant_data import snapshot
from ob_async.simulator._world import Tenant

ADDRESS_ONLINE = "ONLINE"
ADDRESS_CREATING = "CREATING"


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
        """Describe tenant's ``tenantConnections``."""
        return [
            {
                **self._addressed(await self._endpoint(tenant, now)),
                "tenantZones": [tenant.primary_zone],
            }
        ]

    async def addresses(self, tenant: Tenant, now: float) -> list[dict[str, Any]]:
        """The address call's list: one OBProxy entry per network."""
        addressed = self._addressed(await self._endpoint(tenant, now))
        return [
            {
                **addressed,
                "serviceType": service,
                "networkType": "VPC" if service == "OBPROXY_INTRANET" else "PUBLIC",
                "role": "READ_WRITE",
                "userNameFormat": "{user}",
            }
            for service in ("OBPROXY_INTRANET", "OBPROXY_INTERNET")
        ]

    def _addressed(self, endpoint: tuple[str, int] | None) -> dict[str, Any]:
        host, port = endpoint if endpoint is not None else (None, None)
        return {
            "intranetAddress": host,
            "intranetPort": port,
            "internetAddress": host,
            "internetPort": port,
            "useSSL": self._config.sql_use_ssl,
            "addressStatus": ADDRESS_ONLINE if endpoint is not None else ADDRESS_CREATING,
        }

    async def forget(self, tenant: Tenant) -> None:
        await self.servers.drop(tenant.tenant_id)

    async def close(self) -> None:
        await self.servers.close()
