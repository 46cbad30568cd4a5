"""Proving the data of a restored tenant: SQL checks and the measured RPO, over the MySQL protocol.

After a restore is ONLINE, :class:`DataVerifier` finds the tenant's address, logs in
with the plan's tenant user, runs the plan's read-only checks and its RPO query, and
returns a :class:`DataVerdict`, whose :class:`RpoMeasurement` gives the restore point,
the newest change found and the two RPO figures (:class:`RpoFigure`): the data-loss
exposure and the restore-point gap.
"""

from ob_async.data._expectations import Expectation
from ob_async.data._login import TenantLogin
from ob_async.data._results import CheckResult, DataVerdict, RpoMeasurement
from ob_async.data._rpo import RpoFigure
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
    "RpoFigure",
    "RpoMeasurement",
    "RpoSpec",
    "TenantLogin",
]
