"""Many restores with bounded parallelism: `BatchRunner` and the records it yields."""

from ob_async.batch._item import Cleanup, ItemResult, ItemState, RestoreItem
from ob_async.batch._limits import BatchLimits, FailurePolicy
from ob_async.batch._observer import BatchObserver
from ob_async.batch._runner import BatchRunner
from ob_async.batch._summary import BatchSummary

__all__ = [
    "BatchLimits",
    "BatchObserver",
    "BatchRunner",
    "BatchSummary",
    "Cleanup",
    "FailurePolicy",
    "ItemResult",
    "ItemState",
    "RestoreItem",
]
