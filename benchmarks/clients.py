"""The five clients compared, behind one small interface: ``open``, ``call``, ``close``.

- ``raw-aiohttp`` (the floor): aiohttp with a hand-computed digest header, one
  challenge taken up front, then pre-emptive digest on that nonce with an
  incrementing nc; ``json.dumps`` for the body, ``resp.json()`` for the answer.
- ``aiohttp-middleware``: aiohttp with ``aiohttp.DigestAuthMiddleware``.
- ``httpx``: ``httpx.AsyncClient`` with ``httpx.DigestAuth``.
- ``ob-async-create``: ``ObClient.create_restore_task`` (one attempt).
- ``ob-async-submit``: ``ObClient.submit_restore`` (retry wrapper, exactly-once
  bookkeeping; no faults, so one attempt).

Every call is one restore POST with a unique target tenant name and a fresh
UUID requestId; ``call`` returns True when the server accepted it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import aiohttp

try:
    import httpx
except ImportError:  # httpx comes with the bench extra: pip install -e '.[bench]'
    httpx = None

from ob_async import ObClient
from ob_async._http.config import ClientConfig
from ob_async._http.credentials import Credentials
from ob_async._wire.models import RestoreMode, RestoreObjectType, RestoreRequest, TenantResource
from ob_async.errors import ObError

from .common import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    PROJECT_ID,
    RESTORE_BODY,
    RESTORE_PATH,
    SOURCE_INSTANCE,
    SOURCE_TENANT,
    TARGET_INSTANCE,
    unique_name,
)

ALL_VARIANTS = (
    "raw-aiohttp",
    "aiohttp-middleware",
    "httpx",
    "ob-async-create",
    "ob-async-submit",
)
MISSING = (() if httpx is not None else ("httpx",)) + (
    () if hasattr(aiohttp, "DigestAuthMiddleware") else ("aiohttp-middleware",)
)
"""Clients that cannot run here: httpx not installed, or aiohttp older than 3.12."""
VARIANTS = tuple(variant for variant in ALL_VARIANTS if variant not in MISSING)
SLOW_CLIENTS = {"httpx": 5}
"""Clients whose measured windows are this many times shorter: CPU is per call, and
httpx's tenfold cost would otherwise take most of a run's time."""
FLOOR = "raw-aiohttp"
PEERS = ("aiohttp-middleware", "httpx")
OURS = ("ob-async-create", "ob-async-submit")

_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]+))')
_HASHES = {"MD5": hashlib.md5, "SHA-256": hashlib.sha256}


class Client:
    name = ""

    def __init__(self, url: str, connections: int) -> None:
        self.url = url
        self.connections = connections

    async def open(self) -> None:
        raise NotImplementedError

    async def call(self) -> bool:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def fresh_pool(self) -> None:
        """Drop every pooled connection, keeping what the client knows of digest."""
        raise NotImplementedError


def _headers() -> dict[str, str]:
    return {"X-Ob-Project-Id": PROJECT_ID, "Content-Type": "application/json"}


def _body() -> str:
    return json.dumps({**RESTORE_BODY, "targetTenantName": unique_name()})


class PreemptiveDigest:
    """RFC 7616 by hand: one nonce, incrementing nc, qop=auth."""

    def __init__(self, challenge: str) -> None:
        params = {m.group(1): m.group(2) or m.group(3) for m in _PARAM.finditer(challenge)}
        self.realm = params["realm"]
        self.nonce = params["nonce"]
        self.opaque = params.get("opaque")
        self.algorithm = params.get("algorithm", "MD5").upper()
        self.hash = _HASHES[self.algorithm]
        self.ha1 = self.hash(
            f"{ACCESS_KEY_ID}:{self.realm}:{ACCESS_KEY_SECRET}".encode()
        ).hexdigest()
        self.counter = itertools.count(1)
        self.cnonce = os.urandom(8).hex()

    def header(self, method: str, uri: str) -> str:
        nc = f"{next(self.counter):08x}"
        ha2 = self.hash(f"{method}:{uri}".encode()).hexdigest()
        response = self.hash(
            f"{self.ha1}:{self.nonce}:{nc}:{self.cnonce}:auth:{ha2}".encode()
        ).hexdigest()
        opaque = f', opaque="{self.opaque}"' if self.opaque is not None else ""
        return (
            f'Digest username="{ACCESS_KEY_ID}", realm="{self.realm}", nonce="{self.nonce}", '
            f'uri="{uri}", algorithm={self.algorithm}, qop=auth, nc={nc}, '
            f'cnonce="{self.cnonce}", response="{response}"{opaque}'
        )


class RawAiohttp(Client):
    name = "raw-aiohttp"

    async def open(self) -> None:
        self.http = self._pool()
        # One challenge up front (an unauthenticated request), then pre-emptive digest.
        uri = f"{RESTORE_PATH}?requestId={uuid.uuid4()}"
        async with self.http.post(self.url + uri, data=b"{}", headers=_headers()) as response:
            await response.read()
            if response.status != 401:
                raise RuntimeError(f"expected a challenge, got HTTP {response.status}")
            self.digest = PreemptiveDigest(response.headers["WWW-Authenticate"])

    async def call(self) -> bool:
        uri = f"{RESTORE_PATH}?requestId={uuid.uuid4()}"
        headers = _headers()
        headers["Authorization"] = self.digest.header("POST", uri)
        async with self.http.post(self.url + uri, data=_body(), headers=headers) as response:
            document = await response.json()
            return response.status == 200 and document["success"] is True

    async def close(self) -> None:
        await self.http.close()

    def _pool(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self.connections))

    async def fresh_pool(self) -> None:
        await self.http.close()
        self.http = self._pool()


class AiohttpMiddleware(RawAiohttp):
    name = "aiohttp-middleware"

    async def open(self) -> None:
        self.middleware = aiohttp.DigestAuthMiddleware(ACCESS_KEY_ID, ACCESS_KEY_SECRET)
        self.http = self._pool()

    def _pool(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.connections), middlewares=(self.middleware,)
        )

    async def call(self) -> bool:
        uri = f"{RESTORE_PATH}?requestId={uuid.uuid4()}"
        async with self.http.post(self.url + uri, data=_body(), headers=_headers()) as response:
            document = await response.json()
            return response.status == 200 and document["success"] is True


class Httpx(Client):
    name = "httpx"

    async def open(self) -> None:
        self.http = httpx.AsyncClient(
            auth=httpx.DigestAuth(ACCESS_KEY_ID, ACCESS_KEY_SECRET),
            limits=httpx.Limits(
                max_connections=self.connections, max_keepalive_connections=self.connections
            ),
            timeout=60.0,
        )

    async def call(self) -> bool:
        uri = f"{RESTORE_PATH}?requestId={uuid.uuid4()}"
        response = await self.http.post(self.url + uri, content=_body(), headers=_headers())
        document = response.json()
        return response.status_code == 200 and document["success"] is True

    async def close(self) -> None:
        await self.http.aclose()


TEMPLATE_REQUEST = RestoreRequest(
    source_instance_id=SOURCE_INSTANCE,
    source_tenant_id=SOURCE_TENANT,
    target_instance_id=TARGET_INSTANCE,
    target_tenant_name="template",
    target_tenant_primary_zone="z1",
    restore_time=datetime(2026, 1, 13, 5, 58, 34, tzinfo=UTC),
    tenant_resource=TenantResource(cpu=1, memory=4, unit_num=1),
    target_tenant_description="benchmark",
    from_remote=False,
    restore_object_type=RestoreObjectType.TENANT,
    restore_mode=RestoreMode.FROM_BACKUP_SET,
)


def new_request() -> RestoreRequest:
    """A restore request as an application builds one (validated model, unique name)."""
    fields: dict[str, Any] = {
        "source_instance_id": SOURCE_INSTANCE,
        "source_tenant_id": SOURCE_TENANT,
        "target_instance_id": TARGET_INSTANCE,
        "target_tenant_name": unique_name(),
        "target_tenant_primary_zone": "z1",
        "restore_time": TEMPLATE_REQUEST.restore_time,
        "tenant_resource": TEMPLATE_REQUEST.tenant_resource,
        "target_tenant_description": "benchmark",
    }
    return RestoreRequest(**fields)


class ObAsyncCreate(Client):
    name = "ob-async-create"

    async def open(self) -> None:
        self.client = ObClient(
            self.url,
            Credentials(ACCESS_KEY_ID, access_key_secret=ACCESS_KEY_SECRET),
            PROJECT_ID,
            config=ClientConfig(max_connections=self.connections),
        )
        await self.client.__aenter__()

    async def call(self) -> bool:
        try:
            await self.client.create_restore_task(TARGET_INSTANCE, new_request())
        except ObError:
            return False
        return True

    async def close(self) -> None:
        await self.client.close()

    async def fresh_pool(self) -> None:
        # A session reopened keeps its digest state; only the connection pool is new.
        await self.client.session.close()
        await self.client.session.open()


class ObAsyncSubmit(ObAsyncCreate):
    name = "ob-async-submit"

    async def call(self) -> bool:
        submission = await self.client.submit_restore(TARGET_INSTANCE, new_request())
        return submission.ok


CLIENTS: dict[str, type[Client]] = {
    cls.name: cls for cls in (RawAiohttp, AiohttpMiddleware, Httpx, ObAsyncCreate, ObAsyncSubmit)
}
