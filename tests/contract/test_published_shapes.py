"""The client against a server answering in the published shapes (not our simulator's).

tests/support/published_api.py serves documents written from the contract with
every documented field, nested as the provider's schemas have them. Here: they
are the contract's shapes; a restore POST whose answer is lost is settled as
``adopted`` with one tenant created (reconciliation describes the tenant); the
data checks find an address in them; the drill's zone check refuses a zone the
target instance does not offer, before any POST.
"""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ob_async import Credentials, ObClient, RestoreRequest, TenantResource
from ob_async._restore.retry import Backoff, RetryPolicy
from ob_async._restore.submit import SubmissionOutcome
from ob_async._wire.addresses import Network, choose_endpoint
from tests.support.published_api import (
    SOURCE_INSTANCE,
    SOURCE_TENANT,
    TARGET_INSTANCE,
    ZONES,
    PublishedApi,
    PublishedTenant,
    instance_document,
    restorable_document,
    validator,
)

FAST = RetryPolicy(max_attempts=4, backoff=Backoff(base=0.01, cap=0.02))


def request(name: str, zone: str = ZONES[0]) -> RestoreRequest:
    return RestoreRequest(
        source_instance_id=SOURCE_INSTANCE,
        source_tenant_id=SOURCE_TENANT,
        target_instance_id=TARGET_INSTANCE,
        target_tenant_name=name,
        target_tenant_primary_zone=zone,
        restore_time=datetime.now(UTC) - timedelta(hours=1),
        tenant_resource=TenantResource(cpu=2, memory=8, unit_num=1),
        target_tenant_description="weekly drill",
    )


def client_for(url: str) -> ObClient:
    return ObClient(url, Credentials("AK", access_key_secret="sk"), "p1", retry_policy=FAST)


def test_the_servers_documents_are_the_contracts_shapes() -> None:
    tenant = PublishedTenant(
        tenant_id="t1", name="a", description="d", zone=ZONES[0], created=time.time()
    )
    for name, document in (
        ("TenantDetail", tenant.document()),
        ("DescribeInstanceResponseV2OpenAPI", instance_document("ob-dr")),
        ("RestorableTenant", restorable_document(time.time())[0]),
    ):
        errors = [error.message for error in validator(name).iter_errors(document)]
        assert errors == [], name


async def test_a_lost_restore_answer_ends_adopted_with_one_tenant_created() -> None:
    async with PublishedApi(lose_answers=1).running() as server:
        async with client_for(server.url) as client:
            submission = await client.submit_restore(TARGET_INSTANCE, request("dr_weekly_1"))
    assert submission.outcome is SubmissionOutcome.ADOPTED, submission.attempts
    assert len(server.tenants) == 1
    [tenant] = server.tenants.values()
    assert submission.tenant_id == tenant.tenant_id
    assert submission.marker in tenant.description


async def test_the_data_checks_find_the_address_in_the_published_connections() -> None:
    async with PublishedApi().running() as server:
        async with client_for(server.url) as client:
            await client.create_restore_task(TARGET_INSTANCE, request("dr_weekly_2"))
            [tenant_id] = server.tenants
            detail = await client.describe_tenant(TARGET_INSTANCE, tenant_id)
    endpoint = choose_endpoint(detail.tenant_connections, Network.INTRANET)
    assert endpoint is not None
    assert (endpoint.host, endpoint.port, endpoint.use_ssl) == ("10.0.0.7", 3306, False)
    # The internet address is CLOSED: not offered as an endpoint.
    assert choose_endpoint(detail.tenant_connections, Network.INTERNET) is None


def plan(tmp_path: Path, zones: tuple[str, ...], settings: str = "") -> Path:
    restores = "\n".join(
        f'[[restore]]\nsource_tenant_id = "{SOURCE_TENANT}"\n'
        f'target_tenant_name = "dr_{index}"\ntarget_tenant_primary_zone = "{zone}"\n'
        for index, zone in enumerate(zones)
    )
    path = tmp_path / "plan.toml"
    path.write_text(
        textwrap.dedent(
            f"""\
            [drill]
            name = "zones"
            timeout = "1m"
            {settings}
            [defaults]
            source_instance_id = "{SOURCE_INSTANCE}"
            target_instance_id = "{TARGET_INSTANCE}"
            restore_time = "latest"
            cpu = 2
            memory = 8
            unit_num = 1
            """
        )
        + restores,
        encoding="utf-8",
    )
    return path


async def test_the_zone_check_refuses_a_zone_the_instance_does_not_offer_before_any_post(
    tmp_path: Path,
) -> None:
    drill_plan = plan(tmp_path, (ZONES[0], "cn-shanghai-e", ZONES[1]))
    async with PublishedApi().running() as server:
        environment = {
            **os.environ,
            "OB_ENDPOINT": server.url,
            "OB_PROJECT_ID": "p1",
            "OB_ACCESS_KEY_ID": "AK",
            "OB_ACCESS_KEY_SECRET": "sk",
            # The code under test, whatever is installed.
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ob_async",
            "drill",
            str(drill_plan),
            "--journal",
            str(tmp_path / "journal.jsonl"),
            cwd=tmp_path,
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=90)
    message = stderr.decode()
    assert process.returncode == 2, (stdout.decode(), message)
    assert server.posts == 0
    assert "restore ob-dr/dr_1 (line " in message, message
    assert "'cn-shanghai-e' is not a zone of instance ob-dr" in message
    assert f"which offers {ZONES[0]}, {ZONES[1]}" in message
    assert message.count("is not a zone") == 1  # the other two are offered
    assert not (tmp_path / "journal.jsonl").exists()  # nothing started: no journal left


@pytest.mark.parametrize("zone", ZONES)
async def test_a_zone_the_instance_offers_passes_the_check(tmp_path: Path, zone: str) -> None:
    from ob_async.drill import DrillOptions, DrillRunner, load_plan

    drill_plan = load_plan(plan(tmp_path, (zone,)))
    async with PublishedApi().running() as server:
        async with client_for(server.url) as client:
            runner = DrillRunner(client, drill_plan, DrillOptions(journal_path=None, dry_run=True))
            await runner.run()
    assert server.posts == 0  # a dry run sends none; it got past the zone check


async def test_the_zone_check_can_be_turned_off(tmp_path: Path) -> None:
    from ob_async.drill import DrillOptions, DrillRunner, load_plan

    drill_plan = load_plan(plan(tmp_path, ("cn-shanghai-e",), settings="zone_check = false"))
    assert drill_plan.zone_check is False
    async with PublishedApi().running() as server:
        async with client_for(server.url) as client:
            runner = DrillRunner(client, drill_plan, DrillOptions(journal_path=None, dry_run=True))
            await runner.run()  # no refusal: the server would be the judge
    assert server.posts == 0
