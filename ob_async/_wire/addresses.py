"""The connection addresses of a tenant: how a MySQL client reaches it.

Describe tenant carries them as ``tenantConnections``; the address call
(``GET .../tenants/{tenantId}/address``) lists them with their service type.
Each entry may have an intranet (inside the VPC) and an internet address; only
an entry whose ``addressStatus`` is ``ONLINE`` accepts connections. Response
enums whose full value set is not documented (status, service type, network
type, role) stay plain strings so that a new value never breaks parsing.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import attrs

ADDRESS_ONLINE = "ONLINE"
"""The ``addressStatus`` of an address that accepts connections."""


class Network(enum.StrEnum):
    """Which of an entry's two addresses a client uses."""

    INTRANET = "intranet"
    INTERNET = "internet"


@attrs.frozen(kw_only=True)
class Endpoint:
    """A host and port to open a MySQL connection to, and whether TLS is required."""

    host: str
    port: int
    use_ssl: bool = False

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @classmethod
    def parse(cls, text: str) -> Endpoint:
        """``HOST:PORT`` (an IPv6 host in brackets: ``[::1]:3306``); ValueError otherwise."""
        host, separator, port = text.rpartition(":") if isinstance(text, str) else ("", "", "")
        host = host.strip()
        if host.startswith("[") and host.endswith("]"):
            host = host[1:-1]
        if not separator or not host or not port.isdigit() or not 0 < int(port) <= 65535:
            raise ValueError(f"must be HOST:PORT, got {text!r}")
        return cls(host=host, port=int(port))


@attrs.frozen(kw_only=True)
class AddressEntry:
    """What both kinds of address entry carry: the two addresses, TLS and status."""

    intranet_address: str | None = None
    intranet_port: int | None = None
    internet_address: str | None = None
    internet_port: int | None = None
    use_ssl: bool = False
    address_status: str | None = None

    @property
    def is_online(self) -> bool:
        return self.address_status == ADDRESS_ONLINE

    def endpoint(self, network: Network) -> Endpoint | None:
        """The address of ``network``, or None when this entry has none."""
        if network is Network.INTRANET:
            host, port = self.intranet_address, self.intranet_port
        else:
            host, port = self.internet_address, self.internet_port
        if not host or port is None:
            return None
        return Endpoint(host=host, port=port, use_ssl=self.use_ssl)


@attrs.frozen(kw_only=True)
class TenantConnection(AddressEntry):
    """An entry of describe tenant's ``tenantConnections``."""

    tenant_zones: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class TenantAddress(AddressEntry):
    """An entry of the address call's list."""

    service_type: str | None = None
    network_type: str | None = None
    role: str | None = None
    user_name_format: str | None = None


def choose_endpoint(entries: Sequence[AddressEntry], network: Network) -> Endpoint | None:
    """The first ONLINE entry's address on ``network``, or None if no entry has one yet."""
    for entry in entries:
        endpoint = entry.endpoint(network) if entry.is_online else None
        if endpoint is not None:
            return endpoint
    return None
