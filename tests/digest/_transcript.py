"""Scripted digest exchanges, each answer written down as a client sees it.

The same script runs against Debian's Apache httpd (``AuthDigestNcCheck On``) and
the simulator's strict mode, and the two transcripts must be equal: that is how the
simulator is held to answering as Apache does. Authorization values are computed
here from RFC 7616 (``_reference``), so the client's engine plays no part.

A line of a transcript is ``200`` or ``401`` with what the challenge says compared to
the request: ``stale``, whether its ``opaque`` is the one the request carried
(``same``), one seen before (``known``) or a new one (``new``), and whether the
nonce is new.
"""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable

import attrs

from . import _reference as ref

Exchange = Callable[[str | None], Awaitable[tuple[int, tuple[str, ...]]]]
"""Sends one request with this Authorization (or none): its status and WWW-Authenticate."""

_PARAM = re.compile(r'(\w+)=(?:"([^"]*)"|([^\s,]+))')


@attrs.frozen
class Challenge:
    nonce: str
    opaque: str | None
    realm: str
    stale: bool


def parse_challenge(value: str) -> Challenge:
    params = {
        match.group(1).lower(): match.group(2) if match.group(2) is not None else match.group(3)
        for match in _PARAM.finditer(value)
    }
    return Challenge(
        params["nonce"],
        params.get("opaque"),
        params["realm"],
        params.get("stale", "false").lower() == "true",
    )


class Prober:
    """Sends hand-made Authorization values (MD5, qop=auth) and writes the transcript."""

    def __init__(self, exchange: Exchange, *, username: str, password: str, uri: str) -> None:
        self._exchange = exchange
        self._username = username
        self._password = password
        self._uri = uri
        self._opaques: set[str | None] = set()
        self._nonces: set[str] = set()
        self.transcript: list[str] = []

    async def fresh(self, label: str) -> Challenge:
        """A request without credentials; its challenge."""
        challenge = await self._send(label, None, None)
        assert challenge is not None, f"{label}: a request without credentials was accepted"
        return challenge

    async def send(
        self,
        label: str,
        challenge: Challenge,
        nc: int,
        *,
        password: str | None = None,
        opaque: str | None = None,
    ) -> Challenge | None:
        """A request answering ``challenge`` with count ``nc``; the new challenge if refused."""
        sent_opaque = challenge.opaque if opaque is None else opaque
        cnonce = os.urandom(8).hex()
        response = ref.response(
            "MD5",
            username=self._username,
            password=self._password if password is None else password,
            realm=challenge.realm,
            nonce=challenge.nonce,
            method="GET",
            uri=self._uri,
            qop="auth",
            nc=f"{nc:08x}",
            cnonce=cnonce,
        )
        header = (
            f'Digest username="{self._username}", realm="{challenge.realm}", '
            f'nonce="{challenge.nonce}", uri="{self._uri}", algorithm=MD5, '
            f'response="{response}", qop=auth, nc={nc:08x}, cnonce="{cnonce}"'
        )
        if sent_opaque is not None:
            header += f', opaque="{sent_opaque}"'
        return await self._send(label, header, sent_opaque)

    async def _send(
        self, label: str, header: str | None, sent_opaque: str | None
    ) -> Challenge | None:
        status, values = await self._exchange(header)
        if status != 401:
            self.transcript.append(f"{label}: {status}")
            return None
        digest = [value for value in values if value.lower().startswith("digest ")]
        assert len(digest) == 1, f"{label}: expected one Digest challenge, got {values}"
        challenge = parse_challenge(digest[0])
        if challenge.opaque == sent_opaque and header is not None:
            opaque = "same"
        elif challenge.opaque in self._opaques:
            opaque = "known"
        else:
            opaque = "new"
        nonce = "known" if challenge.nonce in self._nonces else "new"
        self._opaques.add(challenge.opaque)
        self._nonces.add(challenge.nonce)
        stale = " stale" if challenge.stale else ""
        self.transcript.append(f"{label}: 401{stale} opaque {opaque}, nonce {nonce}")
        return challenge


async def apache_nc_check(prober: Prober) -> None:
    """What the issue found by hand, and what probing found beyond (docs/digest.md)."""
    first = await prober.fresh("no credentials")
    for nc in (1, 2, 4):
        assert await prober.send(f"nc {nc}", first, nc) is None
    second = await prober.send("nc 3 after 4", first, 3)
    assert second is not None
    await prober.send("nc 5 in the first nonce", first, 5)
    await prober.send("nc 1 in the second nonce", second, 1)
    await prober.send("nc 6 in the first nonce, now older", first, 6)
    await prober.send("nc 2 in the second nonce", second, 2)
    await prober.send("nc 3, wrong password", second, 3, password="not the password")
    await prober.send("nc 3, right password", second, 3)
    third = await prober.send("nc 7 in the first nonce", first, 7)
    fourth = await prober.send("nc 8 in the first nonce", first, 8)
    assert third is not None
    assert fourth is not None
    await prober.send("nc 1 in the fourth nonce", fourth, 1)
    await prober.send("nc 1 in the third nonce, issued before the fourth", third, 1)
    made_up = attrs.evolve(first, nonce=first.nonce[:-8] + "00000000")
    await prober.send("a made-up nonce under the first opaque", made_up, 1)
    other = await prober.fresh("no credentials again")
    await prober.send(
        "the other record's nonce under the first opaque", other, 1, opaque=first.opaque
    )
    await prober.send("nc 1 in the other record", other, 1)


async def forgotten_record(prober: Prober, records: int) -> None:
    """A record pushed out of the server's table by ``records`` newer ones."""
    first = await prober.fresh("no credentials")
    await prober.send("nc 1", first, 1)
    for number in range(records):
        await prober.fresh(f"another record {number}")
    prober.transcript.clear()
    await prober.send("nc 2 in the forgotten record", first, 2)


async def expired_nonce(prober: Prober, wait: Callable[[], Awaitable[None]]) -> None:
    """A nonce used past its lifetime (``wait`` lets it pass), then the new one."""
    first = await prober.fresh("no credentials")
    await prober.send("nc 1", first, 1)
    await prober.send("nc 2", first, 2)
    await wait()
    second = await prober.send("nc 3, the nonce expired", first, 3)
    assert second is not None
    await prober.send("nc 1 in the new nonce", second, 1)
