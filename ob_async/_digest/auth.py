"""The Digest state of one client, and the generator flow the session layer drives.

Protection space. RFC 7616 §3.3 lets a client reuse a challenge for every URI in
its protection space (the realm at the origin, narrowed by ``domain``). This
engine is simpler and stricter: a :class:`DigestAuth` is bound to exactly one
origin (scheme, host and port, normalised), and the challenges it caches are
its protection space. A URL at any other origin is sent without credentials and
its challenges are never stored; ``domain`` is kept on the challenge but never
widens the space beyond the origin.

Nonce state. Each cached challenge lives in a
:class:`~ob_async._digest.contexts.NonceState`; every state of one nonce shares
one counter, so no ``(nonce, nc)`` pair is ever produced twice and nc only
increases per nonce, however flows interleave. A new nonce starts a new counter
at 1. ``H(user:realm:password)`` is cached per hash, realm and charset, so a new
nonce of a known realm costs no password hashing.

Two ways to hold challenges:

- shared (the start, and for good at most servers): one cached challenge that
  every flow draws counts from, in flight together; one 401 per cold burst;
- lanes (:mod:`ob_async._digest.contexts`), once the origin is seen refusing a
  count: each flow borrows a context of the server's that only it uses while it
  is in flight, so that its counts reach the server in order.

What a 401 with a Digest challenge answers (the request sent with a state):

- a *lost context*: ``stale=true`` with another ``opaque`` than the request
  carried. The server no longer knows the context the request was sent in (at
  Apache, the client record was purged from its table, and the answer opens a
  new record). Answered in the new context, like a stale nonce; in a lane, the
  pool learns that it holds more lanes than the server keeps.
- ``stale=true``: the nonce expired; answered with the new one (at most
  ``max_stale_retries`` stale or lost answers per flow).
- otherwise a *refusal*, of the credentials or of the count. Apache answers both
  alike (a plain 401, a new nonce, the same opaque, no ``stale``), so they are
  told apart by what the engine has seen:

  - refused credentials: a refusal while these credentials have never been
    accepted in that realm (the driver judges it only once the requests in
    flight with it have answered, none accepted), or a refusal of the first
    count of a nonce that only the refused request used, in a lane:
    :attr:`DigestAuth.rejected` becomes True and every later flow fails before
    sending anything;
  - a refused count: any other refusal. The request was overtaken by a higher
    count. In a lane the flow answers the new nonce (which belongs to the lane).
    Sent in the shared context, the origin is strict from now on: the first
    flow refused takes the shared context as its lane and answers the new nonce
    in it (nobody else draws from it any more); a later one borrows a lane, and
    if none is free ends with :attr:`FlowEnd.RESTART`. At most
    ``max_order_retries`` refused counts more in a row per flow.

A client that never meets a refused count keeps the shared challenge: one 401
per cold burst, then one round trip per call.

Flow. ``flow()`` yields the ``Authorization`` value to send (or None to send
none) and receives a :class:`DigestResponse` for each request; see
:meth:`DigestAuth.flow` for the rules. It returns a :class:`FlowEnd`. Every flow
ends after at most ``3 + max_stale_retries + max_order_retries`` requests. The
driver feeds every response of a flow that went through a 401 (so the engine
sees which credentials were accepted), closes a flow it abandons, and at a
strict origin starts a flow only when :meth:`DigestAuth.lane_free` (else the
pool goes over its ceiling).
"""

from __future__ import annotations

import enum
import itertools
from collections import OrderedDict
from collections.abc import Generator

import attrs

from ob_async._digest.challenge import DigestChallenge, parse_www_authenticate, select_challenge
from ob_async._digest.compute import AuthorizationTemplate, credentials_hash
from ob_async._digest.contexts import Lane, LanePool, NonceState
from ob_async._digest.origin import request_target, split_origin
from ob_async.errors import AuthenticationError, InvalidInputError

