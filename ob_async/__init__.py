"""ob-async: an asyncio client for OceanBase Cloud tenant restores, and a drill runner."""

from ._version import __version__
from .codec import from_json, from_wire, to_json_bytes, to_wire
from .credentials import Credentials
from .errors import (
    ApiError,
    AuthenticationError,
    ClientError,
    InvalidInputError,
    ObError,
    ProtocolError,
    ServerError,
    TenantNameConflict,
    ThrottledError,
    TransportError,
)
from .models import (
    BackupSet,
    DeletedTenant,
    Envelope,
    Page,
    RestorableTenant,
    RestoreMode,
    RestoreObjectType,
    RestoreRequest,
    TenantDetail,
    TenantResource,
    TenantResourceDetail,
    TenantSummary,
    TimeWindow,
)

__all__ = [
    "ApiError",
    "AuthenticationError",
    "BackupSet",
    "ClientError",
    "Credentials",
    "DeletedTenant",
    "Envelope",
    "InvalidInputError",
    "ObError",
    "Page",
    "ProtocolError",
    "RestorableTenant",
    "RestoreMode",
    "RestoreObjectType",
    "RestoreRequest",
    "ServerError",
    "TenantDetail",
    "TenantNameConflict",
    "TenantResource",
    "TenantResourceDetail",
    "TenantSummary",
    "ThrottledError",
    "TimeWindow",
    "TransportError",
    "__version__",
    "from_json",
    "from_wire",
    "to_json_bytes",
    "to_wire",
]
