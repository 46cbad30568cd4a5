"""Server-side HTTP Digest authentication, written from RFC 7616 alone.

This module deliberately shares no code with the client's digest engine
(``ob_async._digest``): a misreading of the RFC must not be able to hide on
both sides of the wire.

Pieces:

- :meth:`DigestVerifier.challenges` issues a nonce and returns one
  ``WWW-Authenticate`` value per offered algorithm, strongest first
  (RFC 7616 §3.7), all with the same nonce and ``opaque``, ``qop`` when
  offered, ``userhash=true`` when enabled, ``stale=true`` when asked.
- :meth:`DigestVerifier.verify` checks an ``Authorization`` header and returns
  an :class:`AuthResult`.

Nonces are ``hex(issue-time-ms | 8 random bytes | HMAC-SHA-256 tag)`` under a
per-process key, so a genuine nonce is recognised (and its age known) even
after its state was dropped, and a forged one is told apart from an expired
one. A nonce is valid for ``nonce_ttl`` seconds after issue.

Verification order: the header must parse (else ``MALFORMED``); scheme,
realm, opaque (strict counting: see below), uri (= the request-target, path and
query as sent), algorithm and qop must be the offered ones (else
``BAD_CREDENTIALS``); the nonce must be
genuine (else ``UNKNOWN_NONCE``); the user (``username``, ``username*`` per
RFC 7616 §3.4.4, or a userhash when offered) and the response must be right
(else ``BAD_CREDENTIALS``); only then is the nonce's age checked (too old →
``STALE``: answered with ``stale=true``) and the nonce count recorded. A
count already used with that nonce → ``REPLAY``. Counts may arrive out of
order: each nonce keeps the highest count seen and a bitmap of the
:data:`NC_WINDOW` counts below it, so memory per nonce is bounded; a count
further back than that window is refused as a replay. Expired nonces are
pruned as new ones are issued, and at most ``max_nonces`` are tracked (the
oldest beyond that are forgotten; using one then gets ``STALE``).

Two stricter modes (``nc_check``):

- :attr:`NcCheck.ORDERED`: a count must be above the highest seen with its
  nonce (``OUT_OF_ORDER`` otherwise, answered like a replay: a plain 401 with a
  new nonce). Any number of nonces may be in use at once, under one ``opaque``.
- :attr:`NcCheck.STRICT`: what Debian's Apache httpd 2.4 ``mod_auth_digest``
  with ``AuthDigestNcCheck On`` does, as probed (docs/digest.md). Every
  challenge to a request without credentials opens a *client record*, named by
  a new ``opaque``; a refusal's or a stale answer's challenge stays in the
  request's record. A record uses one nonce at a time: a request in a nonce of
  the record issued later than the one it uses now is taken at any count, and
  that nonce becomes the one used; in the nonce used now a count must be above
  the highest taken; in an earlier nonce nothing is taken (``OUT_OF_ORDER``:
  a plain 401, a new nonce, the same opaque, no stale). A wrong password gets
  the same answer. A nonce presented with another record's opaque, one it never
  issued, an expired one, and a record no longer kept get ``STALE`` (the last in
  a new record), whatever the password. At
  most ``max_clients`` records are kept, the least recently used forgotten
  first (Apache's table is a few kilobytes of shared memory: with its default
  ``AuthDigestShmemSize`` about a dozen records, purged when full).

With an empty qop list the server speaks RFC 2069 (no qop, no cnonce, no nc);
replays cannot be detected in that mode, and ``-sess`` algorithms are not
available.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import itertools
import os
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import unquote

import attrs

from ob_async.simulator._clock import Clock

NC_WINDOW = 4096
_NC_MASK = (1 << NC_WINDOW) - 1
_NONCE_TAG_BYTES = 16
_NONCE_HEX_LENGTH = 2 * (16 + _NONCE_TAG_BYTES)


def _sha512_256(data: bytes) -> Any:
    return hashlib.new("sha512_256", data)


HASHES: Mapping[str, Callable[[bytes], Any]] = {
    "MD5": hashlib.md5,
    "SHA-256": hashlib.sha256,
    "SHA-512-256": _sha512_256,
}
"""The hash behind each algorithm name (a ``-sess`` variant uses its base's)."""

_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
# One parameter with its trailing separator; group 1 is all of it, so that the lengths of
# the matches add up to the whole header exactly when nothing else is in it.
_PARAM = re.compile(
    rf'([ \t]*+({_TCHARS})[ \t]*+=[ \t]*+(?:"([^"\\]*+(?:\\.[^"\\]*+)*+)"|([^\s,"]++))'
    r"[ \t]*+(?:,|$))",
    re.DOTALL,
)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_NC = re.compile(r"[0-9a-fA-F]{8}")


class NcCheck(enum.StrEnum):
    """How the verifier checks nonce counts."""

    WINDOW = "window"
    """Each count once, in any order within :data:`NC_WINDOW` of the highest (the default)."""
    ORDERED = "ordered"
    """Each count above the highest seen with its nonce, any number of nonces in use at
    once, one ``opaque`` for all (RFC 7616 §3.3 lets a server insist on rising counts)."""
    STRICT = "strict"
    """As Apache's ``mod_auth_digest`` with ``AuthDigestNcCheck On`` (see the module
    docstring): a client record per ``opaque``, one live nonce in it, counts rising."""


class AuthOutcome(enum.StrEnum):
    """What :meth:`DigestVerifier.verify` concluded."""

    OK = "ok"
    MISSING = "missing"
    MALFORMED = "malformed"
    BAD_CREDENTIALS = "bad_credentials"
    UNKNOWN_NONCE = "unknown_nonce"
    STALE = "stale"
    REPLAY = "replay"
    OUT_OF_ORDER = "out_of_order"
    """Strict or ordered nonce counting: a count not above the highest seen, or (strict) a
    nonce issued before the one the client record uses now."""


@attrs.frozen
class AuthResult:
    """The outcome, the authenticated user (when OK) and a message for the envelope.

    ``client``: with :attr:`NcCheck.STRICT`, the client record (``opaque``) the answer's
    challenge belongs to; None for a new one. Pass it to :meth:`DigestVerifier.challenges`.
    """

    outcome: AuthOutcome
    user: str | None = None
    message: str = ""
    client: str | None = None


class _Malformed(Exception):
    """The header does not parse or lacks a required parameter."""


class _Reject(Exception):
    """Verification ends with this (non-OK) result."""

    def __init__(self, result: AuthResult) -> None:
        super().__init__(result.message)
        self.result = result


def _require(params: Mapping[str, str], *names: str) -> None:
    for name in names:
        if name not in params:
            raise _Malformed(f"the Authorization header has no {name!r}")


class _NonceState:
    __slots__ = ("issued", "max_nc", "opaque", "seen", "serial")

    def __init__(self, issued: float, serial: int, opaque: str) -> None:
        self.issued = issued
        self.serial = serial
        self.opaque = opaque
        self.max_nc = 0
        self.seen = 0

    def record(self, nc: int) -> str | None:
        """Record a nonce count: None if new, else why it is refused."""
        if nc > self.max_nc:
            self.seen = ((self.seen << (nc - self.max_nc)) | 1) & _NC_MASK
            self.max_nc = nc
            return None
        back = self.max_nc - nc
        if back >= NC_WINDOW:
            return (
                f"is {back} below the highest count seen with this nonce, "
                f"too far back to tell from a replay (window {NC_WINDOW})"
            )
        if (self.seen >> back) & 1:
            return "was already used with this nonce"
        self.seen |= 1 << back
        return None


class _Client:
    """A client record of strict counting: the nonce it uses now (by issue serial), its count."""

    __slots__ = ("max_nc", "serial")

    def __init__(self) -> None:
        self.serial = -1
        self.max_nc = 0

    def record(self, serial: int, nc: int) -> str | None:
        """Record a count in the nonce of ``serial``: None if taken, else why it is refused."""
        if serial > self.serial:
            self.serial, self.max_nc = serial, nc
            return None
        if serial < self.serial:
            return "its nonce was issued before the one this client uses now"
        if nc <= self.max_nc:
            return f"it is not above {self.max_nc:08x}, the highest this client has used"
        self.max_nc = nc
        return None


def hash_hex(base_algorithm: str, text: str | bytes) -> str:
    """``H(text)`` in lowercase hex for a base algorithm (MD5, SHA-256, SHA-512-256)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return str(HASHES[base_algorithm](data).hexdigest())


def quote(value: str) -> str:
    """A quoted-string (RFC 7230 §3.2.6)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _parse_params(rest: str) -> dict[str, str]:
    found = _PARAM.findall(rest)
    if not found or sum([len(item[0]) for item in found]) != len(rest):
        raise _Malformed("the Authorization header is not a comma-separated list of name=value")
    params: dict[str, str] = {}
    for _, key, quoted, token in found:
        params[key.lower()] = _ESCAPE.sub(r"\1", quoted) if "\\" in quoted else quoted or token
    if len(params) != len(found):
        raise _Malformed("the Authorization header gives a parameter twice")
    return params


class DigestVerifier:
    """Issues digest challenges and verifies ``Authorization`` headers."""

    def __init__(
        self,
        *,
        users: Mapping[str, str],
        realm: str,
        algorithms: Iterable[str],
        qops: Iterable[str],
        userhash: bool,
        nonce_ttl: float,
        clock: Clock,
        max_nonces: int = 100_000,
        max_clients: int = 100_000,
        nc_check: NcCheck = NcCheck.WINDOW,
        opaque: str | None = None,
        nonce_factory: Callable[[float], str] | None = None,
    ) -> None:
        self.realm = realm
        self.algorithms = tuple(algorithms)
        self.qops = tuple(qops)
        if not self.qops and any(name.endswith("-sess") for name in self.algorithms):
            raise ValueError("-sess algorithms need a qop (they hash the client's cnonce)")
        self.userhash = userhash
        self.nonce_ttl = nonce_ttl
        self.max_nonces = max_nonces
        self.max_clients = max_clients
        self.nc_check = NcCheck(nc_check)
        self.opaque = opaque if opaque is not None else os.urandom(16).hex()
        self._clock = clock
        self._key = os.urandom(32)
        # Tests replay published vectors by fixing the nonce; normally it is an HMAC-tagged one.
        self._nonce_factory = nonce_factory or self._new_nonce
        self._nonces: dict[str, _NonceState] = {}
        self._serials = itertools.count()
        # Strict counting's client records by opaque, least recently used first.
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        # Upper-cased name → (name, base hash, is a -sess variant).
        self._algorithm_info = {
            name.upper(): (name, name.removesuffix("-sess"), name.endswith("-sess"))
            for name in self.algorithms
        }
        bases = {name.removesuffix("-sess") for name in self.algorithms}
        # HA1 = H(user:realm:password) depends on nothing per request: computed once.
        self._ha1 = {
            (user, base): hash_hex(base, f"{user}:{realm}:{password}")
            for user, password in users.items()
            for base in bases
        }
        self._users_by_hash = {
            base: {hash_hex(base, f"{user}:{realm}"): user for user in users} for base in bases
        }
        self._users = frozenset(users)
        self._accepted = {user: AuthResult(AuthOutcome.OK, user=user) for user in users}
        self._qop_param = f", qop={quote(', '.join(self.qops))}" if self.qops else ""

    @property
    def live_nonces(self) -> int:
        """How many nonces currently have tracked state."""
        return len(self._nonces)

    @property
    def live_clients(self) -> int:
        """How many client records strict counting keeps."""
        return len(self._clients)

    def challenges(self, *, stale: bool = False, client: str | None = None) -> list[str]:
        """Issue a nonce; one ``WWW-Authenticate`` value per offered algorithm.

        With :attr:`NcCheck.STRICT` the nonce belongs to the client record ``client``
        (an :attr:`AuthResult.client`), or to a new one when it is None or forgotten.
        """
        now = self._clock.time()
        self._prune(now)
        opaque = self._client_for(client) if self.nc_check is NcCheck.STRICT else self.opaque
        nonce = self._nonce_factory(now)
        self._nonces[nonce] = _NonceState(now, next(self._serials), opaque)
        tail = (", stale=true" if stale else "") + (", userhash=true" if self.userhash else "")
        return [
            f"Digest realm={quote(self.realm)}{self._qop_param}, algorithm={name}, "
            f"nonce={quote(nonce)}, opaque={quote(opaque)}{tail}"
            for name in self.algorithms
        ]

    def _client_for(self, client: str | None) -> str:
        """The opaque of a known client record (now the most recent), else of a new one."""
        clients = self._clients
        if client is not None and client in clients:
            clients.move_to_end(client)
            return client
        opaque = os.urandom(8).hex()
        clients[opaque] = _Client()
        while len(clients) > self.max_clients:
            clients.popitem(last=False)
        return opaque

    def _prune(self, now: float) -> None:
        nonces = self._nonces
        ttl = self.nonce_ttl
        # Insertion order is issue order, so expired and excess nonces are at the front.
        while nonces:
            oldest = next(iter(nonces))
            if now - nonces[oldest].issued <= ttl and len(nonces) < self.max_nonces:
                break
            del nonces[oldest]

    def _new_nonce(self, now: float) -> str:
        payload = int(now * 1000).to_bytes(8, "big") + os.urandom(8)
        tag = hmac.new(self._key, payload, hashlib.sha256).digest()[:_NONCE_TAG_BYTES]
        return (payload + tag).hex()

    def _issue_time(self, nonce: str) -> float | None:
        """When a genuine nonce was issued; None for one this server never issued."""
        if len(nonce) != _NONCE_HEX_LENGTH:
            return None
        try:
            raw = bytes.fromhex(nonce)
        except ValueError:
            return None
        payload, tag = raw[:16], raw[16:]
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()[:_NONCE_TAG_BYTES]
        if not hmac.compare_digest(tag, expected):
            return None
        return int.from_bytes(payload[:8], "big") / 1000

    def verify(self, method: str, target: str, header: str | None, body: bytes) -> AuthResult:
        """Check an ``Authorization`` header for a request (``target`` = path and query)."""
        if header is None:
            return AuthResult(AuthOutcome.MISSING, message="authentication is required (Digest)")
        try:
            return self._verify(method, target, header, body)
        except _Malformed as error:
            return AuthResult(AuthOutcome.MALFORMED, message=str(error))
        except _Reject as rejection:
            return rejection.result

    def _verify(self, method: str, target: str, header: str, body: bytes) -> AuthResult:
        scheme, _, rest = header.strip().partition(" ")
        if scheme.lower() != "digest":
            raise _Reject(_bad(f"the Authorization scheme must be Digest, not {scheme[:16]!r}"))
        params = _parse_params(rest.strip())
        base, sess, qop = self._check_offer(params, target)
        nonce = params["nonce"]
        state = self._nonces.get(nonce)
        issued = state.issued if state is not None else self._issue_time(nonce)
        if issued is None:
            if self.nc_check is NcCheck.STRICT:
                # As Apache: a nonce it cannot verify is answered stale, in the request's record.
                raise _Reject(
                    AuthResult(
                        AuthOutcome.STALE,
                        message="not a nonce of this client",
                        client=self._known_client(params),
                    )
                )
            raise _Reject(AuthResult(AuthOutcome.UNKNOWN_NONCE, message="unknown nonce"))
        user = self._user(params, base)
        if user is None or not self._response_matches(
            params, user=user, base=base, sess=sess, method=method, body=body, qop=qop
        ):
            raise _Reject(_bad("invalid credentials", self._known_client(params)))
        if self.nc_check is NcCheck.STRICT:
            return self._verify_client(params, user, state, qop)
        if state is None or self._clock.time() - issued > self.nonce_ttl:
            return AuthResult(AuthOutcome.STALE, user=user, message="the nonce has expired")
        if qop is not None:
            nc = int(params["nc"], 16)
            if self.nc_check is NcCheck.ORDERED and nc <= state.max_nc:
                return AuthResult(
                    AuthOutcome.OUT_OF_ORDER,
                    user=user,
                    message=f"nonce count {params['nc']} is not above the highest count "
                    "seen with this nonce (strict nonce counting)",
                )
            refused = state.record(nc)
            if refused is not None:
                return AuthResult(
                    AuthOutcome.REPLAY, user=user, message=f"nonce count {params['nc']} {refused}"
                )
        return self._accepted[user]

    def _known_client(self, params: Mapping[str, str]) -> str | None:
        opaque = params.get("opaque")
        return opaque if opaque is not None and opaque in self._clients else None

    def _verify_client(
        self, params: Mapping[str, str], user: str, state: _NonceState | None, qop: str | None
    ) -> AuthResult:
        """Strict counting, once the credentials are right: the client record's rules."""
        opaque = params.get("opaque")
        client = self._clients.get(opaque) if opaque is not None else None
        if client is None:
            return AuthResult(AuthOutcome.STALE, user=user, message="the client is no longer known")
        if state is None or state.opaque != opaque:
            return AuthResult(
                AuthOutcome.STALE, user=user, message="not a nonce of this client", client=opaque
            )
        if self._clock.time() - state.issued > self.nonce_ttl:
            return AuthResult(
                AuthOutcome.STALE, user=user, message="the nonce has expired", client=opaque
            )
        self._clients.move_to_end(opaque)
        if qop is not None:
            refused = client.record(state.serial, int(params["nc"], 16))
            if refused is not None:
                return AuthResult(
                    AuthOutcome.OUT_OF_ORDER,
                    user=user,
                    message=f"nonce count {params['nc']} refused: {refused}",
                    client=opaque,
                )
        return self._accepted[user]

    def _check_offer(self, params: Mapping[str, str], target: str) -> tuple[str, bool, str | None]:
        """``(base hash, is -sess, qop)`` once the header answers what was offered."""
        _require(params, "realm", "nonce", "uri", "response")
        if "username" not in params and "username*" not in params:
            raise _Malformed("the Authorization header has no 'username'")
        info = self._algorithm_info.get(params.get("algorithm", "MD5").upper())
        if info is None:
            raise _Reject(
                _bad(f"algorithm {params.get('algorithm', 'MD5')[:24]!r} was not offered")
            )
        qop = self._check_qop(params)
        checks = [
            ("realm", self.realm, "realm does not match"),
            ("uri", target, "uri does not match the request target"),
        ]
        if self.nc_check is not NcCheck.STRICT:
            # Strict counting's opaque names a client record: checked with the count.
            checks.append(("opaque", self.opaque, "opaque does not match the challenge's"))
        for name, expected, message in checks:
            if params.get(name) != expected:
                raise _Reject(_bad(message))
        _, base, sess = info
        return base, sess, qop

    def _check_qop(self, params: Mapping[str, str]) -> str | None:
        qop = params.get("qop")
        if not self.qops:
            if qop is not None:
                raise _Reject(_bad("qop was not offered"))
            return None
        if qop is None:
            raise _Malformed(f"the Authorization header has no 'qop' (offered: {self.qops})")
        if qop not in self.qops:
            raise _Reject(_bad(f"qop {qop[:24]!r} was not offered"))
        _require(params, "nc", "cnonce")
        if not _NC.fullmatch(params["nc"]):
            raise _Malformed(f"nc {params['nc'][:16]!r} is not 8 hexadecimal digits")
        return qop

    def _user(self, params: Mapping[str, str], base: str) -> str | None:
        hashed = params.get("userhash", "false").lower()
        if hashed not in ("true", "false"):
            raise _Malformed(f"userhash must be true or false, not {hashed[:16]!r}")
        if "username" in params and "username*" in params:
            raise _Malformed("the Authorization header gives both 'username' and 'username*'")
        if "username*" in params:
            if hashed == "true":
                raise _Malformed("'username*' cannot be combined with userhash=true")
            user = _decode_extended(params["username*"])
        else:
            user = params["username"]
        if hashed == "true":
            if not self.userhash:
                return None
            return self._users_by_hash[base].get(user.lower())
        return user if user in self._users else None

    def _response_matches(
        self,
        params: Mapping[str, str],
        *,
        user: str,
        base: str,
        sess: bool,
        method: str,
        body: bytes,
        qop: str | None,
    ) -> bool:
        digest = HASHES[base]
        nonce = params["nonce"]
        uri = params["uri"]
        ha1 = self._ha1[(user, base)]
        if sess:
            ha1 = digest(f"{ha1}:{nonce}:{params['cnonce']}".encode()).hexdigest()
        if qop == "auth-int":
            a2 = f"{method}:{uri}:{digest(body).hexdigest()}"
        else:
            a2 = f"{method}:{uri}"
        ha2 = digest(a2.encode()).hexdigest()
        if qop is None:
            expected = digest(f"{ha1}:{nonce}:{ha2}".encode()).hexdigest()
        else:
            expected = digest(
                f"{ha1}:{nonce}:{params['nc']}:{params['cnonce']}:{qop}:{ha2}".encode()
            ).hexdigest()
        return hmac.compare_digest(
            expected.encode(), params["response"].lower().encode("utf-8", "replace")
        )


def _bad(message: str, client: str | None = None) -> AuthResult:
    return AuthResult(AuthOutcome.BAD_CREDENTIALS, message=message, client=client)


def _decode_extended(value: str) -> str:
    """RFC 8187 ``UTF-8''J%C3%A4s%C3%B8n`` → ``Jäsøn``."""
    charset, _, rest = value.partition("'")
    _, _, encoded = rest.partition("'")
    if charset.lower() != "utf-8" or not rest:
        raise _Malformed("username* must be UTF-8''<percent-encoded name>")
    try:
        return unquote(encoded, errors="strict")
    except UnicodeDecodeError:
        raise _Malformed("username* is not valid percent-encoded UTF-8") from None
