"""The rate estimator: what was sent, accepted and refused per tenth of a second, and the
server's limit those counts show.

While a client sends faster than a rate limit allows, the answers that are *not* 429
arrive at exactly the server's rate, whatever the client sent. So the limit is
measured, not guessed: the accepted answers per second counted from the first 429
of a span on. Before that first 429 a token bucket also spends what it saved while
the pace was under it, and counting from the span's start measured the limit 8-16%
high in the benchmark's probes; once it refuses it is empty, and what it accepts
from then on is its rate.

Counts live in a ring of :data:`SLOTS` slots of :data:`SLOT_SECONDS`; every reading
is of the slots since a moment. The estimator decides nothing: the controller
(:mod:`.controller`) reads it and sets the pace.
"""

from __future__ import annotations

import math
from http import HTTPStatus

import attrs

from ob_async._http.throttle.config import ThrottleConfig

SLOT_SECONDS = 0.1
"""Seconds per counting slot: a measurement starts within a tenth of a second of the
first 429, small against the shortest one (``measure_min``, 0.25 s)."""
SLOTS = 128
"""Slots kept (12.8 s): longer than any span a decision reads (a hold of 3 s, the
test that may follow it, and a window)."""
LONGEST_SPAN = (SLOTS - 2) * SLOT_SECONDS
"""The longest span a measurement covers: every slot kept but the one still counting
and the oldest, which the next slot overwrites."""
SLOT_EDGE = 1e-6
"""A moment this little under a slot's start belongs to that slot: 16.2 divides to
161.99999999999997, and a measurement from that start counted the slot before it
too (a limit of 40/s measured at 54)."""

MEASURE_ANSWERS = 40
"""Accepted answers behind the measurement of a small excess over the limit: a count
of 12 is off by one in 12, and a pace 8% over the limit held 3 s refuses 3% of it."""
MEASURE_WINDOWS = 2
"""Windows after which a small excess is read over the answers there are (a slow
limit never gives :data:`MEASURE_ANSWERS` in a few seconds)."""
CLEAR_EXCESS = 0.2
"""A 429 share this large is a limit's beyond doubt: read at once, and enough to
lower a pace that is being held."""
AGREES = 0.1
"""A first reading of the limit this close to the last measurement is taken for it:
the limit has not moved, and waiting for 40 answers cost six 429s a probe at 40/s."""


@attrs.frozen
class Counts:
    """What the slots since a moment hold."""

    sent: int
    accepted: int
    refused: int

    @property
    def answers(self) -> int:
        return self.accepted + self.refused


class RateEstimator:
    """Counting slots of one client's sends and answers, and the limit they show."""

    def __init__(self, config: ThrottleConfig, now: float) -> None:
        self._config = config
        self._sent = [0] * SLOTS
        self._accepted = [0] * SLOTS
        self._refused = [0] * SLOTS
        self._slot = slot_of(now)
        self.measuring_from = now
        """Where the current measurement starts: a change of pace starts a new one."""
        self.first_answer_at = math.inf
        self.last_refusal_at = -math.inf
        self.refused_in_a_row = 0
        """429s in a row, the last answers."""
        self.limit = math.inf
        """The limit's accepted rate as last measured; infinite while none is."""

    # --- counting -----------------------------------------------------------------

    def record_send(self, now: float) -> None:
        self._sent[self._advance(now)] += 1

    def record_answer(self, now: float, status: int) -> None:
        index = self._advance(now)
        if self.first_answer_at == math.inf:
            self.first_answer_at = now
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            self._refused[index] += 1
            self.refused_in_a_row += 1
            self.last_refusal_at = now
        elif status != HTTPStatus.UNAUTHORIZED:
            # A digest challenge is answered before any rate limit is counted.
            self._accepted[index] += 1
            self.refused_in_a_row = 0

    def _advance(self, now: float) -> int:
        slot = slot_of(now)
        if slot != self._slot:
            for number in range(self._slot + 1, min(slot, self._slot + SLOTS) + 1):
                index = number % SLOTS
                self._sent[index] = self._accepted[index] = self._refused[index] = 0
            self._slot = slot
        return slot % SLOTS

    def _numbers_since(self, since: float) -> range:
        return range(max(slot_of(since), self._slot - SLOTS + 1), self._slot + 1)

    def counts(self, since: float) -> Counts:
        """What the slots from the one ``since`` falls in to the current one hold."""
        numbers = [number % SLOTS for number in self._numbers_since(since)]
        return Counts(
            sent=sum(self._sent[index] for index in numbers),
            accepted=sum(self._accepted[index] for index in numbers),
            refused=sum(self._refused[index] for index in numbers),
        )

    # --- measuring ----------------------------------------------------------------

    def restart(self, now: float) -> None:
        """Measure afresh from the next slot: the current one holds answers to the old pace."""
        self.measuring_from = (slot_of(now) + 1) * SLOT_SECONDS

    def measurement(self, now: float) -> tuple[float, float]:
        """The start and length of what was counted since the measurement (re)started."""
        span = min(now - self.measuring_from, LONGEST_SPAN)
        return now - span, span

    def limit_since(self, now: float, since: float) -> float | None:
        """The limit's accepted rate from the first 429 since ``since`` on, or None."""
        counted = self._after_first_refusal(now, since)
        return None if counted is None else counted[0] / counted[1]

    def limit_of_excess(self, now: float, since: float, share: float) -> float | None:
        """The limit that 429s over the pace (``share`` of the answers) show, or None.

        A clear excess is read at once, a small one once its rate is known closely
        (over :data:`MEASURE_ANSWERS` answers), unless a first reading finds the limit
        where it was last measured.
        """
        counted = self._after_first_refusal(now, since)
        if counted is None:
            return None
        accepted, span = counted
        limit = accepted / span
        small = share < CLEAR_EXCESS and accepted < MEASURE_ANSWERS
        if small and span < MEASURE_WINDOWS * self._config.window:
            return self.limit if self._agrees(limit) else None
        return limit

    def _agrees(self, reading: float) -> bool:
        """Is ``reading`` the limit last measured? Never while none is: every reading
        is within 10% of infinity, and a probe's first few answers then cut its pace
        by the headroom alone, measuring nothing."""
        return math.isfinite(self.limit) and abs(reading - self.limit) <= AGREES * self.limit

    def _after_first_refusal(self, now: float, since: float) -> tuple[int, float] | None:
        """Accepted answers, and the seconds they took, from the first 429 counted since
        ``since`` on; None without a 429, or when that is less than ``measure_min``."""
        for number in self._numbers_since(since):
            if self._refused[number % SLOTS]:
                start = (number + 1) * SLOT_SECONDS
                span = now - start
                if span < self._config.measure_min:
                    return None
                return self.counts(start).accepted, span
        return None


def slot_of(moment: float) -> int:
    """The counting slot ``moment`` falls in (see :data:`SLOT_EDGE`)."""
    return math.floor(moment / SLOT_SECONDS + SLOT_EDGE)
