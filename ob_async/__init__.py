"""ob-async: an asyncio client for OceanBase Cloud tenant restores, and a drill runner."""

from ._version import __version__
from .client import ObClient
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
from .poll import PollConfig, RestoreOutcome, RestoreState
from .retry import Backoff, RetryChecker, RetryPolicy, RetryQuota
from .session import ClientConfig
from .submit import Attempt, RestoreSubmission, SubmissionOutcome, SubmitterConfig
from .throttle import ThrottleConfig

__all__ = [
    "ApiError",
    "Attempt",
    "AuthenticationError",
    "Backoff",
    "BackupSet",
    "ClientConfig",
    "ClientError",
    "Credentials",
    "DeletedTenant",
    "Envelope",
    "InvalidInputError",
    "ObClient",
    "ObError",
    "Page",
    "PollConfig",
    "ProtocolError",
    "RestorableTenant",
    "RestoreMode",
    "RestoreObjectType",
    "RestoreOutcome",
    "RestoreRequest",
    "RestoreState",
    "RestoreSubmission",
    "RetryChecker",
    "RetryPolicy",
    "RetryQuota",
    "ServerError",
    "SubmissionOutcome",
    "SubmitterConfig",
    "TenantDetail",
    "TenantNameConflict",
    "TenantResource",
    "TenantResourceDetail",
    "TenantSummary",
    "ThrottleConfig",
    "ThrottledError",
    "TimeWindow",
    "TransportError",
    "__version__",
    "from_json",
    "from_wire",
    "to_json_bytes",
    "to_wire",
]