# Counters of this many recent nonces are remembered, so a nonce the server hands
# out again continues its count instead of repeating an nc it already saw.
_REMEMBERED_NONCES = 1024
# Bounds the HA1 cache against a server that invents a new realm per challenge.
_REMEMBERED_REALMS = 64
# RFC 7616 §3.4: the first request with a nonce carries nc=00000001. A module
# constant so that the used-up-counter path can be reached in a test.
_FIRST_NC = 1
_DEFAULT_MAX_LANES = 128


@attrs.frozen
class DigestResponse:
    """What the session feeds back into a flow: the status and every WWW-Authenticate value."""

    status: int
    www_authenticate: tuple[str, ...] = ()


class FlowEnd(enum.Enum):
    """How a flow ended (its generator's return value)."""

    DONE = "done"
    """The last response fed is the exchange's answer."""
    RESTART = "restart"
    """The request was answered 401, so not processed, and has no lane to answer in: the
    driver sends it again in a new flow once :meth:`DigestAuth.lane_free` is True."""


class _Reply(enum.Enum):
    """What a 401 with a Digest challenge answers (see the module docstring)."""

    FRESH = "a challenge to a request sent without credentials"
    STALE = "the nonce expired"
    LOST = "the server no longer knows the context the request was sent in"
    COUNT = "a count refused"
    CLAIM = "a count refused in the shared context, which the refused flow takes as its lane"


class _Request:
    """One flow's request, and where it stands: what it was last sent with, its answers."""

    __slots__ = (
        "answering_fresh",
        "lane",
        "losses",
        "new_lane",
        "parts",
        "refusals",
        "stale_answers",
        "state",
    )

    def __init__(self, method: str, target: str, body: bytes) -> None:
        self.parts = (method, target, body)
        self.lane: Lane | None = None
        self.state: NonceState | None = None
        """The state the last request was sent with; None if it carried no credentials."""
        self.answering_fresh = False
        """The last request answered a challenge of this flow's own."""
        self.new_lane = False
        """The lane's context was opened by this flow's request without credentials."""
        self.stale_answers = 0
        self.refusals = 0
        self.losses = 0
        """Times the server forgot this flow's lane."""


def _lost_context(sent_with: NonceState, challenge: DigestChallenge) -> bool:
    """Whether a stale answer names another context than the request was sent in.

    Only a stale one: some servers (httpbin) send a new ``opaque`` with every
    challenge, so a refusal in a new opaque says nothing about a context.
    """
    opaque = sent_with.challenge.opaque
    return challenge.stale and opaque is not None and challenge.opaque != opaque


