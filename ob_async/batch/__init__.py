"""Many restores with bounded parallelism: `BatchRunner` and the records it yields."""

from ob_async.batch.item import Cleanup, ItemResult, ItemState, RestoreItem
from ob_async.batch.limits import BatchLimits, FailurePolicy
from ob_async.batch.observer import BatchObserver
from ob_async.batch.runner import BatchRunner
from ob_async.batch.summary import BatchSummary

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
