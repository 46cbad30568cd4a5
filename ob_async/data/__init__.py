"""Proving the data of a restored tenant: SQL checks and the measured RPO, over the MySQL protocol.

After a restore is ONLINE, :class:`DataVerifier` finds the tenant's address, logs in
with the plan's tenant user, runs the plan's read-only checks and its RPO query, and
returns a :class:`DataVerdict`.
"""

from ob_async.data._expectations import Expectation
from ob_async.data._login import TenantLogin
from ob_async.data._results import CheckResult, DataVerdict
from ob_async.data._spec import CheckSpec, DataLimits, DataSpec, RpoSpec
from ob_async.data._verify import DataVerifier

__all__ = [
    "CheckResult",
    "CheckSpec",
    "DataLimits",
    "DataSpec",
    "DataVerdict",
    "DataVerifier",
    "Expectation",
    "RpoSpec",
    "TenantLogin",
]
