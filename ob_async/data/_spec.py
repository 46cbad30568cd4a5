"""What to verify in a restored tenant: the login, the checks, the RPO query and the limits."""

from __future__ import annotations

from pathlib import Path

import attrs

from ob_async._wire.addresses import Network
from ob_async.data._expectations import Expectation
from ob_async.data._login import TenantLogin
from ob_async.data._rpo import RpoFigure, check_time_zone


@attrs.frozen(kw_only=True)
class CheckSpec:
    """A named read-only query whose first value must meet an expectation."""

    name: str
    sql: str
    expect: Expectation
    timeout: float | None = None
    """None: the limits' ``check_timeout``."""
    max_rows: int | None = None
    """None: the limits' ``max_rows``."""


@attrs.frozen(kw_only=True)
class RpoSpec:
    """The query that finds the newest change in the restored data, and the RPO target."""

    query: str
    target_seconds: float | None = None
    target_applies_to: RpoFigure = RpoFigure.RESTORE_POINT_GAP
    """The figure the target is for (a drill plan's default: the data-loss exposure for
    ``latest``, the restore-point gap for an explicit point)."""
    time_zone: str | None = attrs.field(default=None, validator=check_time_zone)
    """The zone of a value that carries none (a DATETIME column written in local time):
    an offset such as ``+08:00`` or an IANA name. None: such a value is an error."""
    timeout: float | None = None


@attrs.frozen(kw_only=True)
class DataSpec:
    """Everything to verify in one restored tenant."""

    login: TenantLogin
    checks: tuple[CheckSpec, ...] = ()
    rpo: RpoSpec | None = None


@attrs.frozen(kw_only=True)
class DataLimits:
    """Bounds on the SQL side, like the HTTP side's: connections, time and result size."""

    network: Network = Network.INTRANET
    max_connections: int = 8
    """Tenant connections open at once across the whole drill."""
    connect_timeout: float = 10.0
    check_timeout: float = 30.0
    """Each check (and the RPO query), from sending it to its last row read."""
    max_rows: int = 1000
    """A result with more rows fails its check without reading them all."""
    retry_interval: float = 2.0
    """First wait between tries to reach an address that is not up yet (doubling, up to 30 s)."""
    ca_file: Path | None = None
    """CA certificates (PEM) to verify a ``useSSL`` address with; None: the system's."""
