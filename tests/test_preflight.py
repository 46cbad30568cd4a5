"""The drill's preflight reads: what it learns about the target instances before sending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ob_async._client import ObClient
from ob_async._http.credentials import Credentials
from ob_async._restore.retry import Backoff, RetryPolicy
from ob_async._wire.backups import RestorableTenant, TimeWindow
from ob_async._wire.models import RestoreMode, RestoreObjectType, RestoreRequest, TenantResource
from ob_async.drill._plan import PlanItem
from ob_async.drill._preflight import LATEST_MAX_AGE, Preflight
from tests.support.fakes import FakeClock, FlakyPagesApi


async def test_the_names_taken_are_read_page_by_page_under_the_retry_policy() -> None:
    # An instance of thousands of tenants is many pages; when the whole listing was
    # retried, a few percent of failed requests made it fail as often as not.
    client = ObClient(
        "https://api.example.test",
        Credentials("AK", access_key_secret="sk"),
        "p1",
        retry_policy=RetryPolicy(max_attempts=2, backoff=Backoff(base=0.001, cap=0.001)),
    )
    pages = FlakyPagesApi()
    client.list_tenants = pages.list_tenants  # type: ignore[method-assign]
    taken = await Preflight(client)._taken("ob1")
    assert taken == set(pages.names)
    assert pages.requests == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    await client.close()


def _plan_item(restore_time: datetime | None) -> PlanItem:
    return PlanItem(
        index=1,
        key="ob-dr/t1_dr",
        line=None,
        instance_id="ob-dr",
        template=RestoreRequest(
            source_instance_id="ob-src",
            source_tenant_id="t1",
            target_instance_id="ob-dr",
            target_tenant_name="t1_dr",
            target_tenant_primary_zone="z1",
            restore_time=restore_time or datetime(2026, 1, 1, tzinfo=UTC),
            tenant_resource=TenantResource(cpu=1, memory=2, unit_num=1),
            restore_mode=RestoreMode.FROM_BACKUP_SET,
            restore_object_type=RestoreObjectType.TENANT,
        ),
        restore_time=restore_time,
        rto_seconds=None,
    )


async def test_latest_is_the_windows_end_when_the_item_is_sent_not_when_the_run_began() -> None:
    # The window's end follows the log archive, 5 minutes behind: a drill sending for
    # minutes would otherwise restore its last items to where its first began, and
    # count those minutes into their data-loss exposure.
    clock = FakeClock()
    client = ObClient(
        "https://api.example.test", Credentials("AK", access_key_secret="sk"), "p1", clock=clock
    )
    reads: list[float] = []

    async def list_restorable_tenants(instance_id: str, **_: object) -> list[RestorableTenant]:
        reads.append(clock.monotonic())
        end = clock.now() - timedelta(minutes=5)
        window = TimeWindow(start_time=end - timedelta(days=7), end_time=end)
        return [RestorableTenant(tenant_id="t1", time_interval_list=(window,))]

    client.list_restorable_tenants = list_restorable_tenants  # type: ignore[method-assign]
    preflight = Preflight(client)
    await preflight.probe("ob-src")
    began = clock.now()
    latest = _plan_item(None)
    assert await preflight._resolve_restore_time(latest) == (began - timedelta(minutes=5), None)
    clock.elapsed += LATEST_MAX_AGE  # still fresh enough: no read
    assert await preflight._resolve_restore_time(latest) == (began - timedelta(minutes=5), None)
    assert len(reads) == 1
    clock.elapsed += 1  # now older than LATEST_MAX_AGE: read again
    assert await preflight._resolve_restore_time(latest) == (
        clock.now() - timedelta(minutes=5),
        None,
    )
    assert len(reads) == 2
    # An explicit point only needs a window that holds it: no read for freshness.
    clock.elapsed += 600
    point = began - timedelta(hours=1)
    assert await preflight._resolve_restore_time(_plan_item(point)) == (point, None)
    assert len(reads) == 2
    await client.close()
