"""Test helpers for the simulator: a tiny reference digest client and request helpers.

The digest computation here is written for these tests from RFC 7616 and
shares nothing with ``ob_async._digest`` or ``ob_async.simulator._digest_server``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from typing import Any

import aiohttp
import attrs

from ob_async.simulator import Simulator

SEED_BODY_TEXT = """{
"sourceInstanceId": "obxxx",
"tenantResource": {
"cpu": 1,
"memory": 4,
"unitNum": 1
},
"fromRemote": false,
"sourceTenantId": "txxx",
"restoreTime": "2026-01-13T05:58:34Z",
"restoreObjectType": "tenant",
"restoreObjects": [],
"restoreMode": "from_backup_set",
"targetInstanceId": "obxxx",
"targetTenantName": "RestoredTenant001",
"targetTenantDescription": "Test",
"targetTenantPrimaryZone": "cn-shanghai-e"
}"""
"""The seed's request body, verbatim."""

RESTORE_PATH = "/api/v2/instances/{instance}/backup/restore"

_HASH_NAMES = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}
_CHALLENGE_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]+))')


def seed_body(**changes: Any) -> dict[str, Any]:
    """The seed body as a dict, with top-level fields replaced (None removes one)."""
    body: dict[str, Any] = json.loads(SEED_BODY_TEXT)
    for key, value in changes.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def restore_body(name: str, **changes: Any) -> dict[str, Any]:
    """A valid restore from obxxx/txxx into ob-dr-east under ``name``."""
    return seed_body(**{"targetInstanceId": "ob-dr-east", "targetTenantName": name, **changes})


def digest_hash(algorithm: str, text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.new(_HASH_NAMES[algorithm.removesuffix("-sess")], data).hexdigest()


def parse_challenge(value: str) -> dict[str, str]:
    assert value.startswith("Digest "), value
    return {
        match.group(1): match.group(2) if match.group(2) is not None else match.group(3)
        for match in _CHALLENGE_PARAM.finditer(value[len("Digest ") :])
    }


def authorization(
    challenge: dict[str, str],
    *,
    method: str,
    uri: str,
    user: str,
    password: str,
    body: bytes = b"",
    nc: int = 1,
    cnonce: str = "0a4f113b",
    qop: str | None = "auth",
    algorithm: str | None = None,
    userhash: bool = False,
    response: str | None = None,
) -> str:
    """An RFC 7616 Authorization value answering ``challenge``."""
    algorithm = algorithm or challenge.get("algorithm", "MD5")
    realm, nonce = challenge["realm"], challenge["nonce"]
    ha1 = digest_hash(algorithm, f"{user}:{realm}:{password}")
    if algorithm.endswith("-sess"):
        ha1 = digest_hash(algorithm, f"{ha1}:{nonce}:{cnonce}")
    a2 = f"{method}:{uri}"
    if qop == "auth-int":
        a2 += ":" + digest_hash(algorithm, body)
    ha2 = digest_hash(algorithm, a2)
    nc_text = f"{nc:08x}"
    if response is None:
        if qop is None:
            response = digest_hash(algorithm, f"{ha1}:{nonce}:{ha2}")
        else:
            response = digest_hash(algorithm, f"{ha1}:{nonce}:{nc_text}:{cnonce}:{qop}:{ha2}")
    name = digest_hash(algorithm, f"{user}:{realm}") if userhash else user
    parts = [
        f'username="{name}"',
        f'realm="{realm}"',
        f'nonce="{nonce}"',
        f'uri="{uri}"',
        f"algorithm={algorithm}",
        f'response="{response}"',
    ]
    if "opaque" in challenge:
        parts.append(f'opaque="{challenge["opaque"]}"')
    if qop is not None:
        parts += [f"qop={qop}", f"nc={nc_text}", f'cnonce="{cnonce}"']
    if userhash:
        parts.append("userhash=true")
    return "Digest " + ", ".join(parts)


@attrs.define
class Reply:
    status: int
    headers: Any
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def challenges(self) -> list[dict[str, str]]:
        return [parse_challenge(value) for value in self.headers.getall("WWW-Authenticate", [])]


class ApiClient:
    """Pre-emptive digest against a simulator: one challenge, then an incrementing nc."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        sim: Simulator,
        *,
        algorithm: str | None = None,
        qop: str | None = "auth",
        password: str | None = None,
    ) -> None:
        self.session = session
        self.sim = sim
        self.algorithm = algorithm
        self.qop = qop
        self.password = password if password is not None else sim.config.access_key_secret
        self.challenge: dict[str, str] | None = None
        self._nc = itertools.count(1)

    async def fetch_challenge(self) -> dict[str, str]:
        reply = await raw_call(self.session, self.sim, "GET", "/api/v2/instances/obxxx/tenants")
        assert reply.status == 401, reply.text
        return self._pick(reply)

    def _pick(self, reply: Reply) -> dict[str, str]:
        for challenge in reply.challenges:
            if self.algorithm is None or challenge["algorithm"] == self.algorithm:
                self.challenge = challenge
                self._nc = itertools.count(1)
                return challenge
        raise AssertionError(f"no {self.algorithm} challenge in {reply.challenges}")

    def header(self, method: str, uri: str, body: bytes = b"") -> str:
        assert self.challenge is not None
        return authorization(
            self.challenge,
            method=method,
            uri=uri,
            user=self.sim.access_key_id,
            password=self.password,
            body=body,
            nc=next(self._nc),
            qop=self.qop,
            algorithm=self.algorithm,
        )

    async def call(
        self,
        method: str,
        uri: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
        project: str | None = "p1",
    ) -> Reply:
        """One authenticated request; re-authenticates once on a stale nonce."""
        if self.challenge is None:
            await self.fetch_challenge()
        data = raw if raw is not None else b"" if body is None else json.dumps(body).encode()
        for _ in range(2):
            sent = {"Authorization": self.header(method, uri, data)}
            if project is not None:
                sent["X-Ob-Project-Id"] = project
            if body is not None:
                sent["Content-Type"] = "application/json"
            sent.update(headers or {})
            reply = await raw_call(self.session, self.sim, method, uri, data=data, headers=sent)
            if reply.status == 401 and any(c.get("stale") == "true" for c in reply.challenges):
                self._pick(reply)
                continue
            return reply
        return reply

    async def restore(
        self, body: Any, *, instance: str | None = None, request_id: str = "r1"
    ) -> Reply:
        target = instance or (body.get("targetInstanceId") if isinstance(body, dict) else "obxxx")
        uri = RESTORE_PATH.format(instance=target) + f"?requestId={request_id}"
        return await self.call("POST", uri, body=body)


async def raw_call(
    session: aiohttp.ClientSession,
    sim: Simulator,
    method: str,
    uri: str,
    *,
    data: bytes = b"",
    headers: dict[str, str] | None = None,
) -> Reply:
    async with session.request(
        method, sim.url + uri, data=data or None, headers=headers or {}
    ) as response:
        return Reply(response.status, response.headers, await response.text())
