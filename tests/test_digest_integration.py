"""The session's digest handling against real servers: a strict one of ours and httpbin."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from ob_async._http.credentials import Credentials
from ob_async._http.ids import new_request_id
from ob_async._http.session import Session
from ob_async.errors import AuthenticationError
from tests.support.digest_server import StrictDigestServer

PROJECT = "p1"


def session_for(server: StrictDigestServer, secret: str | None = None) -> Session:
    return Session(
        server.url,
        Credentials(server.username, access_key_secret=secret or server.password),
        PROJECT,
    )


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256", "SHA-512-256", "MD5-sess"])
@pytest.mark.parametrize("qop", ["auth", "auth-int"])
async def test_cold_burst_of_200_costs_exactly_one_401(algorithm: str, qop: str) -> None:
    server = StrictDigestServer(algorithm=algorithm, qop=qop, handler_delay=0.001)
    async with server.running(), session_for(server) as session:
        results = await asyncio.gather(
            *(session.call("POST", "/api/v2/x", body=b'{"n":%d}' % i) for i in range(200))
        )
    assert all(envelope.success for envelope in results)
    assert server.counts["401"] == 1
    assert server.counts["challenges"] == 1
    assert server.counts["ok"] == 200
    assert server.replays == 0
    assert len(server.seen) == 200  # every (nonce, nc) distinct


async def test_nonce_expiring_mid_run_recovers_through_stale_without_failures() -> None:
    server = StrictDigestServer(nonce_ttl=3600)
    async with server.running(), session_for(server) as session:
        first = await asyncio.gather(*(session.call("GET", f"/t/{i}") for i in range(50)))
        server.expire_all_nonces()
        second = await asyncio.gather(*(session.call("GET", f"/t/{i}") for i in range(50)))
    assert len(first) == len(second) == 50
    assert server.counts["stale"] >= 1
    assert server.counts["bad_credentials"] == 0
    assert server.counts["ok"] == 100
    assert server.replays == 0


async def test_wrong_secret_fails_every_call_at_once_and_later_calls_send_nothing() -> None:
    server = StrictDigestServer()
    async with server.running(), session_for(server, secret="wrong") as session:
        outcomes = await asyncio.gather(
            *(session.call("GET", "/t") for _ in range(20)), return_exceptions=True
        )
        burst = server.counts["challenges"]
        later = await asyncio.gather(
            *(session.call("GET", "/t") for _ in range(5)), return_exceptions=True
        )
    assert all(isinstance(outcome, AuthenticationError) for outcome in outcomes)
    assert all(isinstance(outcome, AuthenticationError) for outcome in later)
    # One request without credentials; the burst then went out together with the first
    # call's answer, each call refused after at most one request of its own (one more
    # may confirm the refusal); no call retries, and later calls are refused locally.
    assert burst <= 1 + 20 + 1
    assert server.counts["challenges"] == burst
    assert server.counts["bad_credentials"] <= 20 + 1
    assert "wrong" not in str(outcomes[0])


async def test_request_id_and_project_header_reach_the_server() -> None:
    seen: list[tuple[str | None, str | None]] = []
    server = StrictDigestServer()
    original = server.handle

    async def recording(request):  # type: ignore[no-untyped-def]
        seen.append((request.query.get("requestId"), request.headers.get("X-Ob-Project-Id")))
        return await original(request)

    server.handle = recording  # type: ignore[method-assign]
    async with server.running(), session_for(server) as session:
        rid = new_request_id()
        await session.call("GET", "/t", request_id=rid)
    assert seen == [(rid, PROJECT), (rid, PROJECT)]  # the 401 round trip and the answer


# --- a digest server this project did not write: httpbin (Flask + werkzeug) ----------


class _QueryStringAsText:
    """httpbin 0.10 builds the digest-uri with ``'?' + request.query_string``, which is
    bytes under Python 3 (a TypeError whenever the URL has a query, as ours always do).
    This proxy hands it the text; httpbin's own digest verification is untouched."""

    def __getattr__(self, name: str) -> object:
        import flask

        value = getattr(flask.request, name)
        return value.decode("latin-1") if name == "query_string" else value


@pytest.fixture(scope="module")
def httpbin_url() -> Iterator[str]:
    import httpbin.helpers
    from httpbin import app

    httpbin.helpers.request = _QueryStringAsText()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-256"])
@pytest.mark.parametrize("qop", ["auth", "auth-int"])
async def test_httpbin_accepts_our_authorization(
    httpbin_url: str, algorithm: str, qop: str
) -> None:
    path = f"/digest-auth/{qop}/AK/the-secret/{algorithm}"
    session = Session(httpbin_url, Credentials("AK", access_key_secret="the-secret"), PROJECT)
    async with session:
        response = await session.exchange("GET", path, request_id=new_request_id())
        assert response.status == 200, response.body
        assert b'"authenticated": true' in response.body
        # Pre-emptive from now on: one round trip, still accepted.
        again = await session.exchange("GET", path, request_id=new_request_id())
        assert again.status == 200


async def test_httpbin_refuses_a_wrong_secret(httpbin_url: str) -> None:
    path = "/digest-auth/auth/AK/the-secret/MD5"
    session = Session(httpbin_url, Credentials("AK", access_key_secret="nope"), PROJECT)
    async with session:
        response = await session.exchange("GET", path, request_id=new_request_id())
    assert response.status == 401