class DigestAuth:
    """HTTP Digest credentials bound to one origin, with the challenges cached for it."""

    __slots__ = (
        "_accepted_realms",
        "_counters",
        "_lanes",
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
        max_lanes: int = _DEFAULT_MAX_LANES,
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
        for name, bound, least in (
            ("max_stale_retries", max_stale_retries, 0),
            ("max_order_retries", max_order_retries, 0),
            ("max_lanes", max_lanes, 1),
        ):
            if bound < least:
                raise InvalidInputError(f"{name} must be >= {least}, not {bound}", where="digest")
        split = split_origin(origin)
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
        self._state: NonceState | None = None
        self._stale_offered = False
        self._refused_realm: str | None = None
        self._accepted_realms: set[str] = set()
        self._strict = False
        self._lanes = LanePool(max_lanes)
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
        """True once a shared challenge is cached, so requests carry credentials pre-emptively."""
        return self._state is not None

    def ready(self) -> bool:
        """True once a shared challenge is cached that did not come with ``stale=true``.

        A driver may let calls waiting for the first challenge go out concurrently
        from then on; a stale first challenge is a sign of a server to be wary of.
        """
        return self._state is not None and not self._stale_offered

    @property
    def strict_counts(self) -> bool:
        """True once the origin was seen refusing a count: requests then use lanes."""
        return self._strict

    @property
    def lanes(self) -> LanePool:
        """The lanes of a strict origin (read-only use: how many, and the ceiling)."""
        return self._lanes

    def lane_free(self) -> bool:
        """Whether a flow started now has a context to answer in without waiting."""
        return not self._strict or self._lanes.free()

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
    ) -> Generator[str | None, DigestResponse, FlowEnd]:
        """Drive one request: yields Authorization values, receives each response.

        - A URL at another origin: yields None once, then ends; nothing is learnt.
        - Once :attr:`rejected`: raises :class:`AuthenticationError` before yielding.
        - First request: pre-emptive Authorization from the shared challenge, or at a
          strict origin from the flow's lane; None when there is none yet.
        - Non-401: done (the credentials sent are accepted in their realm). A 401
          without any Digest challenge: done (a final 401). Digest challenges of which
          none is usable: AuthenticationError; a malformed header: ChallengeError.
        - 401 to a request without credentials: the challenge is cached (at a strict
          origin, as the flow's lane) and answered.
        - 401 to a request with credentials: a lost context, a stale nonce or a
          refusal, as the module docstring says. Refused credentials make
          :attr:`rejected` True and the 401 final; too many stale or lost answers,
          or refused counts, raise AuthenticationError.

        ``method`` is upper-cased, as HTTP clients send it; the digest-uri is the URL's
        path and query exactly as given.
        """
        target = self._target(url)
        if target is None:
            yield None
            return FlowEnd.DONE
        if self._refused_realm is not None:
            raise self.refusal()
        request = _Request(method.upper(), target, body)
        next_step: str | FlowEnd | None = self._open(
            request, self._lanes.borrow() if self._strict else None
        )
        try:
            while not isinstance(next_step, FlowEnd):
                next_step = self._after(request, (yield next_step))
            return next_step
        finally:
            # Given back however the flow ends: a count drawn by a request whose fate is
            # unknown is only ever followed by higher ones, which a strict server takes.
            if request.lane is not None:
                self._lanes.give_back(request.lane)

    def _open(self, request: _Request, lane: Lane | None) -> str | None:
        """The first Authorization of ``request`` (in ``lane`` if given), or None to send none.

        A state whose counts are used up is dropped (from the lane, or as the shared one).
        """
        request.lane = lane
        state = self._state if lane is None else lane.state
        request.answering_fresh = request.new_lane = False
        authorization = None if state is None else state.authorization(*request.parts)
        if authorization is None and state is not None:
            if lane is not None:
                lane.state = None
            elif self._state is state:
                self._state = None
        request.state = state if authorization is not None else None
        return authorization

    def _after(self, request: _Request, response: DigestResponse) -> str | FlowEnd | None:
        """What follows ``response``: the next Authorization (or None), or the flow's end."""
        sent_with = request.state
        if response.status != 401:
            if sent_with is not None:
                self._accepted_realms.add(sent_with.challenge.realm)
                if request.new_lane:
                    self._lanes.established()
            return FlowEnd.DONE
        challenges = parse_www_authenticate(response.www_authenticate)
        if not any(challenge.scheme == "digest" for challenge in challenges):
            return FlowEnd.DONE
        challenge = select_challenge(challenges)
        reply = self._reply(request, challenge)
        if reply is None:
            return FlowEnd.DONE
        if self._refused_realm is not None:
            # Another flow learnt meanwhile that these credentials are refused.
            raise self.refusal()
        return self._respond(request, challenge, reply)

    def _respond(
        self, request: _Request, challenge: DigestChallenge, reply: _Reply
    ) -> str | FlowEnd | None:
        """Answer ``challenge`` where it belongs: in the flow's lane, shared, or a lane got now."""
        lane = request.lane
        if lane is not None:
            if reply is _Reply.LOST:
                request.losses += 1
                if self._lanes.lost(lane, again=request.losses > 1):
                    request.lane = None
                    return FlowEnd.RESTART
        elif not self._strict:
            self._stale_offered = challenge.stale
            return self._answer(request, self._adopt_shared(challenge))
        elif reply in (_Reply.FRESH, _Reply.CLAIM):
            lane = request.lane = self._lanes.new_lane()
        elif self._lanes.free():
            # Sent in the shared context, which strictness retired: the challenge
            # belongs to that context, not to this flow, which answers in a lane.
            return self._open(request, self._lanes.borrow())
        else:
            return FlowEnd.RESTART
        request.new_lane = reply is _Reply.FRESH and lane.state is None
        lane.state = self._new_state(challenge)
        return self._answer(request, lane.state)

    def _reply(self, request: _Request, challenge: DigestChallenge) -> _Reply | None:
        """What a 401 with ``challenge`` says; None if the credentials are refused.

        Raises AuthenticationError when a bound of stale answers or refused counts is passed.
        """
        sent_with = request.state
        if challenge.stale:
            request.stale_answers += 1
            if request.stale_answers > self._max_stale:
                raise AuthenticationError(
                    f"server kept answering stale=true ({request.stale_answers} times for "
                    f"one request) at {self._origin}; giving up",
                    status=401,
                )
        if sent_with is None:
            return _Reply.FRESH
        if challenge.stale:
            return _Reply.LOST if _lost_context(sent_with, challenge) else _Reply.STALE
        request.refusals += 1
        if self._refused_as_credentials(sent_with, request):
            self._refused_realm = sent_with.challenge.realm
            return None
        if request.refusals > self._max_order + 1:
            raise AuthenticationError(
                f"the server at {self._origin} refused {request.refusals} nonce counts in a "
                "row for one request; giving up",
                status=401,
            )
        if request.lane is None and self._become_strict(sent_with):
            return _Reply.CLAIM
        return _Reply.COUNT

    def _answer(self, request: _Request, state: NonceState) -> str:
        """The Authorization answering a fresh challenge, cached as ``state``."""
        authorization = state.authorization(*request.parts)
        if authorization is None:
            raise AuthenticationError(
                f"the server at {self._origin} reissued a nonce whose 2**32 - 1 counts are used up",
                status=401,
            )
        request.state = state
        request.answering_fresh = True
        return authorization

    def _become_strict(self, sent_with: NonceState) -> bool:
        """A count refused in the shared context: lanes from now on.

        True if the refused flow takes the shared context as its lane: the first one
        refused, while the shared state is still the one it sent with.
        """
        self._strict = True
        claims = self._state is sent_with
        self._state = None
        return claims

    def _refused_as_credentials(self, state: NonceState, request: _Request) -> bool:
        """Whether a refusal of ``request``, sent with ``state``, means wrong credentials.

        Never once the credentials were accepted in the realm, unless the refused
        request was the first count of a nonce that only it used, in a lane
        (strictness cannot explain that). Always before any acceptance: a driver
        judges such a refusal only once the requests in flight with it have
        answered, none of them accepted, so it is no count overtaken by a luckier one.
        """
        if state.challenge.realm in self._accepted_realms:
            return request.lane is not None and request.answering_fresh and state.exclusive
        return True

    def _target(self, url: str) -> str | None:
        """The request-target of ``url`` if it is at our origin, else None."""
        origin = self._origin
        if url.startswith(origin):
            rest = url[len(origin) :]
            if not rest or rest[0] in "/?#":
                return request_target(rest)
        split = split_origin(url)
        if split is None or split[0] != origin:
            return None
        return request_target(url[split[1] :])

    def refusal(self) -> AuthenticationError:
        """The error of a call refused because the credentials are (see :attr:`rejected`)."""
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

    def _adopt_shared(self, challenge: DigestChallenge) -> NonceState:
        """Cache ``challenge`` as the shared one (unless it is the one cached already)."""
        current = self._state
        if current is not None and current.challenge == attrs.evolve(challenge, stale=False):
            return current
        state = self._state = self._new_state(challenge)
        return state

    def _new_state(self, challenge: DigestChallenge) -> NonceState:
        """A state for ``challenge``, drawing from its nonce's counter (new or remembered).

        It is exclusive when the counter is new: no request used that nonce before.
        """
        # stale only says why the server answered 401; it is no part of the challenge.
        challenge = attrs.evolve(challenge, stale=False)
        count = self._counters.get(challenge.nonce)
        exclusive = count is None
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
        return NonceState(template, self._choose_qop(challenge), count, exclusive=exclusive)
