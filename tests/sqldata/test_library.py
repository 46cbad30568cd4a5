"""The data checks as a library: an application verifies a restored tenant itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ob_async import Network, ObClient, PollConfig, RestoreRequest, TenantResource
from ob_async.data import (
    CheckSpec,
    DataLimits,
    DataSpec,
    DataVerifier,
    Expectation,
    RpoFigure,
    RpoSpec,
    TenantLogin,
)
from ob_async.simulator import Simulator


async def test_an_application_verifies_a_restored_tenant_through_the_public_api() -> None:
    point = datetime.now(UTC).replace(second=10, microsecond=0) - timedelta(hours=2)
    async with (
        Simulator(restore_seconds=0.2, tenant_password="App-Tenant-Pass-1") as sim,
        ObClient(
            sim.url, sim.credentials, "p1", poll=PollConfig(initial_interval=0.1, max_interval=0.3)
        ) as client,
    ):
        request = RestoreRequest(
            source_instance_id="ob-prod-sh",
            source_tenant_id="tsh002",
            target_instance_id="ob-dr-east",
            target_tenant_name="app_verify",
            target_tenant_primary_zone="cn-shanghai-e",
            restore_time=point,
            tenant_resource=TenantResource(cpu=1, memory=2, unit_num=1),
        )
        submission = await client.submit_restore("ob-dr-east", request, wait=True, timeout=60)
        assert submission.restore is not None
        tenant_id = submission.restore.tenant_id
        assert tenant_id is not None
        [connection] = (await client.describe_tenant("ob-dr-east", tenant_id)).tenant_connections
        assert connection.address_id is not None
        address = await client.describe_tenant_address(
            "ob-dr-east", tenant_id, connection.address_id
        )
        assert address == connection
        assert address.is_online(Network.INTERNET)
        verifier = DataVerifier(client, DataLimits(network=Network.INTERNET))
        verdict = await verifier.verify(
            "ob-dr-east",
            tenant_id,
            DataSpec(
                login=TenantLogin("app", password="App-Tenant-Pass-1", database="app"),
                checks=(
                    CheckSpec(
                        name="orders",
                        sql="SELECT COUNT(*) FROM orders",
                        expect=Expectation.parse("= 1200"),
                    ),
                ),
                rpo=RpoSpec(
                    query="SELECT MAX(updated_at) FROM heartbeat",
                    time_zone="UTC",  # the simulated tenants' DATETIME columns are in UTC
                    target_seconds=60,
                ),
            ),
            restore_point=point,
            requested_at=submission.first_attempt_at,
            timeout=30,
        )
    assert verdict.ok, verdict.problems()
    rpo = verdict.rpo
    assert rpo is not None
    assert rpo.newest_change == point.replace(second=0)  # a heartbeat a minute
    assert rpo.restore_point_gap_seconds == 10.0
    assert submission.first_attempt_at is not None
    assert (
        rpo.data_loss_exposure_seconds
        == (submission.first_attempt_at - point.replace(second=0)).total_seconds()
    )
    # The target applies to the gap unless the spec says otherwise: a past point.
    assert rpo.target_applies_to is RpoFigure.RESTORE_POINT_GAP
    assert verdict.rpo_seconds == 10.0
    assert verdict.met_rpo is True
    assert verdict.endpoint == f"127.0.0.1:{address.internet_port}"
