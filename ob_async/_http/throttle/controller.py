"""The controller: from the estimator's readings, the throttle's phase and the pace.

Each answer is fed in (:meth:`Controller.on_refused`, :meth:`Controller.on_accepted`,
:meth:`Controller.on_ceiling`); the controller reads the counts of
:class:`~.estimator.RateEstimator`, weighs them with the tests of :mod:`.evidence`,
fires the event of :mod:`.phases` they make, and sets the rate of the
:class:`~.pacer.Gcra` that paces every send.
``docs/rate-limits.md`` tells the whole story with the figures behind each constant.
"""

from __future__ import annotations

import logging
import math

from ob_async._http.throttle import evidence
from ob_async._http.throttle.config import ThrottleConfig
from ob_async._http.throttle.estimator import RateEstimator
from ob_async._http.throttle.evidence import ASSUMED_BACKGROUND, MIN_SAMPLE, PROBE_MARGIN
from ob_async._http.throttle.pacer import UNPACED, Gcra
from ob_async._http.throttle.phases import HELD, Event, Phase, PhaseMachine
from ob_async._http.throttle.probe import ProbeStep

logger = logging.getLogger("ob_async.throttle")

JUDGED_PART_OF_HOLD = 0.5
"""A hold is judged on its last half only: answers to what was sent before the pace
was set (a cold burst's first wave) arrive in the first, and are the old pace's."""
SAME_PACE = 1.001
"""A pace within this factor of the one measured is that pace (float rounding), not a
probe above it."""


