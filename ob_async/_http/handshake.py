"""A session's first digest exchanges: one 401 for a cold burst, and the burst still concurrent.

Until the server has accepted the credentials, a session's calls pass through
:class:`Handshake` instead of going straight out:

- The first call takes the lock and sends without credentials. As soon as the
  401 it gets has given the engine a challenge (not a ``stale=true`` one), the
  lock is released: the calls queued behind it go out together, pre-emptively,
  at the same time as the first call's own answer. A cold burst of N calls
  costs one 401 and two round trips, not N 401s nor N sequential exchanges.
- A first exchange that fails before that point (a challenge that cannot be
  answered, ``stale=true`` forever) fails the calls queued behind it with the
  same error, without a request each.
- While the credentials are not yet known to be good, a refusal of a request
  that went out with others is not judged at once: against a server that
  checks nonce counts strictly, the answer to the first challenge can be
  overtaken by a queued call and refused although the password is right. The
  refused call waits until the credentials were accepted (the refusal was a
  count's: the engine answers the new nonce) or no request of the burst is
  still in flight (they were all refused: the engine declares the credentials
  refused). So with a wrong secret each call of a cold burst is refused after
  at most one request of its own, and every later call sends nothing.

Once any call has finished (the credentials accepted, or refused for good)
:attr:`Handshake.warm` is True and calls no longer come here.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from multidict import CIMultiDictProxy

from ob_async._digest import DigestAuth, DigestResponse, FlowEnd
from ob_async.errors import AuthenticationError, ChallengeError


class Response(Protocol):
    """What the handshake reads of an HTTP answer."""

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> CIMultiDictProxy[str]: ...


R = TypeVar("R", bound=Response)


def digest_response(response: Response) -> DigestResponse:
    """What the digest engine is told of a response: its status and its challenges."""
    if response.status != 401:
        return DigestResponse(response.status)
    return DigestResponse(401, tuple(response.headers.getall("WWW-Authenticate", ())))


class Handshake:
    """The cold start of one session's digest authentication (see the module docstring)."""

    def __init__(self, auth: DigestAuth) -> None:
        self.auth = auth
        self.warm = False
        # One call at a time fetches the first challenge; the others wait for it together,
        # so that they all wake at once (a lock would hand over to them one by one).
        self._fetching = False
        self._fetched = asyncio.Event()
        self._failures = 0
        self._error: AuthenticationError | ChallengeError | None = None
        # Requests with credentials in flight before the credentials were accepted.
        self._in_flight = 0
        self._changed = asyncio.Event()

    async def exchange(
        self, method: str, url: str, body: bytes, send: Callable[[str | None], Awaitable[R]]
    ) -> R | None:
        """One call's exchange while the session is cold.

        None if the request, answered 401, is to go again in a lane of the engine's
        (:attr:`FlowEnd.RESTART`: the origin turned out to check counts strictly).
        """
        failures = self._failures
        while self._fetching:
            await self._fetched.wait()
            if self._failures != failures and self._error is not None:
                raise _shared_failure(self._error)
        fetching = not (self.warm or self.auth.ready())
        if fetching:
            self._fetching = True
            self._fetched = asyncio.Event()
        try:
            flow = self.auth.flow(method, url, body)
            try:
                authorization = next(flow)
                while True:
                    response = await self._send(send, authorization)
                    if response.status == 401 and authorization is not None:
                        await self._settled()
                    try:
                        authorization = flow.send(digest_response(response))
                    except StopIteration as stop:
                        self.warm = True
                        return None if stop.value is FlowEnd.RESTART else response
                    if fetching and self.auth.ready():
                        fetching = self._fetched_now()
            except (AuthenticationError, ChallengeError) as error:
                if fetching:
                    self._failures += 1
                    self._error = error
                raise
            finally:
                flow.close()
        finally:
            if fetching:
                self._fetched_now()

    def _fetched_now(self) -> bool:
        """The fetching call is done fetching: the calls waiting for it go. Returns False."""
        self._fetching = False
        self._fetched.set()
        return False

    async def _send(
        self, send: Callable[[str | None], Awaitable[R]], authorization: str | None
    ) -> R:
        counted = authorization is not None and not self.warm
        if counted:
            self._in_flight += 1
        try:
            return await send(authorization)
        finally:
            if counted:
                self._in_flight -= 1
                # Woken waiters run after this call has fed its response to the engine.
                self._changed.set()
                self._changed = asyncio.Event()

    async def _settled(self) -> None:
        """Wait until a refusal can be judged: accepted, refused, or nothing in flight."""
        auth = self.auth
        while not (self.warm or auth.accepted() or auth.rejected) and self._in_flight > 0:
            await self._changed.wait()


def _shared_failure(
    error: AuthenticationError | ChallengeError,
) -> AuthenticationError | ChallengeError:
    """The failure of the handshake a call queued behind, as this call's own error."""
    shared = copy.copy(error)
    shared.request_id = None  # the session sets the call's own
    return shared
