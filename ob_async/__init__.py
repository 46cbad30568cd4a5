"""ob-async: an asyncio client for OceanBase Cloud tenant restores, and a drill runner.

The public API is what these modules export (their ``__all__``), and nothing else:

- ``ob_async``: the client (:class:`ObClient`), its settings, its records and the
  wire models it returns, every error, ``from_wire``/``to_wire``, and the batch API;
- ``ob_async.errors``: the :class:`ObError` hierarchy;
- ``ob_async.batch``: many restores with bounded parallelism (:class:`BatchRunner`);
- ``ob_async.drill``: plans of restores, their runner and reports;
- ``ob_async.simulator``: the embedded API simulator (:class:`~ob_async.simulator.Simulator`).

Every other module (``ob_async.wire``, ``.digest``, ``.http``, ``.api``,
``.restore``, ``.cli`` and what is inside them) is internal: its names and paths
may change in any release. Import from the list above.

The package logs under the ``ob_async`` logger (``ob_async.session``,
``ob_async.submit``, ...). It carries a :class:`logging.NullHandler`, so an
application that configures no logging hears nothing from the library; one that
does sees the records as usual.
"""

import logging

from ob_async._version import __version__
from ob_async.batch import (
    BatchLimits,
    BatchObserver,
    BatchRunner,
    BatchSummary,
    FailurePolicy,
    ItemResult,
    ItemState,
    RestoreItem,
)
from ob_async.client import ObClient
from ob_async.clock import Clock
from ob_async.data.expectations import Expectation
from ob_async.data.login import TenantLogin
from ob_async.data.results import CheckResult, DataVerdict
from ob_async.data.spec import CheckSpec, DataLimits, DataSpec, RpoSpec
from ob_async.data.verify import DataVerifier
from ob_async.errors import (
    ApiError,
    AuthenticationError,
    ChallengeError,
    ClientError,
    InvalidInputError,
    ObError,
    ProtocolError,
    ServerError,
    TenantNameConflict,
    ThrottledError,
    TransportError,
    TransportTimeout,
)
from ob_async.http.config import ClientConfig
from ob_async.http.credentials import Credentials
from ob_async.http.throttle import ThrottleConfig
from ob_async.restore.outcome import RestoreOutcome, RestoreState
from ob_async.restore.poll_config import PollConfig
from ob_async.restore.retry import (
    Backoff,
    PendingRetry,
    RetryChecker,
    RetryPolicy,
    RetryQuota,
    RetryRun,
)
from ob_async.restore.submit import Attempt, RestoreSubmission, SubmissionOutcome, SubmitterConfig
from ob_async.wire.addresses import Endpoint, Network, TenantAddress, TenantConnection
from ob_async.wire.codec import from_wire, to_wire
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

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "ApiError",
    "Attempt",
    "AuthenticationError",
    "Backoff",
    "BackupSet",
    "BatchLimits",
    "BatchObserver",
    "BatchRunner",
    "BatchSummary",
    "ChallengeError",
    "CheckResult",
    "CheckSpec",
    "ClientConfig",
    "ClientError",
    "Clock",
    "Credentials",
    "DataLimits",
    "DataSpec",
    "DataVerdict",
    "DataVerifier",
    "DeletedTenant",
    "Endpoint",
    "Envelope",
    "Expectation",
    "FailurePolicy",
    "InvalidInputError",
    "ItemResult",
    "ItemState",
    "Network",
    "ObClient",
    "ObError",
    "Page",
    "PendingRetry",
    "PollConfig",
    "ProtocolError",
    "RestorableTenant",
    "RestoreItem",
    "RestoreMode",
    "RestoreObjectType",
    "RestoreOutcome",
    "RestoreRequest",
    "RestoreState",
    "RestoreSubmission",
    "RetryChecker",
    "RetryPolicy",
    "RetryQuota",
    "RetryRun",
    "RpoSpec",
    "ServerError",
    "SubmissionOutcome",
    "SubmitterConfig",
    "TenantAddress",
    "TenantConnection",
    "TenantDetail",
    "TenantLogin",
    "TenantNameConflict",
    "TenantResource",
    "TenantResourceDetail",
    "TenantSummary",
    "ThrottleConfig",
    "ThrottledError",
    "TimeWindow",
    "TransportError",
    "TransportTimeout",
    "__version__",
    "from_wire",
    "to_wire",
]
