"""ob-async: an asyncio client for OceanBase Cloud tenant restores, and a drill runner."""

from ob_async._version import __version__
from ob_async.client import ObClient
from ob_async.errors import (
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
from ob_async.http.config import ClientConfig
from ob_async.http.credentials import Credentials
from ob_async.http.throttle import ThrottleConfig
from ob_async.restore.poll import PollConfig, RestoreOutcome, RestoreState
from ob_async.restore.retry import Backoff, RetryChecker, RetryPolicy, RetryQuota
from ob_async.restore.submit import Attempt, RestoreSubmission, SubmissionOutcome, SubmitterConfig
from ob_async.wire.codec import from_json, from_wire, to_json_bytes, to_wire
from ob_async.wire.models import (
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
