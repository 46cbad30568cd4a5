"""The session layer and API operations against aioresponses (no network)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

from ob_async import ObClient
from ob_async._client import ObClient as ClientClass
from ob_async._http.config import ClientConfig
from ob_async._http.credentials import Credentials
from ob_async._restore.retry import RetryChecker
from ob_async._wire.models import RestoreRequest, TenantResource
from ob_async.errors import (
    AuthenticationError,
    ClientError,
    InvalidInputError,
    ProtocolError,
    ServerError,
    ThrottledError,
    TransportError,
    TransportTimeout,
)

BASE = "https://api.example.test"
SECRET = "sk-very-secret-value"
PROJECT = "proj-1"
ALL = re.compile(r"^https://api\.example\.test/.*$")


def ok(data: Any = None, **extra: Any) -> dict[str, Any]:
    return {"success": True, "data": data, "requestId": "srv", "server": "s1", "cost": 3, **extra}


def fail(code: str, message: str) -> dict[str, Any]:
    return {"success": False, "errorCode": code, "errorMessage": message, "requestId": "srv"}


def restore_request() -> RestoreRequest:
    return RestoreRequest(
        source_instance_id="obxxx",
        source_tenant_id="txxx",
        target_instance_id="obxxx",
        target_tenant_name="RestoredTenant001",
        target_tenant_primary_zone="cn-shanghai-e",
        restore_time=datetime(2026, 1, 13, 5, 58, 34, tzinfo=UTC),
        tenant_resource=TenantResource(cpu=1, memory=4, unit_num=1),
        target_tenant_description="Test",
    )


@pytest.fixture
async def client() -> AsyncIterator[ObClient]:
    async with ClientClass(
        BASE,
        Credentials("AK", access_key_secret=SECRET),
        PROJECT,
        config=ClientConfig(total_timeout=5),
    ) as opened:
        yield opened


def calls(mocked: aioresponses) -> list[tuple[str, URL, dict[str, Any]]]:
    return [
        (method, url, call.kwargs)
        for (method, url), recorded in mocked.requests.items()
        for call in recorded
    ]


async def test_create_restore_task_sends_body_headers_and_request_id(client: ObClient) -> None:
    with aioresponses() as mocked:
        mocked.post(ALL, payload=ok({}))
        envelope = await client.create_restore_task("obxxx", restore_request(), request_id="rid-7")
    assert envelope.request_id == "srv"
    [(method, url, kwargs)] = calls(mocked)
    assert method == "POST"
    assert url.path == "/api/v2/instances/obxxx/backup/restore"
    assert url.query["requestId"] == "rid-7"
    assert kwargs["headers"]["X-Ob-Project-Id"] == PROJECT
    assert kwargs["headers"]["Content-Type"] == "application/json"
    assert "Authorization" not in kwargs["headers"]  # no challenge was ever issued
    body = json.loads(kwargs["data"])
    assert body["targetTenantName"] == "RestoredTenant001"
    assert body["tenantResource"] == {"cpu": 1, "memory": 4, "unitNum": 1}


async def test_every_call_gets_a_fresh_uuid_request_id(client: ObClient) -> None:
    with aioresponses() as mocked:
        mocked.get(ALL, payload=ok({"dataList": [], "total": 0}), repeat=True)
        await client.list_tenants("ob1")
        await client.list_tenants("ob1")
    ids = [url.query["requestId"] for _, url, _ in calls(mocked)]
    assert len(ids) == 2
    assert ids[0] != ids[1]
    assert all(re.fullmatch(r"[0-9a-f-]{36}", rid) for rid in ids)


@pytest.mark.parametrize(
    ("status", "payload", "error_type"),
    [
        (400, fail("InvalidParameter", "restoreTime is bad"), ClientError),
        (404, fail("InstanceNotFound", "no such instance"), ClientError),
        (409, fail("TenantNameAlreadyExists", "taken"), ClientError),
        (401, fail("Unauthorized", "bad key"), AuthenticationError),
        (403, fail("Forbidden", "no"), AuthenticationError),
        (429, fail("Throttling", "slow down"), ThrottledError),
        (500, fail("E001R000", "Unknown Error"), ServerError),
        (503, fail("ServiceUnavailable", "busy"), ServerError),
    ],
)
async def test_failure_envelopes_raise_typed_errors(
    client: ObClient, status: int, payload: dict[str, Any], error_type: type[Exception]
) -> None:
    with aioresponses() as mocked:
        mocked.post(ALL, status=status, payload=payload, headers={"Retry-After": "2"})
        with pytest.raises(error_type) as caught:
            await client.create_restore_task("obxxx", restore_request(), request_id="r1")
    error = caught.value
    assert error.error_code == payload["errorCode"]  # type: ignore[attr-defined]
    assert error.status == status  # type: ignore[attr-defined]
    assert error.request_id == "srv"  # type: ignore[attr-defined]
    if isinstance(error, ThrottledError):
        assert error.retry_after == 2.0


async def test_gateway_html_is_protocol_error(client: ObClient) -> None:
    with aioresponses() as mocked:
        mocked.post(
            ALL,
            status=502,
            body="<html><title>502 Bad Gateway</title></html>",
            content_type="text/html",
        )
        with pytest.raises(ProtocolError, match="502 Bad Gateway") as caught:
            await client.create_restore_task("obxxx", restore_request())
    assert caught.value.is_gateway_failure


async def test_success_with_wrong_content_type_is_refused(client: ObClient) -> None:
    with aioresponses() as mocked:
        mocked.delete(ALL, body=json.dumps(ok({"tenantId": "t1"})), content_type="text/html")
        with pytest.raises(ProtocolError, match="Content-Type 'text/html'"):
            await client.delete_tenant("ob1", "t1")


async def test_transport_errors_say_whether_the_server_may_have_acted(client: ObClient) -> None:
    with aioresponses() as mocked:
        mocked.post(ALL, exception=aiohttp.ServerDisconnectedError())
        with pytest.raises(TransportError) as caught:
            await client.create_restore_task("obxxx", restore_request(), request_id="r2")
    assert caught.value.may_have_reached_server
    assert caught.value.request_id == "r2"
    with aioresponses() as mocked:
        mocked.post(ALL, exception=TimeoutError())
        with pytest.raises(TransportError, match="timed out") as caught:
            await client.create_restore_task("obxxx", restore_request())
    assert caught.value.may_have_reached_server


@pytest.mark.parametrize(
    ("raised", "reached", "timeout"),
    [
        (TimeoutError(), True, True),
        (aiohttp.SocketTimeoutError("Timeout on reading data from socket"), True, True),
        (aiohttp.ConnectionTimeoutError("Connection timeout to host"), False, True),
        (aiohttp.ServerDisconnectedError(), True, False),
        (aiohttp.ClientPayloadError("timed out, says the peer"), True, False),
    ],
)
async def test_a_timeout_is_a_transport_timeout_by_its_type(
    client: ObClient, raised: Exception, reached: bool, timeout: bool
) -> None:
    # The retry budget charges timeouts more; it must know one by its class, not by
    # words in the message (the last case mentions a timeout and is not one).
    with aioresponses() as mocked:
        mocked.post(ALL, exception=raised)
        with pytest.raises(TransportError) as caught:
            await client.create_restore_task("obxxx", restore_request())
    assert isinstance(caught.value, TransportTimeout) is timeout
    assert RetryChecker().is_timeout(caught.value) is timeout
    assert caught.value.may_have_reached_server is reached


async def test_connect_failure_did_not_reach_server(client: ObClient) -> None:
    error = aiohttp.ClientConnectorError(
        connection_key=None,  # type: ignore[arg-type]
        os_error=ConnectionRefusedError(111, "Connection refused"),
    )
    with aioresponses() as mocked:
        mocked.post(ALL, exception=error)
        with pytest.raises(TransportError, match="cannot connect") as caught:
            await client.create_restore_task("obxxx", restore_request())
    assert not caught.value.may_have_reached_server


async def test_bad_response_data_is_protocol_error_naming_the_call(client: ObClient) -> None:
    with aioresponses() as mocked:
        mocked.get(ALL, payload=ok({"tenantName": "x"}))
        with pytest.raises(ProtocolError, match=r"describe_tenant: .*\$\.tenantId: required"):
            await client.describe_tenant("ob1", "t1")


async def test_body_over_the_limit_is_refused() -> None:
    config = ClientConfig(max_response_bytes=1024)
    async with ClientClass(
        BASE, Credentials("AK", access_key_secret=SECRET), PROJECT, config=config
    ) as small:
        with aioresponses() as mocked:
            mocked.get(ALL, body=json.dumps(ok("x" * 5000)), content_type="application/json")
            with pytest.raises(ProtocolError, match="limit is 1024 bytes"):
                await small.describe_tenant("ob1", "t1")


async def test_redirects_are_not_followed_and_carry_no_credentials(client: ObClient) -> None:
    with aioresponses() as mocked:
        mocked.get(ALL, status=302, headers={"Location": "https://evil.example/steal"})
        mocked.get("https://evil.example/steal", payload=ok({}))
        refused = r"redirect to 'https://evil\.example/steal' refused"
        with pytest.raises(ProtocolError, match=refused):
            await client.describe_tenant("ob1", "t1")
    assert all(url.host == "api.example.test" for _, url, _ in calls(mocked))


async def test_describe_list_delete_restorable_and_backup_sets(client: ObClient) -> None:
    with aioresponses() as mocked:
        mocked.get(
            re.compile(r".*/tenants/t1\?.*"),
            payload=ok(
                {
                    "tenantId": "t1",
                    "tenantName": "a",
                    "status": "ONLINE",
                    "description": "d",
                    "createTime": "2021-09-20 12:00:00",
                }
            ),
        )
        mocked.delete(re.compile(r".*/tenants/t1\?.*"), payload=ok({"tenantId": "t1"}))
        mocked.get(
            re.compile(r".*/backup/restore/tenants\?.*"),
            payload=ok(
                [
                    {
                        "tenantId": "txxx",
                        "timeIntervalList": [
                            {"startTime": "2026-01-13T00:00:00Z", "endTime": "2026-01-14T00:00:00Z"}
                        ],
                    }
                ]
            ),
        )
        mocked.get(
            re.compile(r".*/backup/data/sets\?.*"),
            payload=ok({"dataList": [{"backupSetId": "b1", "status": "DONE"}], "total": 1}),
        )
        detail = await client.describe_tenant("ob1", "t1")
        deleted = await client.delete_tenant("ob1", "t1")
        restorable = await client.list_restorable_tenants(
            "ob1", tenant_id="txxx", from_remote=False
        )
        sets = await client.list_backup_sets(
            "ob1", start_time=datetime(2026, 1, 1, tzinfo=UTC), page_size=50
        )
    assert detail.create_time == datetime(2021, 9, 20, 12, tzinfo=UTC)
    assert deleted.tenant_id == "t1"
    assert restorable[0].latest_restorable_time == datetime(2026, 1, 14, tzinfo=UTC)
    assert sets.data_list[0].backup_set_id == "b1"
    urls = {url.path: url for _, url, _ in calls(mocked)}
    restorable_url = urls["/api/v2/instances/ob1/backup/restore/tenants"]
    assert restorable_url.query["tenantId"] == "txxx"
    assert restorable_url.query["fromRemote"] == "false"
    sets_url = urls["/api/v2/instances/ob1/backup/data/sets"]
    assert sets_url.query["startTime"] == "2026-01-01T00:00:00Z"
    assert sets_url.query["pageSize"] == "50"


async def test_iter_tenants_walks_every_page(client: ObClient) -> None:
    def page(start: int, count: int) -> dict[str, Any]:
        return ok(
            {
                "dataList": [
                    {"tenantId": f"t{i}", "tenantName": f"n{i}", "status": "ONLINE"}
                    for i in range(start, start + count)
                ],
                "total": 5,
            }
        )

    with aioresponses() as mocked:
        mocked.get(re.compile(r".*pageNumber=1.*"), payload=page(0, 2))
        mocked.get(re.compile(r".*pageNumber=2.*"), payload=page(2, 2))
        mocked.get(re.compile(r".*pageNumber=3.*"), payload=page(4, 1))
        names = [t.tenant_name async for t in client.iter_tenants("ob1", page_size=2)]
    assert names == ["n0", "n1", "n2", "n3", "n4"]


async def test_path_segments_are_encoded(client: ObClient) -> None:
    with aioresponses() as mocked:
        mocked.get(
            ALL,
            payload=ok(
                {"tenantId": "a/b", "tenantName": "x", "status": "ONLINE", "description": ""}
            ),
        )
        await client.describe_tenant("ob 1", "a/b")
    [(_, url, _)] = calls(mocked)
    assert url.raw_path == "/api/v2/instances/ob%201/tenants/a%2Fb"


@pytest.mark.parametrize(
    ("endpoint", "message"),
    [
        ("ftp://x", "expected an http"),
        ("http://api.example.test", "plain http://"),
        ("https://AK:pw@api.example.test", "must not carry credentials"),
        ("https://api.example.test/?x=1", "query"),
    ],
)
def test_bad_endpoints_are_refused(endpoint: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        ObClient(endpoint, Credentials("AK", access_key_secret=SECRET), PROJECT)


@pytest.mark.parametrize(
    ("endpoint", "config"),
    [
        ("http://127.0.0.1:8765", None),
        ("http://localhost:8765", None),
        ("http://[::1]:8765", None),
        ("http://api.example.test", ClientConfig(allow_insecure_http=True)),
    ],
)
async def test_plain_http_allowed_on_loopback_or_when_asked(
    endpoint: str, config: ClientConfig | None
) -> None:
    credentials = Credentials("AK", access_key_secret=SECRET)
    async with ObClient(endpoint, credentials, PROJECT, config=config) as client:
        with aioresponses() as mocked:
            mocked.get(
                re.compile(re.escape(endpoint) + "/.*"),
                payload=ok(
                    {"tenantId": "t1", "tenantName": "x", "status": "ONLINE", "description": ""}
                ),
            )
            tenant = await client.describe_tenant("ob1", "t1")
    assert tenant.tenant_id == "t1"
    [(_, url, _)] = calls(mocked)
    # Sent over plain http to that very host and port, not upgraded or refused.
    assert url.scheme == "http"
    assert f"{url.scheme}://{url.raw_authority}" == endpoint


def test_client_repr_hides_the_secret() -> None:
    client = ObClient(BASE, Credentials("AK", access_key_secret=SECRET), PROJECT)
    assert SECRET not in repr(client)
    assert SECRET not in repr(client.session)
    assert SECRET not in repr(client.session._auth)
    assert "AK" in repr(client)
