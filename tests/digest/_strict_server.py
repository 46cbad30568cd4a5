"""The simulator's strict verifier (``NcCheck.STRICT``) as a synchronous server for engine tests.

It answers as Debian's Apache httpd with ``AuthDigestNcCheck On`` does (the
transcripts in test_real_servers.py hold the two together) and shares no code with
the client's engine.
"""

from __future__ import annotations

from ob_async._digest import DigestResponse
from ob_async.simulator._clock import ManualClock
from ob_async.simulator._digest_server import AuthOutcome, DigestVerifier, NcCheck

from . import _reference as ref

TARGET = "/api/v2/instances/ob-1/tenants"
USER, PASSWORD, REALM = "AK-strict", "strict secret", "strict realm"


class StrictServer:
    """The simulator's strict verifier behind a synchronous handle(); logs every (nonce, nc)."""

    def __init__(self, *, max_clients: int = 100_000, nonce_ttl: float = 300) -> None:
        self.clock = ManualClock()
        self.verifier = DigestVerifier(
            users={USER: PASSWORD},
            realm=REALM,
            algorithms=("MD5",),
            qops=("auth",),
            userhash=False,
            nonce_ttl=nonce_ttl,
            clock=self.clock,
            nc_check=NcCheck.STRICT,
            max_clients=max_clients,
        )
        self.counts: list[tuple[str, str]] = []
        self.requests = 0

    def handle(self, authorization: str | None, target: str = TARGET) -> DigestResponse:
        self.requests += 1
        if authorization is not None:
            fields = ref.parse_authorization(authorization)
            self.counts.append((fields["nonce"], fields["nc"]))
        result = self.verifier.verify("GET", target, authorization, b"")
        if result.outcome is AuthOutcome.OK:
            return DigestResponse(200)
        stale = result.outcome is AuthOutcome.STALE
        return DigestResponse(
            401, tuple(self.verifier.challenges(stale=stale, client=result.client))
        )

    async def exchange(self, authorization: str | None) -> tuple[int, tuple[str, ...]]:
        """:meth:`handle` for a :class:`~tests.digest._transcript.Prober`."""
        response = self.handle(authorization)
        return response.status, response.www_authenticate
