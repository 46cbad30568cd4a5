"""The Digest state of one client, and the generator flow the session layer drives.

Protection space. RFC 7616 §3.3 lets a client reuse a challenge for every URI in
its protection space (the realm at the origin, narrowed by ``domain``). This
engine is simpler and stricter: a :class:`DigestAuth` is bound to exactly one
origin (scheme, host and port, normalised), and the one challenge it caches *is*
its protection space. A URL at any other origin is sent without credentials and
its challenges are never stored; ``domain`` is kept on the challenge but never
widens the space beyond the origin.

Nonce state. Each cached challenge lives in a small :class:`_NonceState`: the
:class:`~ob_async._digest.compute.AuthorizationTemplate` with its precomputed
parts, the chosen qop, and the nonce's counter. Flows are generators that an
event loop interleaves in one thread; a flow keeps the state it drew from, and
every state of one nonce shares one counter, so no ``(nonce, nc)`` pair is ever
produced twice and nc only increases per nonce, however flows interleave. A new
nonce starts a new counter at 1. ``H(user:realm:password)`` is cached per hash,
realm and charset, so a new nonce of a known realm costs no password hashing.

Strict nonce counting. RFC 7616 lets a server refuse a count that is not above
the highest it has seen with a nonce (Apache's ``AuthDigestNcCheck On`` does,
with a plain 401 and a new nonce). Requests in flight together overtake each
other on the wire, so against such a server a shared nonce loses some of them.
The engine tells the two kinds of refusal apart by what it has seen:

- refused credentials: a refusal while these credentials have never been
  accepted in that realm (the driver judges it only once the requests in flight
  with it have answered, none accepted), or a refusal of the first count of a
  nonce no other request used: :attr:`DigestAuth.rejected` becomes True and
  every later flow fails before sending anything;
- a nonce refusing a count: a refusal after the credentials were accepted in
  that realm. The flow takes the new nonce and answers again (at most
  ``max_order_retries`` times), and the engine learns that this origin orders
  counts strictly (:attr:`DigestAuth.strict_counts`).

From then on each request has a nonce to itself while it is in flight, so its
counts reach the server in order: a small pool of *lanes* (nonce states), each
lent to one flow at a time and given back when its response is fed (or the flow
is closed). A flow that finds no idle lane sends its request without
credentials and makes a lane of the challenge that comes back, so the pool
grows on demand to the number of requests in flight (at most
:data:`_MAX_IDLE_LANES` idle ones are kept); in steady state every call is one
round trip again. A client that never meets such a server never leaves the
shared nonce: one 401 per cold burst, no extra round trips.

Flow. ``flow()`` yields the ``Authorization`` value to send (or None to send
none) and receives a :class:`DigestResponse` for each request; see
:meth:`DigestAuth.flow` for the rules. Every flow ends after at most
``2 + max_stale_retries + max_order_retries`` requests. The driver feeds every
response of a flow that went through a 401 (so the engine sees which
credentials were accepted) and closes a flow it abandons.
"""

from __future__ import annotations

import itertools
import os
from collections import OrderedDict
from collections.abc import Generator

import attrs

from ob_async._digest.challenge import DigestChallenge, parse_www_authenticate, select_challenge
from ob_async._digest.compute import MAX_NC, AuthorizationTemplate, credentials_hash
from ob_async.errors import AuthenticationError, InvalidInputError

_DEFAULT_PORTS = {"http": 80, "https": 443}
_MAX_PORT = 65535
# Counters of this many recent nonces are remembered, so a nonce the server hands
# out again continues its count instead of repeating an nc it already saw.
_REMEMBERED_NONCES = 1024
# Bounds the HA1 cache against a server that invents a new realm per challenge.
_REMEMBERED_REALMS = 64
# RFC 7616 §3.4: the first request with a nonce carries nc=00000001. A module
# constant so that the used-up-counter path can be reached in a test.
_FIRST_NC = 1
# Idle lanes kept for a strict origin; more requests in flight than this still each
# get a lane, but the surplus is dropped when given back.
_MAX_IDLE_LANES = 128


@attrs.frozen
class DigestResponse:
    """What the session feeds back into a flow: the status and every WWW-Authenticate value."""

    status: int
    www_authenticate: tuple[str, ...] = ()


