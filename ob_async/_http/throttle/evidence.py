"""When 429s are a rate limit's and not chance: the tests the controller applies to counts.

A server's 429s come from two sources: its rate limit, which refuses what goes over
it, and background (a flaky gateway, injected faults), which refuses a share of
answers whatever the pace. Only the first is a reason to slow down, and a few
stray refusals look like it among few answers. Each test here is a pure function
of the estimator's :class:`~.estimator.Counts`, so the figures behind each
threshold can be checked alone.
"""

from __future__ import annotations

import math

from ob_async._http.throttle.estimator import CLEAR_EXCESS, Counts

MIN_SAMPLE = 20
"""Fewer answers than this are judged as if there were this many: among ten, two 429s
are as likely chance as a limit."""
FEW_ANSWERS_SHARE = 0.5
"""Among fewer than :data:`MIN_SAMPLE` answers, at least this share must be 429 for a
limit (a 1,000-restore drill through faults was paced down by pairs of stray 429s
and took 70 s instead of 11 s)."""
FIRST_WINDOW_SHARE = 0.25
"""Within the first window of answers, the 429 share that engages the limiter: a
bucket's saved burst running out gives that much, a few stray 429s do not."""
REFUSALS_IN_A_ROW = 5
"""This many 429s in a row engage the limiter at once: a bucket that runs dry refuses
every request, random refusals do not (five in a row at 3%: once in 40 million), and
waiting for a share let every worker of a 64-wide drill meet its own 429."""
MIN_REFUSALS = 2
"""Paced, a single 429 lowers nothing: one is as likely chance as a limit."""
CLEAR_CHANGE = 1.5
"""While a pace is held, a 429 share this many times the one that set it (and at least
:data:`~.estimator.CLEAR_EXCESS`) says the limit moved: measured again at once."""
ASSUMED_BACKGROUND = 0.03
"""The background share chance is allowed for before one is measured: two 429s among
49 answers are a 3% background's as often as not, and a pace cut for them at 20/s
crept back up through windows that one stray 429 kept from counting."""
PROBE_MARGIN = 0.01
"""Above the pace last measured, 429s over the background by this share of the answers
say the probe found the limit (a probe's excess is small by design)."""
CHANCE_DEVIATIONS = 2.0
"""Standard deviations of chance allowed for over the background: a count over it by
less is one a random background gives about once in 40 windows."""
MAX_BACKGROUND = 0.5
"""The largest background share believed: more is no gateway's noise, and the pace
must still answer it."""


def engages(counts: Counts, *, in_a_row: int, first_window: bool, share: float) -> bool:
    """Unthrottled: are these 429s (``share`` of the answers needed, ``in_a_row`` the
    last ones) a rate limit's?"""
    needed = FIRST_WINDOW_SHARE if first_window else share
    if counts.answers < MIN_SAMPLE:
        needed = max(needed * MIN_SAMPLE / max(counts.answers, 1), FEW_ANSWERS_SHARE)
    return counts.refused >= needed * counts.answers or in_a_row >= REFUSALS_IN_A_ROW


def too_few(counts: Counts) -> bool:
    """Paced: too few 429s, or answers, to tell a limit from chance."""
    few_answers = counts.answers < MIN_SAMPLE
    return counts.refused < MIN_REFUSALS or (few_answers and share_of(counts) < FEW_ANSWERS_SHARE)


def clear_change(counts: Counts, held_share: float) -> bool:
    """Is the 429 share far enough over ``held_share`` (the one that set a pace being
    held) to say the limit moved?"""
    return share_of(counts) >= max(CLEAR_EXCESS, CLEAR_CHANGE * held_share)


def beyond_background(
    counts: Counts, background: float, margin: float, *, assumed: float = 0.0
) -> bool:
    """More 429s than ``background`` gives by chance, by ``margin`` of the answers at
    least (:data:`CHANCE_DEVIATIONS` of chance on top, of a background of ``assumed``
    at least: one not yet measured may be there)."""
    spread = max(background, assumed)
    chance = CHANCE_DEVIATIONS * math.sqrt(counts.answers * spread * (1.0 - spread))
    return counts.refused > counts.answers * (background + margin) + chance


def background_of(counts: Counts) -> float:
    """The background share a test measured: its 429s were those a lower pace did not end."""
    return min(counts.refused / max(counts.answers, 1), MAX_BACKGROUND)


def share_of(counts: Counts) -> float:
    """The 429 share of the answers (0.0 without any)."""
    return counts.refused / counts.answers if counts.answers else 0.0
