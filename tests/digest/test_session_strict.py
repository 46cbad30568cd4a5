"""The session against Apache-style strict nonce counting, over HTTP, with requests overtaking.

The server is the simulator's strict verifier (tests/digest/_strict_server.py) behind
an aiohttp handler that holds each request a random moment before judging it, so
that calls in flight together reach the verifier in any order; its table of client
records is small or large. The session's lanes, waits and new starts are what keep
every call whole.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from ob_async._http.credentials import Credentials
from ob_async._http.session import Session
from ob_async.errors import AuthenticationError

from ._strict_server import PASSWORD, USER, StrictServer

PATH = "/api/v2/instances/ob-1/tenants"


@asynccontextmanager
async def serving(strict: StrictServer, seed: int) -> AsyncIterator[str]:
    jitter = random.Random(seed)

    async def handle(request: web.Request) -> web.Response:
        await asyncio.sleep(jitter.random() * 0.004)
        answer = strict.handle(request.headers.get("Authorization"), request.raw_path)
        body = {"success": answer.status == 200, "data": {}, "requestId": "r"}
        if answer.status != 200:
            body = {"success": False, "errorCode": "Unauthorized", "requestId": "r"}
        response = web.Response(
            status=answer.status, body=json.dumps(body), content_type="application/json"
        )
        for challenge in answer.www_authenticate:
            response.headers.add("WWW-Authenticate", challenge)
        return response

    app = web.Application()
    app.router.add_get(PATH, handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("max_clients", [2, 12, 100_000])
async def test_sequential_then_concurrent_calls_all_succeed(max_clients: int) -> None:
    strict = StrictServer(max_clients=max_clients)
    async with (
        serving(strict, seed=max_clients) as url,
        Session(url, Credentials(USER, access_key_secret=PASSWORD), "p") as session,
    ):
        for _ in range(5):
            await session.call("GET", PATH)
        for _ in range(2):
            outcomes = await asyncio.gather(
                *(session.call("GET", PATH) for _ in range(50)), return_exceptions=True
            )
            assert [outcome for outcome in outcomes if isinstance(outcome, BaseException)] == []
        auth = session._auth
    assert auth.strict_counts
    assert len(strict.counts) == len(set(strict.counts))


async def test_a_wrong_secret_is_refused_at_once() -> None:
    strict = StrictServer()
    async with (
        serving(strict, seed=1) as url,
        Session(url, Credentials(USER, access_key_secret="not " + PASSWORD), "p") as session,
    ):
        outcomes = await asyncio.gather(
            *(session.call("GET", PATH) for _ in range(20)), return_exceptions=True
        )
        later = await asyncio.gather(
            *(session.call("GET", PATH) for _ in range(5)), return_exceptions=True
        )
    assert all(isinstance(outcome, AuthenticationError) for outcome in (*outcomes, *later))
    assert strict.requests <= 1 + 20