def _split_origin(url: str) -> tuple[str, int] | None:
    """``(normalised origin, index where the request-target starts)``, or None if not http(s).

    A URL with userinfo, a backslash, whitespace or a control character in its
    authority gives None: HTTP libraries disagree on where such a URL goes, and
    credentials are only ever sent where there is no doubt.
    """
    scheme_end = url.find("://")
    if scheme_end <= 0:
        return None
    scheme = url[:scheme_end].lower()
    default_port = _DEFAULT_PORTS.get(scheme)
    if default_port is None:
        return None
    start = scheme_end + 3
    end = start
    while end < len(url) and url[end] not in "/?#":
        end += 1
    host_port = _split_authority(url[start:end], default_port)
    if host_port is None:
        return None
    host, port = host_port
    origin = f"{scheme}://{host}" if port == default_port else f"{scheme}://{host}:{port}"
    return origin, end


def _split_authority(authority: str, default_port: int) -> tuple[str, int] | None:
    """``(lower-cased host, port)`` of an authority without userinfo, or None."""
    if not authority.isprintable() or any(char in authority for char in " @\\"):
        return None
    if authority.startswith("["):
        host, bracket, rest = authority.partition("]")
        host += bracket
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:]
    else:
        host, _, port_text = authority.partition(":")
    if host in ("", "[]"):
        return None
    if not port_text:
        return host.lower(), default_port
    if not (port_text.isascii() and port_text.isdigit()) or int(port_text) > _MAX_PORT:
        return None
    return host.lower(), int(port_text)


def _request_target(rest: str) -> str:
    """The request-target of what follows the authority: path and query as given."""
    if "#" in rest:
        rest = rest[: rest.index("#")]
    return rest if rest.startswith("/") else f"/{rest}"


def new_cnonce() -> str:
    """A fresh client nonce: 128 bits from the OS's CSPRNG, in hex."""
    return os.urandom(16).hex()


class _NonceState:
    """One cached challenge: its template, the qop we answer it with, its nonce's counter.

    ``exclusive``: a lane of a strict origin whose counter no other state shares, so
    only the flow holding it draws counts from it.
    """

    __slots__ = ("_count", "exclusive", "qop", "template")

    def __init__(
        self,
        template: AuthorizationTemplate,
        qop: str | None,
        count: itertools.count[int],
        *,
        exclusive: bool = False,
    ) -> None:
        self.template = template
        self.qop = qop
        self._count = count
        self.exclusive = exclusive

    @property
    def challenge(self) -> DigestChallenge:
        return self.template.challenge

    def authorization(self, method: str, target: str, body: bytes) -> str | None:
        """The next Authorization for this nonce; None once its 2**32 - 1 counts are used up."""
        nc = next(self._count)
        if nc > MAX_NC:
            return None
        return self.template.render(method, target, body, nc=nc, cnonce=new_cnonce(), qop=self.qop)


