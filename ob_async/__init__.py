"""ob-async: an asyncio client for OceanBase Cloud tenant restores, and a drill runner.

The public API is what these modules export (their ``__all__``), and nothing else:

- ``ob_async``: the client (:class:`ObClient`), its settings, its records and the
  wire models it returns, every error, ``from_wire``/``to_wire``, and the batch API;
- ``ob_async.errors``: the :class:`ObError` hierarchy;
- ``ob_async.batch``: many restores with bounded parallelism (:class:`BatchRunner`);
- ``ob_async.data``: proving a restored tenant's data over the MySQL protocol
  (the ``data`` extra);
- ``ob_async.drill``: plans of restores, their runner and reports (the ``cli`` extra);
- ``ob_async.simulator``: the embedded API simulator (the ``simulator`` extra);
- ``ob_async.airflow``: the Apache Airflow provider: a connection type, deferrable restore,
  drill, data-check and clean-up operators (the ``airflow`` extra).

Every other module is internal, and says so the way httpx does: its name, or the
name of a package holding it, starts with an underscore (``ob_async._wire``,
``ob_async._http.session``, ``ob_async.drill._journal``). Internal names and paths
may change in any release; import from the list above.

The package logs under the ``ob_async`` logger (``ob_async.session``,
``ob_async.submit``, ...). It carries a :class:`logging.NullHandler`, so an
application that configures no logging hears nothing from the library; one that
does sees the records as usual.
"""

import logging

from ob_async._client import ObClient
from ob_async._clock import Clock
from ob_async._http.config import ClientConfig
from ob_async._http.credentials import Credentials
from ob_async._http.throttle import ThrottleConfig
from ob_async._restore.outcome import RestoreOutcome, RestoreState
from ob_async._restore.poll_config import PollConfig
from ob_async._restore.retry import (
    Backoff,
    PendingRetry,
    RetryChecker,
    RetryPolicy,
    RetryQuota,
    RetryRun,
)
from ob_async._restore.submit import Attempt, RestoreSubmission, SubmissionOutcome, SubmitterConfig
from ob_async._version import __version__
from ob_async._wire.addresses import Endpoint, Network, TenantAddress, TenantConnection
from ob_async._wire.backups import BackupSet, RestorableTenant, TimeWindow
from ob_async._wire.codec import from_wire, to_wire
from ob_async._wire.instances import Instance
from ob_async._wire.models import (
    Envelope,
    Page,
    RestoreMode,
    RestoreObjectType,
    RestoreRequest,
    TenantResource,
)
from ob_async._wire.tenants import DeletedTenant, TenantDetail, TenantResourceDetail, TenantSummary
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
    "ClientConfig",
    "ClientError",
    "Clock",
    "Credentials",
    "DeletedTenant",
    "Endpoint",
    "Envelope",
    "FailurePolicy",
    "Instance",
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
    "ServerError",
    "SubmissionOutcome",
    "SubmitterConfig",
    "TenantAddress",
    "TenantConnection",
    "TenantDetail",
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
