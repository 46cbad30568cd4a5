"""A retry policy is configuration only: each call builds its own tenacity machine from it,
so a policy can be copied, pickled and shared (by tasks and threads alike) like any value.
"""

from __future__ import annotations

import copy
import pickle

from ob_async._restore.retry import Backoff, RetryPolicy, RetryQuota
from ob_async.errors import ServerError
from tests.support.fakes import FakeClock


async def test_a_policy_copied_or_unpickled_still_retries() -> None:
    policy = RetryPolicy(max_attempts=3, backoff=Backoff(base=0.0, cap=0.0))
    for twin in (pickle.loads(pickle.dumps(policy)), copy.deepcopy(policy)):
        failures = [ServerError("busy", status=503), ServerError("busy", status=503)]

        async def attempt(failures: list[ServerError] = failures) -> str:
            if failures:
                raise failures.pop()
            return "ok"

        quota = RetryQuota(10)
        assert await twin.call(attempt, quota=quota, clock=FakeClock()) == "ok"
        assert failures == []
        assert quota.available == 10 - 2 - 2 + 2  # two retries paid, the last refunded