class DigestAuth:
    """HTTP Digest credentials bound to one origin, with the challenge cached for it."""

    __slots__ = (
        "_accepted_realms",
        "_counters",
        "_idle_lanes",
        "_max_order",
        "_max_stale",
        "_origin",
        "_password",
        "_prefer_auth_int",
        "_refused_realm",
        "_secret_hashes",
        "_stale_offered",
        "_state",
        "_strict",
        "_username",
    )

    def __init__(
        self,
        username: str,
        password: str,
        *,
        origin: str,
        prefer_auth_int: bool = True,
        max_stale_retries: int = 3,
        max_order_retries: int = 2,
    ) -> None:
        if not username:
            raise InvalidInputError("the username is empty", where="digest")
        for what, value in (("username", username), ("password", password)):
            try:
                value.encode()
            except UnicodeEncodeError:
                raise InvalidInputError(
                    f"the {what} is not encodable as UTF-8", where="digest"
                ) from None
        for name, bound in (
            ("max_stale_retries", max_stale_retries),
            ("max_order_retries", max_order_retries),
        ):
            if bound < 0:
                raise InvalidInputError(f"{name} must be >= 0, not {bound}", where="digest")
        split = _split_origin(origin)
        if split is None or origin[split[1] :] not in ("", "/"):
            raise InvalidInputError(
                f"{origin!r} is not an origin (scheme://host[:port] with http or https)",
                where="digest",
            )
        self._origin = split[0]
        self._username = username
        self._password = password
        self._prefer_auth_int = prefer_auth_int
        self._max_stale = max_stale_retries
        self._max_order = max_order_retries
        self._state: _NonceState | None = None
        self._stale_offered = False
        self._refused_realm: str | None = None
        self._accepted_realms: set[str] = set()
        self._strict = False
        self._idle_lanes: list[_NonceState] = []
        self._counters: OrderedDict[str, itertools.count[int]] = OrderedDict()
        self._secret_hashes: dict[tuple[str, str, bool], str] = {}

    @property
    def origin(self) -> str:
        """The normalised origin the credentials are bound to."""
        return self._origin

    @property
    def rejected(self) -> bool:
        """True once the server refused the credentials answering a fresh challenge."""
        return self._refused_realm is not None

    def has_challenge(self) -> bool:
        """True once a challenge is cached, so requests carry credentials pre-emptively."""
        return self._state is not None

    def ready(self) -> bool:
        """True once a challenge is cached that did not come with ``stale=true``.

        A driver may let calls waiting for the first challenge go out concurrently
        from then on; a stale first challenge is a sign of a server to be wary of.
        """
        return self._state is not None and not self._stale_offered

    @property
    def strict_counts(self) -> bool:
        """True once the origin was seen refusing a count: requests then use lanes."""
        return self._strict

    def accepted(self) -> bool:
        """True once the server accepted these credentials in some realm."""
        return bool(self._accepted_realms)

    def __repr__(self) -> str:
        return (
            f"DigestAuth(username={self._username!r}, password='***', "
            f"origin={self._origin!r}, rejected={self.rejected})"
        )

    __str__ = __repr__

    def flow(
        self, method: str, url: str, body: bytes = b""
    ) -> Generator[str | None, DigestResponse, None]:
        """Drive one request: yields Authorization values, receives each response.

        - A URL at another origin: yields None once, then ends; nothing is learnt.
        - Once :attr:`rejected`: raises :class:`AuthenticationError` before yielding.
        - First request: pre-emptive Authorization from the cached challenge (at a
          strict origin, from an idle lane), else None.
        - Non-401: done (the credentials sent are accepted in their realm). A 401
          without any Digest challenge: done (a final 401). Digest challenges of which
          none is usable: AuthenticationError; a malformed header: ChallengeError.
        - 401 ``stale=true``: cache the new challenge and answer it, at most
          ``max_stale_retries`` times per flow, then AuthenticationError.
        - 401 otherwise, to a request without credentials: cache the challenge and
          answer it. To a request with credentials: refused credentials or a refused
          count, as the module docstring says; refused credentials make
          :attr:`rejected` True and the 401 final, a refused count is answered with
          the new nonce, at most ``max_order_retries`` times more in a row, then
          AuthenticationError.

        ``method`` is upper-cased, as HTTP clients send it; the digest-uri is the URL's
        path and query exactly as given.
        """
        target = self._target(url)
        if target is None:
            yield None
            return
        if self._refused_realm is not None:
            raise self._refusal()
        method = method.upper()
        state, lane, authorization = self._start(method, target, body)
        answering_fresh = False
        stale_answers = refusals = 0
        try:
            while True:
                response = yield authorization
                if response.status != 401:
                    if authorization is not None and state is not None:
                        self._accepted_realms.add(state.challenge.realm)
                    return
                challenges = parse_www_authenticate(response.www_authenticate)
                if not any(challenge.scheme == "digest" for challenge in challenges):
                    return
                challenge = select_challenge(challenges)
                if challenge.stale:
                    stale_answers += 1
                    self._check_stale(stale_answers)
                elif authorization is not None and state is not None:
                    refusals += 1
                    if self._refused(state, answering_fresh, refusals):
                        return
                if self._refused_realm is not None:
                    # Another flow learnt meanwhile that these credentials are refused.
                    raise self._refusal()
                self._stale_offered = challenge.stale
                state = self._adopt(challenge)
                lane = state if state.exclusive else None
                authorization = self._answer(state, method, target, body)
                answering_fresh = True
        finally:
            # Given back however the flow ends: a count drawn by a request whose fate is
            # unknown is only ever followed by higher ones, which a strict server takes.
            if lane is not None and self._strict and len(self._idle_lanes) < _MAX_IDLE_LANES:
                self._idle_lanes.append(lane)

    def _start(
        self, method: str, target: str, body: bytes
    ) -> tuple[_NonceState | None, _NonceState | None, str | None]:
        """``(state, lane, authorization)`` of a flow's first request.

        The shared state, or at a strict origin an idle lane of the flow's own (the
        lane is None when there is none, or when its counts are used up).
        """
        if self._strict:
            state = self._idle_lanes.pop() if self._idle_lanes else None
        else:
            state = self._state
        if state is None:
            return None, None, None
        authorization = state.authorization(method, target, body)
        if authorization is None:
            if self._state is state:
                self._state = None
            return state, None, None
        return state, state if self._strict else None, authorization

    def _answer(self, state: _NonceState, method: str, target: str, body: bytes) -> str:
        authorization = state.authorization(method, target, body)
        if authorization is None:
            raise AuthenticationError(
                f"the server at {self._origin} reissued a nonce whose 2**32 - 1 counts are used up",
                status=401,
            )
        return authorization

    def _refused(self, state: _NonceState, answering_fresh: bool, refusals: int) -> bool:
        """A refusal of our credentials: True if they are wrong (now :attr:`rejected`).

        Otherwise, after an acceptance in the realm, it is a nonce refusing a count:
        the origin is strict from now on, and the flow answers the new nonce unless
        ``max_order_retries`` refusals were answered already.
        """
        realm = state.challenge.realm
        if self._refused_as_credentials(state, answering_fresh):
            self._refused_realm = realm
            return True
        if realm in self._accepted_realms:
            if refusals > self._max_order + 1:
                raise AuthenticationError(
                    f"the server at {self._origin} refused {refusals} nonce counts in a "
                    "row for one request; giving up",
                    status=401,
                )
            self._strict = True
        return False

    def _check_stale(self, stale_answers: int) -> None:
        if stale_answers > self._max_stale:
            raise AuthenticationError(
                f"server kept answering stale=true ({stale_answers} times for one "
                f"request) at {self._origin}; giving up",
                status=401,
            )

    def _refused_as_credentials(self, state: _NonceState, answering_fresh: bool) -> bool:
        """Whether a refusal of a request sent with ``state`` means wrong credentials.

        Never once the credentials were accepted in the realm, unless the refused
        request was the first count of a nonce no other request used (strictness
        cannot explain that). Always before any acceptance: a driver judges such a
        refusal only once the requests in flight with it have answered, none of them
        accepted, so it is no count overtaken by a luckier one.
        """
        if state.challenge.realm in self._accepted_realms:
            return answering_fresh and state.exclusive
        return True

    def _target(self, url: str) -> str | None:
        """The request-target of ``url`` if it is at our origin, else None."""
        origin = self._origin
        if url.startswith(origin):
            rest = url[len(origin) :]
            if not rest or rest[0] in "/?#":
                return _request_target(rest)
        split = _split_origin(url)
        if split is None or split[0] != origin:
            return None
        return _request_target(url[split[1] :])

    def _refusal(self) -> AuthenticationError:
        return AuthenticationError(
            f"credentials were refused by realm {self._refused_realm!r} at {self._origin}; "
            "not retrying",
            status=401,
        )

    def _choose_qop(self, challenge: DigestChallenge) -> str | None:
        offered = challenge.qop
        if "auth-int" in offered and (self._prefer_auth_int or "auth" not in offered):
            return "auth-int"
        if "auth" in offered:
            return "auth"
        return None

    def _secret_hash(self, challenge: DigestChallenge) -> str:
        algorithm = challenge.algorithm
        nfc = challenge.charset is not None and challenge.charset.lower() == "utf-8"
        key = (algorithm.value.removesuffix("-sess"), challenge.realm, nfc)
        cached = self._secret_hashes.get(key)
        if cached is None:
            if len(self._secret_hashes) >= _REMEMBERED_REALMS:
                self._secret_hashes.clear()
            cached = credentials_hash(
                algorithm,
                username=self._username,
                realm=challenge.realm,
                password=self._password,
                charset=challenge.charset,
            )
            self._secret_hashes[key] = cached
        return cached

    def _adopt(self, challenge: DigestChallenge) -> _NonceState:
        """Cache ``challenge`` (replacing the current one) and return its state.

        At a strict origin the state is a new lane for the calling flow alone.
        """
        # stale only says why the server answered 401; it is no part of the challenge.
        challenge = attrs.evolve(challenge, stale=False)
        current = self._state
        if current is not None and current.challenge == challenge and not self._strict:
            return current
        count = self._counters.get(challenge.nonce)
        exclusive = self._strict and count is None
        if count is None:
            count = itertools.count(_FIRST_NC)
            self._counters[challenge.nonce] = count
            if len(self._counters) > _REMEMBERED_NONCES:
                self._counters.popitem(last=False)
        else:
            self._counters.move_to_end(challenge.nonce)
        template = AuthorizationTemplate(
            challenge,
            username=self._username,
            password=self._password,
            secret_hash=self._secret_hash(challenge),
        )
        state = _NonceState(template, self._choose_qop(challenge), count, exclusive=exclusive)
        self._state = state
        return state
