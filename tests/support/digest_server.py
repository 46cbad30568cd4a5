"""A strict digest-authenticating aiohttp.web server, written for the tests.

Independent of ob_async._digest on purpose: it computes RFC 7616 responses from
the formulas, refuses any replayed (nonce, nc), expires nonces with
``stale=true``, and counts everything the tests assert on.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

HASHES = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}
_PARAM = re.compile(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))')


def h(algorithm: str, data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.new(HASHES[algorithm.removesuffix("-sess")], raw).hexdigest()


class StrictDigestServer:
    def __init__(
        self,
        *,
        username: str = "AK",
        password: str = "secret",
        realm: str = "oceanbase-cloud",
        algorithm: str = "MD5",
        qop: str = "auth",
        nonce_ttl: float = 300.0,
        handler_delay: float = 0.0,
    ) -> None:
        self.username = username
        self.password = password
        self.realm = realm
        self.algorithm = algorithm
        self.qop = qop
        self.nonce_ttl = nonce_ttl
        self.handler_delay = handler_delay
        self.nonces: dict[str, float] = {}
        self.seen: set[tuple[str, str]] = set()
        self.counts: Counter[str] = Counter()
        self.replays = 0
        self.url = ""

    def challenge(self, *, stale: bool = False) -> str:
        nonce = secrets.token_urlsafe(24)
        self.nonces[nonce] = time.monotonic()
        self.counts["challenges"] += 1
        if stale:
            self.counts["stale"] += 1
        return (
            f'Digest realm="{self.realm}", qop="{self.qop}", algorithm={self.algorithm}, '
            f'nonce="{nonce}", opaque="opaque-1"' + (", stale=true" if stale else "")
        )

    def unauthorized(self, *, stale: bool = False) -> web.Response:
        self.counts["401"] += 1
        return web.json_response(
            {"success": False, "errorCode": "Unauthorized", "errorMessage": "digest required"},
            status=401,
            headers={"WWW-Authenticate": self.challenge(stale=stale)},
        )

    async def handle(self, request: web.Request) -> web.Response:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Digest "):
            return self.unauthorized()
        params = {
            m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _PARAM.finditer(header[7:])
        }
        nonce = params.get("nonce", "")
        issued = self.nonces.get(nonce)
        if issued is None:
            return self.unauthorized()
        body = await request.read()
        algorithm = params.get("algorithm", "MD5")
        ha1 = h(algorithm, f"{params.get('username')}:{self.realm}:{self.password}")
        if algorithm.endswith("-sess"):
            ha1 = h(algorithm, f"{ha1}:{nonce}:{params.get('cnonce')}")
        qop = params.get("qop")
        a2 = f"{request.method}:{params.get('uri')}"
        if qop == "auth-int":
            a2 += ":" + h(algorithm, body)
        expected = h(
            algorithm,
            f"{ha1}:{nonce}:{params.get('nc')}:{params.get('cnonce')}:{qop}:{h(algorithm, a2)}",
        )
        if (
            params.get("response") != expected
            or params.get("username") != self.username
            or params.get("uri") != request.path_qs
        ):
            self.counts["bad_credentials"] += 1
            return self.unauthorized()
        key = (nonce, params.get("nc", ""))
        if key in self.seen:
            self.replays += 1
            return self.unauthorized()
        if time.monotonic() - issued > self.nonce_ttl:
            return self.unauthorized(stale=True)
        self.seen.add(key)
        self.counts["ok"] += 1
        if self.handler_delay:
            await asyncio.sleep(self.handler_delay)
        return web.Response(
            body=json.dumps(
                {"success": True, "data": {}, "requestId": request.query.get("requestId")}
            ),
            content_type="application/json",
        )

    def expire_all_nonces(self) -> None:
        for nonce in self.nonces:
            self.nonces[nonce] = -1e9

    @asynccontextmanager
    async def running(self) -> AsyncIterator[StrictDigestServer]:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            await runner.cleanup()


def stats(server: StrictDigestServer) -> dict[str, Any]:
    return {"counts": dict(server.counts), "replays": server.replays}
