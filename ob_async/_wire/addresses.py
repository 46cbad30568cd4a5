"""The connection addresses of a tenant: how a MySQL client reaches it.

Describe tenant carries them as ``tenantConnections``; the address call
(``GET .../tenants/{tenantId}/address?addressId=...``) returns one of them by its
``addressId``. Both are the provider's ``TenantConnectionDTO`` (contract/openapi.yaml).
Each entry may have an intranet (inside the VPC) and an internet address, each with its
own status; an address accepts connections when its network's status (else the entry's
``addressStatus``) is ``ONLINE``. Its host is the address, else the domain name.

The fields a data check decides on (the addresses, domains, ports, statuses, ``useSSL``,
``addressId``) may be absent or null (an address being allocated) but never of another
type; every other field is informative (:mod:`ob_async._wire.tolerant`). Status values
other than ONLINE are not published: they stay plain strings.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import attrs

from ob_async._wire.tolerant import informative

ADDRESS_ONLINE = "ONLINE"
"""The status of an address that accepts connections."""


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
class PrivateLink:
    """An entry of ``privateLinkList`` (the provider's ``TenantPrivateLinkDTO``)."""

    private_link_endpoint_id: str | None = informative()
    intranet_address: str | None = informative()
    private_link_status: str | None = informative()
    private_link_domain: str | None = informative()
    private_link_service_id: str | None = informative()
    intranet_domain: str | None = informative()
    private_link_service_account: str | None = informative()
    private_link_user_account: str | None = informative()


@attrs.frozen(kw_only=True)
class ProxyClusterInfo:
    """``proxyClusterInfo`` (the provider's ``ProxyClusterInfoDTO``)."""

    proxy_cluster_id: str | None = informative()
    proxy_mode: str | None = informative()
    zone: str | None = informative()
    unit_spec: str | None = informative()
    unit_num: int | None = informative()
    unit_num_limit: int | None = informative()
    status: str | None = informative()
    proxy_service_version: str | None = informative()
    proxy_version: str | None = informative()
    create_time: str | None = informative()
    expire_time: str | None = informative()


@attrs.frozen(kw_only=True)
class TenantConnection:
    """A connection address of a tenant (the provider's ``TenantConnectionDTO``)."""

    # Decided on by the data checks: absent or null, never of another type.
    address_id: str | None = None
    intranet_address: str | None = None
    intranet_domain: str | None = None
    intranet_port: int | None = None
    intranet_address_status: str | None = None
    internet_address: str | None = None
    internet_domain: str | None = None
    internet_port: int | None = None
    internet_address_status: str | None = None
    address_status: str | None = None
    use_ssl: bool | None = None
    # Informative.
    tenant_id: str | None = informative()
    vpc_id: str | None = informative()
    user_vpc_owner_id: str | None = informative()
    service_type: str | None = informative()
    address_type: str | None = informative()
    network_type: str | None = informative()
    role: str | None = informative()
    intranet_peering_address: str | None = informative()
    intranet_peering_port: int | None = informative()
    intranet_peering_domain: str | None = informative()
    intranet_peering_address_status: str | None = informative()
    intranet_address_master_zone_id: str | None = informative()
    intranet_address_slave_zone_id: str | None = informative()
    connection_zones: tuple[str, ...] = informative(factory=tuple)
    user_name_format: str | None = informative()
    private_link_list: tuple[PrivateLink, ...] = informative(factory=tuple)
    peering_dst_vpc_id: str | None = informative()
    peering_dst_cidr_list: str | None = informative()
    peering_id: str | None = informative()
    proxy_cluster_id: str | None = informative()
    max_connection_num: int | None = informative()
    internet_max_connection_num: int | None = informative()
    intranet_peering_max_connection_num: int | None = informative()
    enable_rpc: bool | None = informative()
    intranet_rpc_port: int | None = informative()
    internet_rpc_port: int | None = informative()
    proxy_cluster_info: ProxyClusterInfo | None = informative()
    vswitch_id: str | None = informative()

    def status_of(self, network: Network) -> str | None:
        """The status of ``network``'s address: its own, else the entry's."""
        own = (
            self.intranet_address_status
            if network is Network.INTRANET
            else self.internet_address_status
        )
        return own or self.address_status

    def is_online(self, network: Network) -> bool:
        return self.status_of(network) == ADDRESS_ONLINE

    def endpoint(self, network: Network) -> Endpoint | None:
        """The address of ``network``, or None when this entry has none (yet)."""
        if network is Network.INTRANET:
            host = self.intranet_address or self.intranet_domain
            port = self.intranet_port
        else:
            host = self.internet_address or self.internet_domain
            port = self.internet_port
        if not host or not port:
            return None
        return Endpoint(host=host, port=port, use_ssl=bool(self.use_ssl))


TenantAddress = TenantConnection
"""What the address call returns: one ``TenantConnectionDTO``."""


def choose_endpoint(entries: Sequence[TenantConnection], network: Network) -> Endpoint | None:
    """The first entry's address on ``network`` that is ONLINE, or None if none is yet."""
    for entry in entries:
        endpoint = entry.endpoint(network) if entry.is_online(network) else None
        if endpoint is not None:
            return endpoint
    return None
