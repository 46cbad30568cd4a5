"""The throttle's phases and every transition between them, in one table.

Rule: a phase changes only through :meth:`PhaseMachine.fire`, and only along
:data:`TRANSITIONS`; an event the table does not list for the current phase is a
bug in the controller, refused with :class:`UndefinedTransition` rather than
followed silently. What each phase means for the pace:

- ``UNTHROTTLED``: no pace; every request goes at once. 429s are counted.
- ``HOLDING``: a pace set just under a measured limit is held for ``hold``
  seconds; only a clear change of the 429 share lowers it meanwhile.
- ``TESTING``: the hold ended with more 429s than chance gives, so a lower pace
  is held in turn: the limit's 429s end under it, background refusals (a flaky
  gateway, injected faults) go on, and which one they were is then known.
- ``PROBING``: the pace grows after each busy window without the limit's 429s, so
  that a limit that was raised is found; the next 429s over the background lower
  it again.

The controller (:mod:`.controller`) decides which event an answer is; this module
knows nothing of rates.
"""

from __future__ import annotations

import enum
import logging

logger = logging.getLogger("ob_async.throttle")


class Phase(enum.Enum):
    UNTHROTTLED = "unthrottled"
    HOLDING = "holding"
    TESTING = "testing"
    PROBING = "probing"


class Event(enum.Enum):
    LIMIT_MEASURED = "limit measured"
    """429s showed a limit: the pace is set under the rate measured, and held."""
    HOLD_CLEAN = "hold clean"
    """A hold ended without more 429s than chance gives: the pace is under the limit."""
    HOLD_REFUSED = "hold refused"
    """A hold ended with more 429s than chance gives: a lower pace tests them."""
    TEST_DONE = "test done"
    """A test ended: the share of 429s the lower pace did not end is background."""
    QUIET_WINDOW = "quiet window"
    """A busy window without the limit's 429s: the pace grows by the probe's step."""
    CEILING_ANNOUNCED = "ceiling announced"
    """The server's headers announced a rate: the pace follows it at once."""
    RELEASED = "released"
    """No 429 for ``release_after`` seconds (and no ceiling): pacing stops."""


TRANSITIONS: dict[Phase, dict[Event, Phase]] = {
    Phase.UNTHROTTLED: {
        Event.LIMIT_MEASURED: Phase.HOLDING,
        Event.CEILING_ANNOUNCED: Phase.PROBING,
    },
    Phase.HOLDING: {
        Event.LIMIT_MEASURED: Phase.HOLDING,
        Event.HOLD_CLEAN: Phase.PROBING,
        Event.HOLD_REFUSED: Phase.TESTING,
        Event.CEILING_ANNOUNCED: Phase.HOLDING,
        Event.RELEASED: Phase.UNTHROTTLED,
    },
    Phase.TESTING: {
        Event.LIMIT_MEASURED: Phase.HOLDING,
        Event.TEST_DONE: Phase.PROBING,
        Event.CEILING_ANNOUNCED: Phase.TESTING,
        Event.RELEASED: Phase.UNTHROTTLED,
    },
    Phase.PROBING: {
        Event.LIMIT_MEASURED: Phase.HOLDING,
        Event.QUIET_WINDOW: Phase.PROBING,
        Event.CEILING_ANNOUNCED: Phase.PROBING,
        Event.RELEASED: Phase.UNTHROTTLED,
    },
}
"""phase -> event -> the next phase. A hold ends only in a judgement (``HOLD_*``,
``TEST_DONE``) or a new measurement; a limit lifted by quiet starts from scratch."""

HELD = frozenset({Phase.HOLDING, Phase.TESTING})
"""The phases that hold a pace until a judgement ends them."""


class UndefinedTransition(RuntimeError):
    """The controller fired an event its current phase does not have (a bug)."""


class PhaseMachine:
    """The current phase; it moves only along :data:`TRANSITIONS`."""

    def __init__(self, phase: Phase = Phase.UNTHROTTLED) -> None:
        self.phase = phase

    def fire(self, event: Event) -> Phase:
        """Move to the phase ``event`` leads to from the current one, and return it."""
        try:
            following = TRANSITIONS[self.phase][event]
        except KeyError:
            raise UndefinedTransition(
                f"the throttle has no transition for {event.value!r} in phase {self.phase.value!r}"
            ) from None
        if following is not self.phase:
            logger.debug(
                "throttle phase %s -> %s (%s)", self.phase.value, following.value, event.value
            )
        self.phase = following
        return following
