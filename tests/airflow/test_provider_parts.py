"""The provider's parts that need no running Airflow: the connection read as settings, the
requestId of a task instance, the records, the shared clients, and the provider's
description (checked against Airflow's own schema, and registered with a real Airflow).

These modules import nothing of Airflow, so they run in the test process.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ob_async.airflow._provider_info import get_provider_info
from ob_async.airflow._records import RestoreRecord, TenantWait, WaitResult, restore_request_id
from ob_async.airflow._settings import ConnectionSettings
from ob_async.airflow._shared_clients import SharedClients
from ob_async.errors import InvalidInputError
from tests.airflow.harness import AirflowHome

SECRET = "s3cret-canary-value"


def read(**fields: Any) -> ConnectionSettings:
    given: dict[str, Any] = {
        "host": "https://api-cloud.oceanbase.com",
        "port": None,
        "login": "AKID",
        "password": SECRET,
        "extra": {"project_id": "p1"},
        **fields,
    }
    return ConnectionSettings.read("ob", **given)


# --- the connection ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "port", "endpoint"),
    [
        ("https://api-cloud.oceanbase.com", None, "https://api-cloud.oceanbase.com"),
        ("api-cloud.oceanbase.com", None, "https://api-cloud.oceanbase.com"),
        ("http://127.0.0.1", 8080, "http://127.0.0.1:8080"),
        ("gateway.example/ob", 8443, "https://gateway.example:8443/ob"),
    ],
)
def test_the_host_is_the_endpoint_and_a_bare_name_means_https(
    host: str, port: int | None, endpoint: str
) -> None:
    assert read(host=host, port=port).endpoint == endpoint


def test_the_extra_sets_the_project_and_the_clients_options() -> None:
    settings = read(
        extra={
            "project_id": " p1 ",
            "extra__oceanbase_cloud__poll_initial_interval": "0.5",
            "poll_max_interval": 10,
            "max_attempts": "3",
            "verify_tls": "false",
            "max_connections": 7,
        }
    )
    assert settings.project_id == "p1"
    assert (settings.poll.initial_interval, settings.poll.max_interval) == (0.5, 10.0)
    assert settings.retry_policy.max_attempts == 3
    assert settings.config.verify_tls is False
    assert settings.config.max_connections == 7
    assert settings.credentials.access_key_id == "AKID"


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"host": ""}, "no endpoint"),
        ({"extra": {}}, "no project"),
        ({"extra": {"project_id": "p", "poll_every": 3}}, "unknown key 'poll_every'"),
        ({"extra": {"project_id": "p", "max_attempts": "many"}}, "extra 'max_attempts'"),
        ({"extra": {"project_id": "p", "verify_tls": "yes please"}}, "true or false"),
        ({"extra": {"project_id": "p", "max_attempts": 0}}, "max_attempts: must be at least 1"),
        ({"host": "http://h:1", "port": 2}, "already names a port"),
        ({"password": ""}, "AccessKey secret is empty"),
        ({"login": None}, "AccessKey ID is empty"),
    ],
)
def test_a_bad_connection_is_one_error_naming_it_and_the_field(
    fields: dict[str, Any], says: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        read(**fields)
    assert str(caught.value).startswith("Airflow connection 'ob'")
    assert says in str(caught.value)
    assert SECRET not in str(caught.value)


def test_the_settings_never_show_the_secret() -> None:
    settings = read()
    assert SECRET not in repr(settings)
    assert SECRET not in str(settings)
    assert settings.credentials.reveal_secret() == SECRET


# --- identities and records ------------------------------------------------------------


def test_a_task_instances_request_id_is_the_same_on_every_try_and_its_own() -> None:
    first = restore_request_id("dag", "restore", "scheduled__2026-03-01", 4)
    assert first == restore_request_id("dag", "restore", "scheduled__2026-03-01", 4)
    assert uuid.UUID(first).version == 5
    others = {
        restore_request_id("dag2", "restore", "scheduled__2026-03-01", 4),
        restore_request_id("dag", "restore2", "scheduled__2026-03-01", 4),
        restore_request_id("dag", "restore", "scheduled__2026-03-08", 4),
        restore_request_id("dag", "restore", "scheduled__2026-03-01", 5),
        restore_request_id("dag", "restore", "scheduled__2026-03-01"),
    }
    assert first not in others
    assert len(others) == 5


def test_a_wait_and_its_result_survive_json() -> None:
    wait = TenantWait(
        conn_id="ob",
        instance_id="i1",
        tenant_name="t1",
        request_id="r1",
        submitted_at="2026-03-01T03:00:00+00:00",
        deadline="2026-03-01T05:00:00+00:00",
        rto_seconds=900.0,
        restore_time="2026-03-01T02:55:00+00:00",
        latest=True,
        submission="adopted",
    )
    data = json.loads(json.dumps(wait.to_json()))
    assert TenantWait.from_json(data) == wait
    result = WaitResult(
        state="online",
        instance_id="i1",
        tenant_name="t1",
        request_id="r1",
        tenant_id="tid",
        recovery_seconds=40.0,
        recovery_lower_seconds=35.0,
        rto_seconds=900.0,
        rto_verdict="met",
        polls=4,
        submitted_at=wait.submitted_at.isoformat(),
        restore_time=wait.restore_time,
        latest=True,
        submission="adopted",
    )
    back = WaitResult.from_json(json.loads(json.dumps(result.to_json())))
    assert back == result
    record = RestoreRecord.of(back).to_json()
    assert record["submission"] == "adopted"
    assert record["submitted_at"] == "2026-03-01T03:00:00+00:00"
    assert record["latest"] is True
    assert record["rto_verdict"] == "met"
    assert json.loads(json.dumps(record)) == record


def test_a_wait_refuses_a_time_without_a_zone() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        TenantWait(
            conn_id="ob",
            instance_id="i",
            tenant_name="t",
            request_id="r",
            submitted_at="2026-03-01T03:00:00",
            deadline="2026-03-01T05:00:00+00:00",
        )


# --- one client per connection per event loop -------------------------------------------


class FakeClient:
    def __init__(self, conn_id: str) -> None:
        self.conn_id = conn_id
        self.closed = 0

    async def close(self) -> None:
        self.closed += 1


def opener(opened: list[FakeClient], *, fail: bool = False) -> Callable[[str], Any]:
    async def open_client(conn_id: str) -> Any:
        await asyncio.sleep(0.01)  # borrowers arrive while it opens
        if fail:
            raise InvalidInputError("cannot open", where=conn_id)
        opened.append(FakeClient(conn_id))
        return opened[-1]

    return open_client


async def test_borrowers_of_a_connection_share_one_client_closed_by_the_last() -> None:
    opened: list[FakeClient] = []
    shared = SharedClients(opener(opened))
    release = asyncio.Event()
    seen: list[Any] = []

    async def wait(conn_id: str) -> None:
        async with shared.borrow(conn_id) as client:
            seen.append(client)
            await release.wait()

    waits = [asyncio.ensure_future(wait("a")) for _ in range(5)]
    other = asyncio.ensure_future(wait("b"))
    while len(seen) < 6:
        await asyncio.sleep(0.01)
    assert [client.conn_id for client in opened] == ["a", "b"]
    assert shared.borrowers("a") == 5
    waits[0].cancel()
    await asyncio.gather(waits[0], return_exceptions=True)
    assert shared.borrowers("a") == 4
    assert opened[0].closed == 0  # a cancelled wait does not close it for the others
    release.set()
    await asyncio.gather(*waits[1:], other)
    assert [client.closed for client in opened] == [1, 1]
    assert (shared.borrowers("a"), shared.borrowers("b")) == (0, 0)


async def test_a_borrower_cancelled_while_the_client_opens_leaves_nothing_open() -> None:
    opened: list[FakeClient] = []
    shared = SharedClients(opener(opened))

    async def wait() -> None:
        async with shared.borrow("a"):
            await asyncio.sleep(10)

    task = asyncio.ensure_future(wait())
    await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert shared.borrowers("a") == 0
    assert all(client.closed == 1 for client in opened)


async def test_a_client_that_fails_to_open_fails_its_borrowers_and_is_tried_again() -> None:
    failing = SharedClients(opener([], fail=True))

    async def borrow() -> None:
        async with failing.borrow("a"):
            pass

    results = await asyncio.gather(borrow(), borrow(), return_exceptions=True)
    assert [type(result) for result in results] == [InvalidInputError, InvalidInputError]
    assert failing.borrowers("a") == 0


def test_each_event_loop_has_its_own_client() -> None:
    opened: list[FakeClient] = []
    shared = SharedClients(opener(opened))

    async def borrow() -> Any:
        async with shared.borrow("a") as client:
            return client

    first, second = asyncio.run(borrow()), asyncio.run(borrow())
    assert first is not second
    assert [client.closed for client in opened] == [1, 1]


# --- the provider's description -------------------------------------------------------------


def test_the_provider_info_follows_airflows_schema() -> None:
    spec = find_spec("airflow")
    assert spec is not None
    assert spec.submodule_search_locations is not None
    schema_path = Path(next(iter(spec.submodule_search_locations))) / "provider_info.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    info = get_provider_info()
    jsonschema.validate(info, schema)
    [connection] = info["connection-types"]
    assert connection["connection-type"] == "oceanbase_cloud"
    assert connection["hook-class-name"] == "ob_async.airflow.ObCloudHook"
    assert "project_id" in connection["conn-fields"]


@pytest.mark.timeout(300)
def test_airflow_finds_the_provider_and_its_connection_type(airflow_home: AirflowHome) -> None:
    listed = airflow_home.airflow("providers", "hooks", "--output", "json")
    hooks = json.loads(listed[listed.index("[") : listed.rindex("]") + 1])
    [ours] = [hook for hook in hooks if hook["connection_type"] == "oceanbase_cloud"]
    assert ours["class"] == "ob_async.airflow.ObCloudHook"
