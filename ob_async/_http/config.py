"""``ClientConfig``: the connection limits, timeouts and safety switches of one client.

A frozen attrs class checked by :mod:`ob_async._validators` when it is built; the
session (:mod:`ob_async._http.session`) reads it when it opens its connection pool.
"""

from __future__ import annotations

import attrs

from ob_async._validators import at_least_one, positive, positive_or_none
from ob_async._version import __version__


@attrs.frozen(kw_only=True)
class ClientConfig:
    """Connection limits, timeouts and safety switches of one client."""

    connect_timeout: float = attrs.field(default=10.0, validator=positive)
    """Seconds to establish a connection (TCP and TLS)."""
    read_timeout: float | None = attrs.field(default=None, validator=positive_or_none)
    """Seconds without any byte from the server before an exchange is abandoned.

    Off by default: ``total_timeout`` already bounds every exchange, and aiohttp
    re-arms this timer on every chunk it receives. Set it to give up on a stalled
    response sooner than ``total_timeout`` allows.
    """
    total_timeout: float = attrs.field(default=120.0, validator=positive)
    """Seconds one HTTP exchange may take in all, body included."""
    max_connections: int = attrs.field(default=100, validator=at_least_one)
    max_response_bytes: int = attrs.field(default=8 * 1024 * 1024, validator=at_least_one)
    """Larger bodies are refused with a ProtocolError instead of being buffered."""
    allow_insecure_http: bool = False
    """Allow ``http://`` to a host that is not loopback (the secret's digest travels in clear)."""
    verify_tls: bool = True
    user_agent: str = f"ob-async/{__version__}"
    prefer_auth_int: bool = True
    """Answer ``qop=auth-int`` when offered, which also protects the body."""
