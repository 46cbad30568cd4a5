"""Many restores with bounded parallelism: `BatchRunner` and the records it yields."""

from ob_async.batch.runner import (
    BatchLimits,
    BatchObserver,
    BatchRunner,
    BatchSummary,
    Cleanup,
    FailurePolicy,
    ItemResult,
    ItemState,
    RestoreItem,
)

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
