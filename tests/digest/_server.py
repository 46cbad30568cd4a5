"""A fake Digest server for flow tests: verifies with the reference, tracks every (nonce, nc)."""

from __future__ import annotations

import itertools

from ob_async._digest import DigestResponse

from . import _reference as ref


class FakeDigestServer:
    """Issues challenges, checks Authorization values, answers stale for retired nonces.

    ``log`` holds the (nonce, nc) of every request that carried credentials, in the
    order the requests arrived. A repeated (nonce, nc) is refused as a replay.
    """

    def __init__(
        self,
        *,
        username: str = "AK-test",
        password: str = "right password",
        realm: str = "OceanBase Cloud",
        algorithm: str = "SHA-256",
        qop: str | None = "auth, auth-int",
        opaque: str | None = "opaque-value",
    ) -> None:
        self.username = username
        self.password = password
        self.realm = realm
        self.algorithm = algorithm
        self.qop = qop
        self.opaque = opaque
        self._serial = itertools.count(1)
        self.nonce = self.new_nonce()
        self.valid = {self.nonce}
        self.log: list[tuple[str, str | None]] = []
        self.seen: set[tuple[str, str | None]] = set()
        self.requests = 0

    def new_nonce(self) -> str:
        return f"nonce-{next(self._serial)}"

    def rotate(self) -> None:
        """Retire every nonce: the next request with one of them is answered stale=true."""
        self.nonce = self.new_nonce()
        self.valid = {self.nonce}

    def forget(self) -> None:
        """Retire every nonce but answer like a restarted server: 401 without stale."""
        self.rotate()
        self.valid = set()

    def challenge(self, *, stale: bool = False) -> str:
        parts = [f'realm="{self.realm}"', f'nonce="{self.nonce}"', f"algorithm={self.algorithm}"]
        if self.qop is not None:
            parts.append(f'qop="{self.qop}"')
        if self.opaque is not None:
            parts.append(f'opaque="{self.opaque}"')
        if stale:
            parts.append("stale=true")
        return "Digest " + ", ".join(parts)

    def unauthorized(self, *, stale: bool = False) -> DigestResponse:
        self.valid.add(self.nonce)
        return DigestResponse(401, ('Basic realm="other"', self.challenge(stale=stale)))

    def handle(
        self, method: str, uri: str, authorization: str | None, body: bytes = b""
    ) -> DigestResponse:
        self.requests += 1
        if authorization is None:
            return self.unauthorized()
        fields = ref.parse_authorization(authorization)
        pair = (fields["nonce"], fields.get("nc"))
        self.log.append(pair)
        if fields["nonce"] not in self.valid:
            return self.unauthorized(stale=bool(self.valid))
        if pair in self.seen:
            return self.unauthorized()
        self.seen.add(pair)
        expected = ref.response(
            self.algorithm,
            username=self.username,
            password=self.password,
            realm=self.realm,
            nonce=fields["nonce"],
            method=method,
            uri=uri,
            qop=fields.get("qop"),
            nc=fields.get("nc"),
            cnonce=fields.get("cnonce"),
            body=body,
        )
        ok = (
            fields["username"] == self.username
            and fields["uri"] == uri
            and fields.get("opaque") == self.opaque
            and fields["response"] == expected
        )
        return DigestResponse(200) if ok else self.unauthorized()
