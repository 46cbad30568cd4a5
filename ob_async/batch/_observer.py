"""What hears a batch's state changes: the :class:`BatchObserver` protocol (the
drill's journal and progress display implement it) and the observer that hears
nothing, for a batch given none.
"""

from __future__ import annotations

from typing import Protocol

from ob_async._restore.submit import RestoreSubmission
from ob_async._wire.tenants import TenantSummary
from ob_async.batch._item import ItemResult, RestoreItem


class BatchObserver(Protocol):
    async def submitting(self, item: RestoreItem, submission: RestoreSubmission) -> None:
        """Awaited before the first request of the item is sent."""

    async def submitted(self, item: RestoreItem, submission: RestoreSubmission) -> None:
        """The submission reached a final outcome."""

    def seen(self, item: RestoreItem, tenant: TenantSummary) -> None:
        """A poll found the target tenant for the first time."""

    async def finished(self, result: ItemResult) -> None:
        """The item is final (after its clean-up, if any)."""


class NoObserver:
    """Hears every state change and does nothing with it."""

    async def submitting(self, item: RestoreItem, submission: RestoreSubmission) -> None:
        return None

    async def submitted(self, item: RestoreItem, submission: RestoreSubmission) -> None:
        return None

    def seen(self, item: RestoreItem, tenant: TenantSummary) -> None:
        return None

    async def finished(self, result: ItemResult) -> None:
        return None
