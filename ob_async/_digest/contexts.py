"""The server-side contexts the engine answers in: a nonce's state, and a strict origin's lanes.

A :class:`NonceState` is one cached challenge: the precomputed
:class:`~ob_async._digest.compute.AuthorizationTemplate`, the qop we answer it
with and the nonce's counter (shared by every state of that nonce, so no
``(nonce, nc)`` is drawn twice).

A :class:`Lane` is a context the server keeps for us alone, lent to one flow at
a time, so that its counts reach the server in the order they were drawn. At
Apache's ``mod_auth_digest`` with ``AuthDigestNcCheck On`` a context is a client
record named by ``opaque``: one live nonce (the newest used), counts strictly
rising, a new record for every request sent without credentials, and a table of
records that forgets the least recent ones when it is full (with the default
``AuthDigestShmemSize``, about a dozen for the whole server). So a lane is born
of a request without credentials, and every challenge answering a request sent
in a lane belongs to that lane.

:class:`LanePool` holds the lanes of one strict origin and decides how many
there may be: it starts with :data:`INITIAL_LANES`, adds one for every new lane
the server accepts (so it doubles per round trip while the server keeps up, as
TCP's slow start), and once the server is seen forgetting a lane it halves the
ceiling (once per loss: the losses of one purge count once) and stops growing.
A flow that finds no lane free waits (the driver's job: :meth:`LanePool.free`),
and a flow whose lane was forgotten while more lanes were live than the ceiling
gives its lane up and starts over.
"""

from __future__ import annotations

import itertools
import os

from ob_async._digest.challenge import DigestChallenge
from ob_async._digest.compute import MAX_NC, AuthorizationTemplate

INITIAL_LANES = 4
"""Lanes a strict origin may have before the server has accepted any of them."""


def new_cnonce() -> str:
    """A fresh client nonce: 128 bits from the OS's CSPRNG, in hex."""
    return os.urandom(16).hex()


class NonceState:
    """One cached challenge: its template, the qop we answer it with, its nonce's counter.

    ``exclusive``: a state whose counter no other state shared when it was made, so
    a refusal of its first count cannot be another request's doing.
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


class Lane:
    """A context the server keeps for us alone; ``state`` is None until its challenge is in.

    ``epoch``: the pool's epoch when the lane got its current context, so that the
    losses of one purge lower the ceiling once.
    """

    __slots__ = ("epoch", "state")

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch
        self.state: NonceState | None = None


class LanePool:
    """The lanes of one strict origin: idle ones (most recent last), and the ceiling."""

    __slots__ = ("_epoch", "_growing", "_idle", "_max", "ceiling", "live")

    def __init__(self, max_lanes: int) -> None:
        self._max = max_lanes
        self._idle: list[Lane] = []
        self._epoch = 0
        self._growing = True
        self.ceiling = min(INITIAL_LANES, max_lanes)
        self.live = 0
        """Lanes that exist: idle, lent, or being fetched."""

    def free(self) -> bool:
        """True if a flow can have a lane now (an idle one, or a new one under the ceiling)."""
        return bool(self._idle) or self.live < self.ceiling

    def borrow(self) -> Lane:
        """The most recently used idle lane, else a new empty one.

        A new one is made even at the ceiling: a driver that does not wait for
        :meth:`free` goes over it rather than fail.
        """
        if self._idle:
            return self._idle.pop()
        return self.new_lane()

    def new_lane(self) -> Lane:
        self.live += 1
        return Lane(self._epoch)

    def give_back(self, lane: Lane) -> None:
        """A flow is done with ``lane``: idle again, or dropped if over the ceiling or empty."""
        if lane.state is None or self.live > self.ceiling or len(self._idle) >= self._max:
            self.live -= 1
        else:
            self._idle.append(lane)

    def established(self) -> None:
        """The server accepted a new lane's first answer: slow start grows the ceiling."""
        if self._growing and self.ceiling < self._max:
            self.ceiling += 1

    def lost(self, lane: Lane, *, again: bool = False) -> bool:
        """The server forgot ``lane``'s context. True if the flow must give the lane up.

        The first loss of an epoch halves the ceiling (the lanes live now are more
        than the server keeps) and ends the growth; idle lanes over the ceiling are
        dropped, the least recently used first (the server forgot those first). A
        flow over the ceiling gives its lane up, and so does one whose lane was lost
        ``again`` (lanes keep pushing each other out of the server's table: one less
        is what ends it); the others answer in a new context.
        """
        if lane.epoch == self._epoch:
            self._epoch += 1
            self._growing = False
            self.ceiling = max(1, min(self.ceiling, self.live // 2))
            excess = min(len(self._idle), self.live - self.ceiling)
            if excess > 0:
                del self._idle[:excess]
                self.live -= excess
        if again or self.live > self.ceiling:
            self.live -= 1
            return True
        lane.epoch = self._epoch
        lane.state = None
        return False
