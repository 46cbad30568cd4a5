"""The client against real third-party digest servers: Debian's Apache httpd and lighttpd.

Each setup is started once for this module (tests/support/real_digest_servers.py)
and protects a tenant list and the restore POST. What a test asserts about the
wire it reads from the server's own access log: every request's status and the
nonce and count it carried.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import aiohttp
import pytest

from ob_async import ObClient
from ob_async._digest import DigestAuth, DigestResponse
from ob_async._http.credentials import Credentials
from ob_async._wire.models import RestoreRequest, TenantResource
from ob_async.errors import AuthenticationError
from ob_async.simulator import Simulator
from tests.support.real_digest_servers import (
    INSTANCE,
    PASSWORD,
    PROJECT,
    TENANTS_PATH,
    USERNAME,
    ApacheSetup,
    LighttpdSetup,
    RealServer,
    Seen,
    running_apache,
    running_lighttpd,
)

from ._strict_server import PASSWORD as STRICT_PASSWORD
from ._strict_server import TARGET, USER, StrictServer
from ._transcript import Exchange, Prober, apache_nc_check, expired_nonce, forgotten_record

Flow = Generator[str | None, DigestResponse, object]

SEQUENTIAL = 5
IN_FLIGHT = 50

APACHE_NC_CHECK = ApacheSetup("apache-nc-check", nc_check=True, shmem_size=1 << 20)
# Debian's default AuthDigestShmemSize: about a dozen client records for the server.
APACHE_DEFAULT_TABLE = ApacheSetup("apache-nc-check-default-table", nc_check=True)
APACHE_SHORT_NONCE_LIFETIME = ApacheSetup(
    "apache-nc-check-short-nonce-lifetime", nc_check=True, nonce_lifetime=1
)
SETUPS: list[ApacheSetup | LighttpdSetup] = [
    ApacheSetup("apache"),
    APACHE_NC_CHECK,
    APACHE_DEFAULT_TABLE,
    APACHE_SHORT_NONCE_LIFETIME,
    LighttpdSetup("lighttpd-md5", algorithms=("MD5",)),
    LighttpdSetup("lighttpd-sha-256", algorithms=("SHA-256",)),
    LighttpdSetup("lighttpd-sha-512-256", algorithms=("SHA-512-256",)),
    LighttpdSetup("lighttpd-several-algorithms", algorithms=("SHA-512-256", "SHA-256", "MD5")),
    LighttpdSetup("lighttpd-userhash", algorithms=("SHA-256",), userhash=True),
]


def setup_name(setup: ApacheSetup | LighttpdSetup) -> str:
    return setup.name


@pytest.fixture(scope="module", params=SETUPS, ids=setup_name)
def server(request: pytest.FixtureRequest) -> Iterator[RealServer]:
    setup = request.param
    runner = running_apache if isinstance(setup, ApacheSetup) else running_lighttpd
    with runner(setup) as running:
        yield running


@asynccontextmanager
async def client_of(server: RealServer, secret: str = PASSWORD) -> AsyncIterator[ObClient]:
    async with ObClient(
        server.url, Credentials(USERNAME, access_key_secret=secret), PROJECT
    ) as client:
        yield client


def restore_request(number: int) -> RestoreRequest:
    return RestoreRequest(
        source_instance_id="ob-src",
        source_tenant_id="t-src",
        target_instance_id=INSTANCE,
        target_tenant_name=f"restored_{number}",
        target_tenant_primary_zone="cn-hangzhou-h",
        restore_time=datetime(2026, 1, 13, 5, 58, 34, tzinfo=UTC),
        tenant_resource=TenantResource(cpu=2, memory=8, unit_num=1),
    )


def counts_sent(seen: list[Seen]) -> list[tuple[str, str]]:
    return [(auth["nonce"], auth.get("nc", "")) for item in seen if (auth := item.authorization)]


async def calls(client: ObClient, first: int) -> None:
    """SEQUENTIAL tenant listings one after another, then IN_FLIGHT restore POSTs at once."""
    for _ in range(SEQUENTIAL):
        page = await client.list_tenants(INSTANCE)
        assert [tenant.tenant_id for tenant in page.data_list] == ["t-real-1"]
    outcomes = await asyncio.gather(
        *(
            client.create_restore_task(INSTANCE, restore_request(first + number))
            for number in range(IN_FLIGHT)
        ),
        return_exceptions=True,
    )
    failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert failures == []


async def test_sequential_then_concurrent_calls_all_succeed_and_no_count_is_reused(
    server: RealServer,
) -> None:
    mark = len(server.seen())
    async with client_of(server) as client:
        await calls(client, 0)
        # Again on the same client: what it learnt about the server (lanes) carries over.
        await calls(client, IN_FLIGHT)
    calls_made = 2 * (SEQUENTIAL + IN_FLIGHT)
    seen = server.seen_since(mark, at_least=calls_made)
    answered = [item for item in seen if item.status == 200]
    assert len(answered) == calls_made
    # Each restore POST reached the CGI exactly once (its requestId is in its target).
    posted = [item.target for item in answered if item.method == "POST"]
    assert len(posted) == len(set(posted)) == 2 * IN_FLIGHT
    sent = counts_sent(seen)
    assert len(sent) == len(set(sent)), "a (nonce, nc) pair reached the server twice"
    assert all(item.status in (200, 401) for item in seen)


async def test_a_cold_burst_of_concurrent_first_calls_all_succeed(server: RealServer) -> None:
    mark = len(server.seen())
    async with client_of(server) as client:
        outcomes = await asyncio.gather(
            *(client.create_restore_task(INSTANCE, restore_request(n)) for n in range(IN_FLIGHT)),
            return_exceptions=True,
        )
    assert [outcome for outcome in outcomes if isinstance(outcome, BaseException)] == []
    seen = server.seen_since(mark, at_least=IN_FLIGHT)
    assert sum(item.status == 200 for item in seen) == IN_FLIGHT
    sent = counts_sent(seen)
    assert len(sent) == len(set(sent))


async def test_a_wrong_secret_is_refused_once_and_later_calls_send_nothing(
    server: RealServer,
) -> None:
    mark = len(server.seen())
    async with client_of(server, secret=f"not-{PASSWORD}") as client:
        with pytest.raises(AuthenticationError, match="refused") as refused:
            await client.list_tenants(INSTANCE)
        later = await asyncio.gather(
            *(client.create_restore_task(INSTANCE, restore_request(n)) for n in range(20)),
            return_exceptions=True,
        )
    assert all(isinstance(outcome, AuthenticationError) for outcome in later)
    assert PASSWORD not in str(refused.value)
    # One request for the challenge, one refused answer; nothing more, for any call.
    seen = server.seen_since(mark, at_least=2)
    assert [item.status for item in seen] == [401, 401]
    assert seen[0].authorization is None
    assert seen[1].authorization is not None


async def test_a_wrong_secret_in_a_cold_burst_costs_each_call_one_request(
    server: RealServer,
) -> None:
    mark = len(server.seen())
    async with client_of(server, secret=f"not-{PASSWORD}") as client:
        outcomes = await asyncio.gather(
            *(client.create_restore_task(INSTANCE, restore_request(n)) for n in range(20)),
            return_exceptions=True,
        )
    assert all(isinstance(outcome, AuthenticationError) for outcome in outcomes)
    seen = server.seen_since(mark, at_least=2)
    assert all(item.status == 401 for item in seen)
    # The first call fetched the challenge; each of the 20 sent one answer, no more.
    assert len(seen) <= 1 + 20


@pytest.mark.parametrize("server", [APACHE_SHORT_NONCE_LIFETIME], indirect=True, ids=setup_name)
async def test_an_expired_nonce_is_answered_stale_and_every_call_succeeds(
    server: RealServer,
) -> None:
    assert APACHE_SHORT_NONCE_LIFETIME.nonce_lifetime is not None
    mark = len(server.seen())
    async with client_of(server) as client:
        await calls(client, 0)
        await asyncio.sleep(APACHE_SHORT_NONCE_LIFETIME.nonce_lifetime + 1)
        await calls(client, IN_FLIGHT)
    seen = server.seen_since(mark, at_least=2 * (SEQUENTIAL + IN_FLIGHT))
    assert sum(item.status == 200 for item in seen) == 2 * (SEQUENTIAL + IN_FLIGHT)
    assert "nonce expired" in server.errors()
    sent = counts_sent(seen)
    assert len(sent) == len(set(sent))


async def send(
    http: aiohttp.ClientSession, server: RealServer, authorization: str | None
) -> DigestResponse:
    headers = {} if authorization is None else {"Authorization": authorization}
    async with http.get(server.url + TENANTS_PATH, headers=headers) as response:
        await response.read()
        return DigestResponse(
            response.status, tuple(response.headers.getall("WWW-Authenticate", ()))
        )


async def finish(
    http: aiohttp.ClientSession, server: RealServer, flow: Flow, response: DigestResponse
) -> DigestResponse:
    """Feed ``response`` to ``flow`` and send what it asks until it ends; its last response."""
    while True:
        try:
            authorization = flow.send(response)
        except StopIteration:
            return response
        response = await send(http, server, authorization)


@pytest.mark.parametrize("server", [APACHE_NC_CHECK], indirect=True, ids=setup_name)
async def test_apache_refusing_overtaken_counts_fails_no_request(server: RealServer) -> None:
    """The issue's failure, in a fixed order: counts overtaken, then their retries racing.

    Apache with AuthDigestNcCheck On keeps one live nonce per client record (opaque):
    a request in a nonce issued before the newest one used is refused.
    """
    auth = DigestAuth(USERNAME, PASSWORD, origin=server.url)
    url = server.url + TENANTS_PATH
    async with aiohttp.ClientSession() as http:
        first = auth.flow("GET", url)
        assert (
            await finish(http, server, first, await send(http, server, next(first)))
        ).status == 200
        overtaken, other, overtaking = (auth.flow("GET", url) for _ in range(3))
        counts = [next(overtaken), next(other), next(overtaking)]  # nc 2, 3, 4 of one nonce
        assert (
            await finish(http, server, overtaking, await send(http, server, counts[2]))
        ).status == 200
        refused = [await send(http, server, counts[0]), await send(http, server, counts[1])]
        assert [response.status for response in refused] == [401, 401]
        # Both answer their refusal; the second one's answer reaches the server first.
        retry_overtaken = overtaken.send(refused[0])
        retry_other = other.send(refused[1])
        other_end = await finish(http, server, other, await send(http, server, retry_other))
        overtaken_end = await finish(
            http, server, overtaken, await send(http, server, retry_overtaken)
        )
    assert (overtaken_end.status, other_end.status) == (200, 200)
    assert not auth.rejected


def http_exchange(http: aiohttp.ClientSession, url: str) -> Exchange:
    async def exchange(authorization: str | None) -> tuple[int, tuple[str, ...]]:
        headers = {"X-Ob-Project-Id": PROJECT}
        if authorization is not None:
            headers["Authorization"] = authorization
        async with http.get(url, headers=headers) as response:
            await response.read()
            return response.status, tuple(response.headers.getall("WWW-Authenticate", ()))

    return exchange


def apache_prober(http: aiohttp.ClientSession, server: RealServer) -> Prober:
    return Prober(
        http_exchange(http, server.url + TENANTS_PATH),
        username=USERNAME,
        password=PASSWORD,
        uri=TENANTS_PATH,
    )


SIMULATOR_PATH = "/api/v2/instances/obxxx/tenants"


@pytest.mark.parametrize("server", [APACHE_NC_CHECK], indirect=True, ids=setup_name)
async def test_the_simulators_strict_mode_answers_counts_as_apache_does(server: RealServer) -> None:
    async with aiohttp.ClientSession() as http:
        apache = apache_prober(http, server)
        await apache_nc_check(apache)
        async with Simulator(nc_check="strict", digest_algorithms=("MD5",)) as sim:
            simulated = Prober(
                http_exchange(http, sim.url + SIMULATOR_PATH),
                username=sim.access_key_id,
                password=sim.config.access_key_secret,
                uri=SIMULATOR_PATH,
            )
            await apache_nc_check(simulated)
    assert simulated.transcript == apache.transcript
    # What the issue found by hand, as Apache answered it here.
    assert apache.transcript[4] == "nc 3 after 4: 401 opaque same, nonce new"
    assert apache.transcript[5] == "nc 5 in the first nonce: 200"


@pytest.mark.parametrize("server", [APACHE_DEFAULT_TABLE], indirect=True, ids=setup_name)
async def test_a_forgotten_client_record_is_answered_as_apache_does(server: RealServer) -> None:
    async with aiohttp.ClientSession() as http:
        apache = apache_prober(http, server)
        await forgotten_record(apache, records=24)
    simulated = Prober(
        StrictServer(max_clients=12).exchange, username=USER, password=STRICT_PASSWORD, uri=TARGET
    )
    await forgotten_record(simulated, records=24)
    assert (
        simulated.transcript
        == apache.transcript
        == ["nc 2 in the forgotten record: 401 stale opaque new, nonce new"]
    )


@pytest.mark.parametrize("server", [APACHE_SHORT_NONCE_LIFETIME], indirect=True, ids=setup_name)
async def test_an_expired_nonce_is_answered_as_apache_does(server: RealServer) -> None:
    lifetime = APACHE_SHORT_NONCE_LIFETIME.nonce_lifetime
    assert lifetime is not None
    async with aiohttp.ClientSession() as http:
        apache = apache_prober(http, server)
        await expired_nonce(apache, lambda: asyncio.sleep(lifetime + 1))
    strict = StrictServer(nonce_ttl=lifetime)

    async def advance() -> None:
        strict.clock.advance(lifetime + 1)

    simulated = Prober(strict.exchange, username=USER, password=STRICT_PASSWORD, uri=TARGET)
    await expired_nonce(simulated, advance)
    assert simulated.transcript == apache.transcript
    assert apache.transcript[-2] == "nc 3, the nonce expired: 401 stale opaque same, nonce new"
