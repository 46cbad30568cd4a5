"""The retry policy and the submitter's exactly-once logic, on a fake clock and a scripted API."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import sys
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from ob_async._restore.retry import (
    Backoff,
    PendingRetry,
    RetryChecker,
    RetryPolicy,
    RetryQuota,
    RetryRun,
)
from ob_async._restore.submit import (
    RestoreSubmission,
    SubmissionOutcome,
    Submitter,
    SubmitterConfig,
    submission_marker,
)
from ob_async._wire.models import RestoreRequest, TenantResource
from ob_async.errors import (
    AuthenticationError,
    ClientError,
    ProtocolError,
    ServerError,
    TenantNameConflict,
    ThrottledError,
    TransportError,
    TransportTimeout,
)
from tests.support.fakes import FakeClock, ScriptedApi


def request(name: str = "drill-1", description: str = "weekly drill") -> RestoreRequest:
    return RestoreRequest(
        source_instance_id="ob-src",
        source_tenant_id="t-src",
        target_instance_id="ob-dr",
        target_tenant_name=name,
        target_tenant_primary_zone="zone-a",
        restore_time=datetime(2026, 1, 13, 5, 58, 34, tzinfo=UTC),
        tenant_resource=TenantResource(cpu=1, memory=4, unit_num=1),
        target_tenant_description=description,
    )


def reset_after_send() -> TransportError:
    return TransportError("reset", may_have_reached_server=True)


def refused_connect() -> TransportError:
    return TransportError("refused", may_have_reached_server=False)


def server_error(status: int = 502) -> ServerError:
    return ServerError("boom", status=status)


def name_taken() -> ClientError:
    return ClientError("taken", status=409, error_code="TenantNameAlreadyExists")


def setup(
    *,
    policy: RetryPolicy | None = None,
    quota: RetryQuota | None = None,
    reconcile_rounds: int = 0,
) -> tuple[FakeClock, ScriptedApi, Submitter]:
    clock = FakeClock()
    api = ScriptedApi(clock)
    submitter = Submitter(
        api,  # type: ignore[arg-type]
        policy=policy or RetryPolicy(backoff=Backoff(base=1.0, cap=8.0)),
        quota=quota,
        config=SubmitterConfig(reconcile_rounds=reconcile_rounds),
        clock=clock,
    )
    return clock, api, submitter


async def submit(
    submitter: Submitter, name: str = "drill-1", **kwargs: object
) -> RestoreSubmission:
    submission = RestoreSubmission.new("ob-dr", request(name), request_id=f"rid-{name}")
    return await submitter.submit(submission, **kwargs)  # type: ignore[arg-type]


# --- the checker ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "retryable", "ambiguous"),
    [
        (reset_after_send(), True, True),
        (refused_connect(), True, False),
        (ThrottledError("slow"), True, False),
        (server_error(500), True, True),
        (server_error(502), True, True),
        (server_error(503), True, False),
        (server_error(504), True, True),
        (server_error(501), False, True),
        (ProtocolError("html", status=502), True, True),
        (ProtocolError("garbage", status=200), True, True),
        (ProtocolError("html", status=404), False, True),
        (ClientError("bad", status=400), False, False),
        (name_taken(), False, False),
        (AuthenticationError("no", status=401), False, False),
    ],
)
def test_checker_classifies(error: Exception, retryable: bool, ambiguous: bool) -> None:
    checker = RetryChecker()
    assert checker.is_retryable(error) is retryable
    assert checker.is_ambiguous(error) is ambiguous


def test_cancellation_is_never_retryable() -> None:
    assert not RetryChecker().is_retryable(asyncio.CancelledError())


# --- backoff, Retry-After, deadline, budget ------------------------------------------


def test_backoff_is_exponential_full_jitter_capped() -> None:
    backoff = Backoff(base=0.5, cap=4.0)
    top = [backoff.delay(n, None, lambda: 1.0) for n in range(1, 7)]
    assert top == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert backoff.delay(3, None, lambda: 0.25) == 0.5
    assert backoff.delay(3, None, lambda: 0.0) == 0.0


def test_retry_after_is_a_floor_and_capped() -> None:
    backoff = Backoff(base=0.5, cap=4.0, retry_after_cap=10.0)
    assert backoff.delay(1, ThrottledError("x", retry_after=7.0), lambda: 0.0) == 7.0
    assert backoff.delay(1, ThrottledError("x", retry_after=70.0), lambda: 0.0) == 10.0
    # A short Retry-After never shortens the jittered backoff.
    assert backoff.delay(4, ThrottledError("x", retry_after=0.1), lambda: 1.0) == 4.0


async def test_transient_failures_are_retried_with_the_same_request_id() -> None:
    clock, api, submitter = setup()
    api.script(
        (ThrottledError("slow", retry_after=3.0), False),
        (server_error(503), False),
        (refused_connect(), False),
    )
    submission = await submit(submitter)
    assert submission.outcome is SubmissionOutcome.SUBMITTED
    assert api.post_request_ids == ["rid-drill-1"] * 4
    assert [a.result for a in submission.attempts] == [
        "ThrottledError",
        "ServerError",
        "TransportError",
        "accepted",
    ]
    assert submission.attempts[0].wait_after is not None
    assert submission.attempts[0].wait_after >= 3.0  # Retry-After honoured
    assert clock.sleeps == [a.wait_after for a in submission.attempts[:3]]
    assert api.lookups == 0  # nothing ambiguous happened
    accepted = submission.attempts[-1]
    assert (accepted.status, accepted.error, accepted.sent) == (200, None, True)
    assert accepted.finished_at is not None
    assert accepted.finished_at == submission.accepted_at  # the answer that accepted it


async def test_non_retryable_refusal_fails_at_once() -> None:
    _, api, submitter = setup()
    api.script((ClientError("restoreTime outside window", status=400), False))
    submission = await submit(submitter)
    assert submission.outcome is SubmissionOutcome.FAILED
    assert isinstance(submission.error, ClientError)
    assert len(submission.attempts) == 1
    with pytest.raises(ClientError):
        submission.raise_for_outcome()


async def test_max_attempts_then_failed() -> None:
    _, api, submitter = setup(policy=RetryPolicy(max_attempts=3))
    api.script(*[(server_error(503), False)] * 5)
    submission = await submit(submitter)
    assert submission.outcome is SubmissionOutcome.FAILED
    assert len(submission.attempts) == 3


async def test_deadline_stops_new_attempts() -> None:
    policy = RetryPolicy(max_attempts=50, deadline=10.0, backoff=Backoff(base=4.0, cap=4.0))
    clock, api, submitter = setup(policy=policy)
    api.script(*[(ThrottledError("slow", retry_after=4.0), False)] * 50)
    submission = await submit(submitter)
    assert submission.outcome is SubmissionOutcome.FAILED
    assert clock.elapsed < 10.0
    assert len(submission.attempts) == 3  # at 0, 4 and 8 s; a fourth would start at 12 s


async def test_shared_budget_limits_retries_across_calls_and_refills_on_success() -> None:
    quota = RetryQuota(capacity=10, retry_cost=5, timeout_cost=10, success_refund=1)
    _, api, submitter = setup(quota=quota)
    api.script(*[(server_error(503), False)] * 10)
    first = await submit(submitter, "a")
    second = await submit(submitter, "b")
    assert len(first.attempts) == 3  # two retries spend the whole budget
    assert len(second.attempts) == 1  # nothing left to retry with
    assert quota.available == 0
    assert quota.refused == 2  # the third attempt of "a" and the first of "b"
    api.steps.clear()
    await submit(submitter, "c")
    assert quota.available == 1


@pytest.mark.parametrize(
    ("error", "cost"),
    [
        (TransportTimeout("no answer within 30s", may_have_reached_server=True), 7),
        (TransportTimeout("connecting took too long", may_have_reached_server=False), 7),
        # Words are not a type: a reset whose text mentions a timeout is an ordinary retry.
        (TransportError("peer said: timed out", may_have_reached_server=False), 3),
        (server_error(503), 3),
    ],
)
async def test_a_timeout_is_charged_by_its_type_not_its_message(
    error: TransportError, cost: int
) -> None:
    quota = RetryQuota(capacity=100, retry_cost=3, timeout_cost=7, success_refund=0)
    _, api, submitter = setup(policy=RetryPolicy(max_attempts=2), quota=quota)
    api.script((error, False), (ClientError("stop here", status=400), False))
    await submit(submitter)
    assert quota.available == 100 - cost


async def test_the_budget_is_charged_only_for_retries_that_happen() -> None:
    # Three attempts, two retries: the attempt limit stops the third failure before
    # the budget is asked, and so does the deadline. Nothing is charged for them.
    quota = RetryQuota(capacity=100, retry_cost=5, success_refund=0)
    _, api, submitter = setup(policy=RetryPolicy(max_attempts=3), quota=quota)
    api.script(*[(server_error(503), False)] * 3)
    submission = await submit(submitter)
    assert len(submission.attempts) == 3
    assert (quota.available, quota.refused) == (90, 0)

    quota = RetryQuota(capacity=100, retry_cost=5, success_refund=0)
    policy = RetryPolicy(max_attempts=50, deadline=10.0, backoff=Backoff(base=4.0, cap=4.0))
    _, api, submitter = setup(policy=policy, quota=quota)
    api.script(*[(ThrottledError("slow", retry_after=4.0), False)] * 50)
    submission = await submit(submitter)
    assert len(submission.attempts) == 3  # at 0, 4 and 8 s
    assert (quota.available, quota.refused) == (90, 0)


async def test_retries_that_cost_nothing_are_never_refused() -> None:
    # A cost of 0 is allowed (it turns the budget off for that kind of failure); a
    # free retry used to read as a refused one, and no failure was retried at all.
    quota = RetryQuota(capacity=0, retry_cost=0, timeout_cost=0)
    _, api, submitter = setup(policy=RetryPolicy(max_attempts=4), quota=quota)
    api.script(
        (server_error(503), False),
        (TransportTimeout("slow", may_have_reached_server=False), False),
        (server_error(503), False),
    )
    submission = await submit(submitter)
    assert submission.outcome is SubmissionOutcome.SUBMITTED
    assert len(submission.attempts) == 4
    assert (quota.available, quota.refused) == (0, 0)


async def test_a_refund_after_success_is_what_the_last_retry_cost() -> None:
    quota = RetryQuota(capacity=100, retry_cost=5, timeout_cost=9, success_refund=1)
    _, api, submitter = setup(quota=quota)
    api.script(
        (server_error(503), False), (TransportTimeout("slow", may_have_reached_server=False), False)
    )
    await submit(submitter)
    assert quota.available == 100 - 5 - 9 + 9
    await submit(submitter, "clean")
    assert quota.available == 96  # a first-time success refunds success_refund


async def test_before_sleep_hears_each_retry_with_its_error_and_wait() -> None:
    clock = FakeClock()
    heard: list[PendingRetry] = []
    failures = [server_error(503), ThrottledError("slow", retry_after=2.5)]

    async def flaky() -> str:
        if failures:
            raise failures.pop(0)
        return "done"

    policy = RetryPolicy(backoff=Backoff(base=1.0, cap=1.0))
    run = policy.start(clock=clock, rng=lambda: 0.5, before_sleep=heard.append)
    assert await run.call(flaky) == "done"
    assert [(p.attempt, type(p.error), p.wait) for p in heard] == [
        (1, ServerError, 0.5),
        (2, ThrottledError, 2.5),
    ]
    assert clock.sleeps == [0.5, 2.5]


async def test_concurrent_calls_of_one_policy_keep_their_own_limits_budget_and_hooks() -> None:
    # One policy's tenacity machine serves every call; what belongs to a call (its
    # clock and the start of its deadline, its quota, before_sleep, what its retries
    # cost) must stay its own while the calls interleave at every attempt and sleep.
    policy = RetryPolicy(max_attempts=50, deadline=10.0, backoff=Backoff(base=4.0, cap=4.0))
    late_clock, budget_clock, recovering_clock = FakeClock(), FakeClock(), FakeClock()
    late_clock.elapsed = 100.0  # its deadline counts from 100 s, not from another call's 0
    late_quota = RetryQuota(100, success_refund=0)
    small_quota = RetryQuota(2, success_refund=0)
    recovering_quota = RetryQuota(10, success_refund=0)
    late_heard: list[PendingRetry] = []
    budget_heard: list[PendingRetry] = []
    attempts = {"late": 0, "budget": 0, "recovering": 0}

    def failing(key: str, error: Exception, times: int) -> Callable[[], Awaitable[str]]:
        async def attempt() -> str:
            attempts[key] += 1
            await asyncio.sleep(0)
            if attempts[key] <= times:
                raise error
            return "done"

        return attempt

    late = policy.start(
        quota=late_quota, clock=late_clock, rng=lambda: 1.0, before_sleep=late_heard.append
    )
    budget = policy.start(
        quota=small_quota, clock=budget_clock, rng=lambda: 1.0, before_sleep=budget_heard.append
    )
    recovering = policy.start(quota=recovering_quota, clock=recovering_clock, rng=lambda: 0.5)
    results = await asyncio.gather(
        late.call(failing("late", ThrottledError("slow", retry_after=4.0), 99)),
        budget.call(failing("budget", server_error(503), 99)),
        recovering.call(failing("recovering", server_error(503), 1)),
        return_exceptions=True,
    )
    assert [type(result) for result in results] == [ThrottledError, ServerError, str]
    assert attempts == {"late": 3, "budget": 2, "recovering": 2}  # late: at 100, 104, 108 s
    assert late_clock.sleeps == [4.0, 4.0]
    assert budget_clock.sleeps == [4.0]
    assert recovering_clock.sleeps == [2.0]
    assert [p.attempt for p in late_heard] == [1, 2]
    assert [(p.attempt, type(p.error)) for p in budget_heard] == [(1, ServerError)]
    assert (late_quota.available, late_quota.refused) == (96, 0)  # two retries of 2
    assert (small_quota.available, small_quota.refused) == (0, 1)  # one paid, one refused
    assert recovering_quota.available == 8
    recovering.succeeded()
    assert recovering_quota.available == 10  # its own retry's cost back, not the refusal's 0


def test_one_policy_serves_calls_in_several_threads_at_once() -> None:
    # The shared Retrying keeps iter's working state per thread: a thread's first call
    # finds it complete, and calls in other threads' loops never see each other's.
    policy = RetryPolicy(backoff=Backoff(base=0.0, cap=0.0))
    barrier = threading.Barrier(4)
    calls_per_thread = 300

    def thread_main(failures_before_success: int) -> list[tuple[str, int]]:
        async def calls() -> list[tuple[str, int]]:
            barrier.wait()
            results = []
            for _ in range(calls_per_thread):
                attempts = 0

                async def attempt() -> str:
                    nonlocal attempts
                    attempts += 1
                    if attempts <= failures_before_success:
                        raise server_error(503)
                    return f"ok after {attempts}"

                results.append((await policy.call(attempt), attempts))
            return results

        return asyncio.run(calls())

    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns inside tenacity's iter, not between calls
    try:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            outcomes = list(pool.map(thread_main, [0, 1, 2, 3]))
    finally:
        sys.setswitchinterval(switch_interval)
    for failures, results in zip([0, 1, 2, 3], outcomes, strict=True):
        assert results == [(f"ok after {failures + 1}", failures + 1)] * calls_per_thread


async def test_an_error_that_is_not_an_ob_error_is_raised_at_once() -> None:
    calls = 0

    async def broken() -> None:
        nonlocal calls
        calls += 1
        raise KeyError("a bug, not a transient failure")

    run = RetryPolicy().start(clock=FakeClock())
    with pytest.raises(KeyError):
        await run.call(broken)
    assert calls == 1


def test_tenacity_stays_out_of_the_public_signatures() -> None:
    for owner in (RetryPolicy, RetryRun, Submitter):
        for name, member in vars(owner).items():
            if name.startswith("_") or not callable(member):
                continue
            hints = inspect.signature(member)
            assert "tenacity" not in str(hints), f"{owner.__name__}.{name}{hints}"
    assert not [name for name in vars(RetryRun) if name == "retrying"]


# --- exactly once under ambiguous failures --------------------------------------------


async def test_lost_response_is_adopted_not_resent() -> None:
    _, api, submitter = setup()
    api.script((reset_after_send(), True))  # created, response lost
    submission = await submit(submitter)
    assert submission.outcome is SubmissionOutcome.ADOPTED
    assert api.post_request_ids == ["rid-drill-1"]  # one POST only
    assert submission.tenant_id == "t-drill-1"
    assert submission.attempts[1].looked_up
    assert submission.attempts[1].result == "adopted"


async def test_ambiguous_failure_that_created_nothing_is_resent_with_same_id() -> None:
    _, api, submitter = setup()
    api.script((reset_after_send(), False), (server_error(502), False))
    submission = await submit(submitter)
    assert submission.outcome is SubmissionOutcome.SUBMITTED
    assert api.post_request_ids == ["rid-drill-1"] * 3
    assert api.lookups == 2  # after each ambiguous attempt


async def test_conflict_after_ambiguous_attempt_goes_through_lookup() -> None:
    _, api, submitter = setup()
    # The first attempt created the tenant but answered 504; our resend is refused as a
    # duplicate name. The lookup proves the tenant ours.
    api.script((server_error(504), True))
    submission = RestoreSubmission.new("ob-dr", request(), request_id="rid-x")
    # Make the lookup miss once (eventual consistency), so the resend meets the conflict.
    original = api.iter_tenants
    calls = 0

    async def lagging(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:
            return
        async for tenant in original(*args, **kwargs):
            yield tenant

    api.iter_tenants = lagging  # type: ignore[method-assign]
    api.script((name_taken(), False))
    await submitter.submit(submission)
    assert submission.outcome is SubmissionOutcome.ADOPTED
    assert len(api.post_request_ids) == 2
    assert set(api.post_request_ids) == {"rid-x"}


async def test_existing_tenant_of_someone_else_is_a_conflict_never_adopted() -> None:
    _, api, submitter = setup()
    api.existing("drill-1", "production tenant, hands off")
    api.script((name_taken(), False))
    submission = await submit(submitter)
    assert submission.outcome is SubmissionOutcome.CONFLICT
    assert isinstance(submission.error, TenantNameConflict)
    with pytest.raises(TenantNameConflict, match="drill-1"):
        submission.raise_for_outcome()


async def test_stranger_found_after_ambiguous_attempt_is_a_conflict() -> None:
    _, api, submitter = setup()
    api.script((reset_after_send(), False))
    api.existing("drill-1", "someone else's")  # appeared meanwhile, without our marker
    submission = await submit(submitter)
    assert submission.outcome is SubmissionOutcome.CONFLICT
    assert api.post_request_ids == ["rid-drill-1"]


async def test_marked_tenant_created_long_before_first_attempt_is_not_ours() -> None:
    clock, api, submitter = setup()
    marker = submission_marker("rid-drill-1")
    api.existing("drill-1", f"x [{marker}]", created=clock.now() - timedelta(days=2))
    submission = await submit(submitter, reconcile_first=True)
    assert submission.outcome is SubmissionOutcome.CONFLICT


async def test_reconcile_first_adopts_a_tenant_from_an_earlier_run() -> None:
    clock, api, submitter = setup()
    earlier = RestoreSubmission.new("ob-dr", request(), request_id="rid-drill-1")
    api.existing("drill-1", earlier.request.target_tenant_description, created=clock.now())
    submission = await submit(submitter, reconcile_first=True)
    assert submission.outcome is SubmissionOutcome.ADOPTED
    assert api.post_request_ids == []


async def test_out_of_retries_after_ambiguity_is_unknown_not_failed() -> None:
    _, api, submitter = setup(policy=RetryPolicy(max_attempts=2))
    api.script((reset_after_send(), False), (reset_after_send(), False))
    submission = await submit(submitter)
    assert submission.outcome is SubmissionOutcome.UNKNOWN
    assert submission.may_exist


async def test_a_reconcile_round_settles_an_unknown() -> None:
    _, api, submitter = setup(policy=RetryPolicy(max_attempts=2), reconcile_rounds=1)
    api.script((reset_after_send(), False), (reset_after_send(), True))
    submission = await submit(submitter)
    # The second reset had created the tenant: the extra round's lookup adopts it.
    assert submission.outcome is SubmissionOutcome.ADOPTED
    assert len(submission.attempts) == 3
    assert submission.attempts[2].looked_up
    assert api.post_request_ids == ["rid-drill-1"] * 2


def test_marker_is_in_the_sent_description_once() -> None:
    submission = RestoreSubmission.new("ob-dr", request(description="Test"), request_id="r1")
    description = submission.request.target_tenant_description
    assert description == f"Test [{submission_marker('r1')}]"
    again = RestoreSubmission.new("ob-dr", submission.request, request_id="r1")
    assert again.request.target_tenant_description == description


async def test_cancel_mid_flight_leaves_unknown_with_what_reconciling_needs() -> None:
    clock, api, submitter = setup()
    started = asyncio.Event()

    async def hanging_post(*args, **kwargs):  # type: ignore[no-untyped-def]
        started.set()
        await asyncio.sleep(3600)

    api.create_restore_task = hanging_post  # type: ignore[method-assign]
    submission = RestoreSubmission.new("ob-dr", request(), request_id="rid-c")
    task = asyncio.create_task(submitter.submit(submission))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert submission.outcome is SubmissionOutcome.UNKNOWN
    assert submission.request_id == "rid-c"
    assert submission.first_attempt_at == clock.now()
    assert submission.attempts[-1].result == "cancelled"


async def test_cancel_during_backoff_after_clean_refusal_is_cancelled() -> None:
    clock = FakeClock()
    api = ScriptedApi(clock)
    api.script((server_error(503), False))
    sleeping = asyncio.Event()

    class SlowClock(FakeClock):
        async def sleep(self, seconds: float) -> None:
            sleeping.set()
            await asyncio.sleep(3600)

    submitter = Submitter(api, clock=SlowClock())  # type: ignore[arg-type]
    submission = RestoreSubmission.new("ob-dr", request(), request_id="rid-d")
    task = asyncio.create_task(submitter.submit(submission))
    await sleeping.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert submission.outcome is SubmissionOutcome.CANCELLED


@pytest.mark.parametrize(
    ("error", "conflict"),
    [
        (ClientError("taken", status=409, error_code="TenantNameConflict"), True),
        (ClientError("taken", status=409), True),
        (ClientError("taken", status=400, error_code="TenantNameAlreadyExists"), True),
        (ClientError("full", status=409, error_code="InsufficientCapacity"), False),
        (ClientError("bad", status=400, error_code="InvalidParameterValue"), False),
    ],
)
def test_name_conflict_recognition(error: ClientError, conflict: bool) -> None:
    assert SubmitterConfig().is_name_conflict(error) is conflict


async def test_capacity_refusal_is_a_failure_not_a_conflict() -> None:
    _, api, submitter = setup()
    api.script((ClientError("no room", status=409, error_code="InsufficientCapacity"), False))
    submission = await submit(submitter)
    assert submission.outcome is SubmissionOutcome.FAILED
