"""``ObClient``: the one object an application holds to talk to OceanBase Cloud.

It owns a :class:`~ob_async._http.session.Session` (one aiohttp connection pool and
the digest state), offers every API operation of :class:`~ob_async._api.operations.OpenApi`,
and adds the orchestration a restore needs: :meth:`ObClient.submit_restore`
(retried, exactly-once, see :mod:`ob_async._restore.submit`) and
:meth:`ObClient.wait_until_online` (coalesced polling, see :mod:`ob_async._restore.poll`).
State shared by all calls of a client lives here: the retry policy and budget
(the poller judges listing failures with the same checker), the adaptive send
rate and the watchers.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import TypeVar

from ob_async._api.operations import OpenApi
from ob_async._clock import SYSTEM_CLOCK, Clock
from ob_async._http.config import ClientConfig
from ob_async._http.credentials import ENV_CREDENTIALS_FILE, ENV_PROJECT_ID, Credentials
from ob_async._http.session import Session
from ob_async._http.throttle import AdaptiveRateLimiter, ThrottleConfig
from ob_async._restore.outcome import RestoreOutcome
from ob_async._restore.poll import WatcherPool
from ob_async._restore.poll_config import PollConfig
from ob_async._restore.retry import RetryPolicy, RetryQuota
from ob_async._restore.submit import RestoreSubmission, Submitter, SubmitterConfig
from ob_async._wire.models import RestoreRequest
from ob_async._wire.tenants import TenantSummary
from ob_async.errors import InvalidInputError

T = TypeVar("T")

ENV_ENDPOINT = "OB_ENDPOINT"
DEFAULT_ENDPOINT = "https://api-cloud.oceanbase.com"


class ObClient(OpenApi):
    """An async client for one endpoint and project.

    Use it as an async context manager::

        async with ObClient(endpoint, Credentials.from_env(), project_id) as client:
            await client.create_restore_task(instance_id, request)
    """

    def __init__(
        self,
        endpoint: str,
        credentials: Credentials,
        project_id: str,
        *,
        config: ClientConfig | None = None,
        retry_policy: RetryPolicy | None = None,
        retry_quota: RetryQuota | None = None,
        throttle: ThrottleConfig | None = None,
        poll: PollConfig | None = None,
        submitter: SubmitterConfig | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.limiter = AdaptiveRateLimiter(throttle, clock=clock)
        super().__init__(Session(endpoint, credentials, project_id, config, limiter=self.limiter))
        self.clock = clock
        self.retry_quota = retry_quota or RetryQuota()
        self.submitter = Submitter(
            self, policy=retry_policy, quota=self.retry_quota, config=submitter, clock=clock
        )
        self.watchers = WatcherPool(
            self,
            config=poll,
            clock=clock,
            retry_policy=self.submitter.policy,
            retry_quota=self.retry_quota,
        )

    async def submit_restore(
        self,
        instance_id: str,
        request: RestoreRequest,
        *,
        request_id: str | None = None,
        policy: RetryPolicy | None = None,
        wait: bool = False,
        timeout: float = 90 * 60,
        poll: PollConfig | None = None,
        submission: RestoreSubmission | None = None,
        reconcile_first: bool = False,
    ) -> RestoreSubmission:
        """Submit one restore with retries, never twice; optionally wait for ONLINE.

        Returns the :class:`RestoreSubmission` record whatever the outcome (check
        ``.ok`` or call ``.raise_for_outcome()``). To keep the record when the
        call may be cancelled, create it first with ``RestoreSubmission.new(...)``
        and pass it as ``submission``: a cancelled submission is left ``UNKNOWN``
        or ``CANCELLED`` there, ready to be passed back with ``reconcile_first=True``.
        """
        if submission is None:
            submission = RestoreSubmission.new(instance_id, request, request_id=request_id)
        await self.submitter.submit(submission, policy=policy, reconcile_first=reconcile_first)
        if wait and submission.submitted:
            submission.restore = await self.wait_until_online(
                submission.target_instance_id,
                submission.target_tenant_name,
                timeout=timeout,
                poll=poll,
                started_at=submission.first_attempt_at,
            )
        return submission

    async def retrying(
        self, operation: Callable[[], Awaitable[T]], *, policy: RetryPolicy | None = None
    ) -> T:
        """Run an idempotent call (a read, a delete) under the client's retry policy
        and budget: transient failures are retried, refusals are raised at once."""
        active = policy or self.submitter.policy
        return await active.call(operation, quota=self.retry_quota, clock=self.clock)

    async def wait_until_online(
        self,
        instance_id: str,
        tenant_name: str,
        *,
        timeout: float,
        poll: PollConfig | None = None,
        started_at: datetime | None = None,
        on_seen: Callable[[TenantSummary], None] | None = None,
        rto_seconds: float | None = None,
    ) -> RestoreOutcome:
        """Wait for a restored tenant: ONLINE, failed, vanished or timed out.

        Waits on the same instance share one poller that lists the instance's
        tenants once per interval. ``started_at`` (default: now) is where the
        measured recovery time starts; with ``rto_seconds`` the polls tighten
        around the RTO, so that the outcome's verdict is rarely uncertain.
        """
        return await self.watchers.wait(
            instance_id,
            tenant_name,
            timeout=timeout,
            config=poll,
            started_at=started_at,
            on_seen=on_seen,
            rto_seconds=rto_seconds,
        )

    @classmethod
    def from_env(
        cls,
        *,
        config: ClientConfig | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ObClient:
        """Build a client from ``OB_ENDPOINT``, ``OB_PROJECT_ID`` and the credentials.

        Credentials come from ``OB_CREDENTIALS_FILE`` when set, otherwise from
        ``OB_ACCESS_KEY_ID``/``OB_ACCESS_KEY_SECRET``.
        """
        env = os.environ if environ is None else environ
        project_id = env.get(ENV_PROJECT_ID, "")
        if not project_id:
            raise InvalidInputError(f"environment variable {ENV_PROJECT_ID} not set")
        credentials_file = env.get(ENV_CREDENTIALS_FILE)
        credentials = (
            Credentials.from_file(credentials_file)
            if credentials_file
            else Credentials.from_env(env)
        )
        return cls(env.get(ENV_ENDPOINT, DEFAULT_ENDPOINT), credentials, project_id, config=config)

    def __repr__(self) -> str:
        return f"ObClient({self.session!r})"

    async def __aenter__(self) -> ObClient:
        await self.session.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Stop every watcher and the throttle, and close the connection pool."""
        await self.watchers.close()
        await self.limiter.close()
        await self.session.close()
