"""The last step of a batch item whose restore ended: validate the tenant restored
(is it the one asked for?), verify its data (with a data spec and a verifier),
and delete it again when the batch cleans up, turning it all into the item's
:class:`~ob_async.batch._item.ItemResult`.

A tenant that is not what was asked for, or whose data fails its checks, is kept
for inspection; a read-back that fails leaves the item ``unknown`` (which a
resume reconciles), never ``validation_failed``.
"""

from __future__ import annotations

import attrs

from ob_async._client import ObClient
from ob_async._http.priority import Priority, request_class
from ob_async._restore.outcome import RestoreOutcome, RestoreState
from ob_async._restore.retry import RetryPolicy
from ob_async._restore.submit import RestoreSubmission
from ob_async._restore.validate import check_restored
from ob_async.batch._item import Cleanup, ItemResult, ItemState, RestoreItem, result_of
from ob_async.data._results import DataVerdict
from ob_async.data._verify import DataVerifier
from ob_async.errors import ClientError, ObError


@attrs.frozen(kw_only=True)
class ItemSettler:
    """Settles the items of one batch, as the batch's options say."""

    client: ObClient
    policy: RetryPolicy | None
    """The retry policy of the reads and deletes (None: the client's)."""
    timeout: float
    """An item's time from its first submission to the end of its data checks."""
    validate: bool
    cleanup: bool
    verifier: DataVerifier | None

    async def settle(
        self, item: RestoreItem, submission: RestoreSubmission, restore: RestoreOutcome
    ) -> ItemResult:
        """Validate, verify the data, clean up: the result of a restore that ended."""
        try:
            problem = await self._validate(item, restore) if self.validate else None
        except ObError as error:
            # What could not be read is not known to differ: unknown, which a resume
            # reconciles, never validation_failed (a final state).
            return ItemResult(
                item=item,
                state=ItemState.UNKNOWN,
                submission=submission,
                restore=restore,
                error=f"ONLINE, but it could not be read back to validate it: {error}",
            )
        verdict = None if problem else await self._verify_data(item, submission, restore)
        # A tenant held (item.keep), not what was asked for, or whose data fails, stays.
        keep = item.keep or problem is not None or (verdict is not None and not verdict.ok)
        cleanup = await self._delete_restored(restore) if self.cleanup and not keep else None
        return attrs.evolve(result_of(item, submission, restore, cleanup, problem), data=verdict)

    async def _validate(self, item: RestoreItem, restore: RestoreOutcome) -> str | None:
        """Why the tenant restored ONLINE is not the one asked for, or None; raises the
        ObError of a read that failed."""
        if restore.state is not RestoreState.ONLINE or restore.tenant_id is None:
            return None
        instance_id, tenant_id = restore.instance_id, restore.tenant_id
        with request_class(Priority.STATE):  # it decides the item's state
            detail = await self.client.retrying(
                lambda: self.client.describe_tenant(instance_id, tenant_id),
                policy=self.policy,
            )
        problems = check_restored(item.request, detail)
        return "restored tenant differs: " + "; ".join(problems) if problems else None

    async def _verify_data(
        self, item: RestoreItem, submission: RestoreSubmission, restore: RestoreOutcome
    ) -> DataVerdict | None:
        """Check the restored data, within what is left of the item's timeout."""
        if (
            item.data is None
            or self.verifier is None
            or restore.state is not RestoreState.ONLINE
            or restore.tenant_id is None
        ):
            return None
        # When the restore was first requested (by an earlier run, for a resumed item):
        # the item's timeout counts from it, and the data-loss exposure is measured from it.
        requested = submission.first_attempt_at or restore.started_at
        left = self.timeout - (self.client.clock.now() - requested).total_seconds()
        return await self.verifier.verify(
            restore.instance_id,
            restore.tenant_id,
            item.data,
            restore_point=item.request.restore_time,
            requested_at=requested,
            timeout=left,
        )

    async def _delete_restored(self, restore: RestoreOutcome) -> Cleanup | None:
        """Delete a tenant the batch restored, once seen ONLINE (and only then)."""
        if restore.state is not RestoreState.ONLINE or restore.tenant_id is None:
            return None
        instance_id, tenant_id = restore.instance_id, restore.tenant_id
        tries = 0

        async def delete() -> None:
            nonlocal tries
            tries += 1
            try:
                await self.client.delete_tenant(instance_id, tenant_id)
            except ClientError as error:
                # A retried DELETE whose earlier try went through finds nothing to delete.
                if error.status != 404 or tries == 1:
                    raise

        try:
            await self.client.retrying(delete, policy=self.policy)
        except ObError as error:
            return Cleanup(
                tenant_id=tenant_id, deleted=False, at=self.client.clock.now(), error=str(error)
            )
        return Cleanup(tenant_id=tenant_id, deleted=True, at=self.client.clock.now())