class Controller:
    """Decides the throttle's phase and pace from what the estimator counted."""

    def __init__(self, config: ThrottleConfig, estimator: RateEstimator, pacer: Gcra) -> None:
        self.config = config
        self._estimator = estimator
        self._pacer = pacer
        self._machine = PhaseMachine()
        self.ceiling: float | None = None
        """A rate the server announced (rate-limit headers): never probed above."""
        self.background = 0.0
        """The 429 share that a lower pace did not end: refusals that are not this
        client's pace, which the thresholds sit above and the measurements discount."""
        self._measured_pace = math.inf
        """The pace the last measurement set: above it, the pace is probing."""
        self._step = ProbeStep(first=config.probe_start, largest=config.probe_max)
        self._hold_until = -math.inf
        self._trigger_share = 0.0
        """The 429 share of the answers that set the pace held."""
        self._tested_pace = self._tested_share = 0.0
        """While TESTING: the pace held before, and its 429 share."""
        self.decreases = 0

    @property
    def phase(self) -> Phase:
        return self._machine.phase

    # --- what an answer says --------------------------------------------------------

    def on_refused(self, now: float) -> None:
        """A 429 was counted."""
        if self.phase is Phase.UNTHROTTLED:
            self._engage(now)
        else:
            self._on_refused_paced(now)

    def on_accepted(self, now: float) -> None:
        """An answer that was not a 429 was counted."""
        if self.phase is Phase.UNTHROTTLED:
            return
        config = self.config
        if now - self._estimator.last_refusal_at >= config.release_after and self.ceiling is None:
            self._pacer.rate = UNPACED
            self._machine.fire(Event.RELEASED)
        elif self.phase in HELD:
            if now >= self._hold_until:
                self._end_held(now)
        else:
            self._probe(now)

    def on_ceiling(self, now: float, ceiling: float) -> None:
        """The server announced the rate it allows: pace just under it, at once."""
        if ceiling == self.ceiling:
            return
        self.ceiling = ceiling
        self._set_pace(now, max(self.config.min_rate, self._capped(ceiling)))
        self._machine.fire(Event.CEILING_ANNOUNCED)

    # --- deciding ---------------------------------------------------------------------

    def _engage(self, now: float) -> None:
        """Unthrottled: pace from now on if the 429s are a rate limit's."""
        config, estimator = self.config, self._estimator
        # A whole window even when the client began more recently: a limit is usually
        # met first as a bucket's burst running out, answered faster than its rate.
        since = now - config.window
        counts = estimator.counts(since)
        if not evidence.engages(
            counts,
            in_a_row=estimator.refused_in_a_row,
            first_window=now - estimator.first_answer_at < config.window,
            share=config.throttle_share,
        ):
            return
        # None accepted since the first 429 reads as no reading at all.
        limit = estimator.limit_since(now, since) or counts.accepted / config.window
        self._hold_under(now, limit, counts.refused / counts.answers)
        self._machine.fire(Event.LIMIT_MEASURED)

    def _on_refused_paced(self, now: float) -> None:
        """Paced: lower the pace if the 429s say it is over the limit."""
        config, estimator = self.config, self._estimator
        since, span = estimator.measurement(now)
        if span < config.measure_min:
            return  # too little since the last change to measure anything new
        counts = estimator.counts(since)
        if evidence.too_few(counts):
            return  # too few answers to tell a limit from chance
        if self.phase in HELD:
            if now >= self._hold_until:
                self._end_held(now)
                return
            if not evidence.clear_change(counts, self._trigger_share):
                return  # only a clear change moves a pace that is being held
        # Above the pace last measured, any share of 429s over the background means the
        # probe found the limit; at or under it, only a share that could not be chance.
        margin = PROBE_MARGIN if self._probing else config.throttle_share
        if not evidence.beyond_background(
            counts, self.background, margin, assumed=ASSUMED_BACKGROUND
        ):
            return
        share = evidence.share_of(counts)
        limit = estimator.limit_of_excess(now, since, share)
        if limit is None:
            return  # the bucket has only just run dry: too soon to read its rate
        self._hold_under(now, min(self._pacer.rate, limit / (1.0 - self.background)), share)
        estimator.limit = limit
        self._machine.fire(Event.LIMIT_MEASURED)

    def _end_hold(self, now: float) -> None:
        """The hold is over: its 429s say whether the pace is under the limit."""
        config, estimator = self.config, self._estimator
        rate = self._pacer.rate
        held_since = self._hold_until - config.hold * JUDGED_PART_OF_HOLD
        since = max(estimator.measurement(now)[0], held_since)
        counts = estimator.counts(since)
        if not evidence.beyond_background(counts, self.background, 0.0):
            self._machine.fire(Event.HOLD_CLEAN)
            return
        # Over the limit by their share, or background: a lower pace tells which, as a
        # limit's 429s end under it. Taken for background at once, the refusals of a pace
        # measured a little over the limit (8-16%) held it there: 5.4% of answers 429.
        share = counts.refused / counts.answers if counts.answers >= MIN_SAMPLE else 0.0
        limit = estimator.limit_since(now, since) or counts.accepted / (now - since)
        self._hold_under(now, min(rate, limit / (1.0 - self.background)), share)
        self._tested_pace, self._tested_share = rate, share
        estimator.limit = limit / (1.0 - self.background)  # unless the test says background
        self._machine.fire(Event.HOLD_REFUSED)

    def _end_test(self, now: float) -> None:
        """The lower pace's hold is over: the 429s it did not end are background."""
        estimator = self._estimator
        # Under a token bucket a pace under the limit is never refused: every 429 of
        # the test is one a lower pace did not end.
        counts = estimator.counts(estimator.measurement(now)[0])
        self.background = evidence.background_of(counts)
        if counts.refused:
            # The share the lower pace did end was the limit's: back up to what is left.
            ended = max(0.0, self._tested_share - self.background)
            self._measured_pace = max(self._pacer.rate, self._tested_pace * (1.0 - ended))
            self._set_pace(now, self._measured_pace)
            estimator.limit = math.inf
        self._machine.fire(Event.TEST_DONE)
        logger.debug("background measured: %.3f", self.background)

    def _end_held(self, now: float) -> None:
        if self.phase is Phase.TESTING:
            self._end_test(now)
        else:
            self._end_hold(now)

    def _probe(self, now: float) -> None:
        """Probing: grow the pace after a busy window without the limit's 429s."""
        config, estimator = self.config, self._estimator
        rate = self._pacer.rate
        since, span = estimator.measurement(now)
        if span < config.window:
            return
        counts = estimator.counts(since)
        # Over the limit last measured, one 429 more than the background is the limit's
        # bucket running dry under a probe: the next step would go far over it.
        over_limit = rate > self._measured_pace / config.headroom
        margin = PROBE_MARGIN if self._probing else config.throttle_share
        assumed = 0.0 if over_limit else ASSUMED_BACKGROUND
        if evidence.beyond_background(counts, self.background, margin, assumed=assumed):
            return
        # The last window only: a client that has just gone idle taught nothing.
        if estimator.counts(now - config.window).sent < config.busy_share * rate * config.window:
            estimator.restart(now)  # the pace was not needed: nothing learnt about the limit
            return
        grown = self._capped(rate * (1.0 + self._step.size))
        if grown > rate:
            self._step.grow(over_limit=grown > self._measured_pace / config.headroom)
            logger.debug("pace %.2f/s: probing", grown)
        self._set_pace(now, grown)
        self._machine.fire(Event.QUIET_WINDOW)

    # --- acting -----------------------------------------------------------------------

    def _hold_under(self, now: float, limit: float, share: float) -> None:
        """Pace just under ``limit`` (``share`` of the answers were 429), and hold it."""
        config = self.config
        rate = self._capped(max(config.min_rate, limit * config.headroom))
        self._set_pace(now, rate)
        self._measured_pace = rate
        self.decreases += 1
        self._step.restart()
        self._hold_until = now + config.hold
        self._trigger_share = share
        logger.debug("pace %.2f/s: measured %.2f/s, 429 share %.3f", rate, limit, share)

    def _set_pace(self, now: float, rate: float) -> None:
        self._pacer.rate = rate
        self._estimator.restart(now)

    @property
    def _probing(self) -> bool:
        return self._pacer.rate > self._measured_pace * SAME_PACE

    def _capped(self, rate: float) -> float:
        return self._step.under_ceiling(rate, self.ceiling)
