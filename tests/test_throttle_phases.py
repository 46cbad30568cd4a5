"""The throttle's phases: every transition of the table happens for the reason it names,
and one the table does not have is refused loudly.

Each scenario drives a real limiter (on a fake clock, against the token-bucket server of
``test_throttle``) into a phase and then makes the event happen the way a server would;
a spy on :meth:`PhaseMachine.fire` records every transition the controller makes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from ob_async._http.priority import Priority
from ob_async._http.throttle import AdaptiveRateLimiter, ThrottleConfig
from ob_async._http.throttle.phases import (
    TRANSITIONS,
    Event,
    Phase,
    PhaseMachine,
    UndefinedTransition,
)
from tests.support.fakes import FakeClock
from tests.test_throttle import FakeServer

Transition = tuple[Phase, Event, Phase]
POLICY_30 = {"RateLimit-Policy": "30;w=1"}


@pytest.fixture
def fired(monkeypatch: pytest.MonkeyPatch) -> list[Transition]:
    """Every transition any limiter makes while the test runs."""
    seen: list[Transition] = []
    fire = PhaseMachine.fire

    def spy(machine: PhaseMachine, event: Event) -> Phase:
        before = machine.phase
        after = fire(machine, event)
        seen.append((before, event, after))
        return after

    monkeypatch.setattr(PhaseMachine, "fire", spy)
    return seen


class Run:
    """A limiter, the server it sends to, and a client that sends 500 requests a second."""

    def __init__(self, rate: float = 40.0, *, burst: float = 1.0, **config: float) -> None:
        self.clock = FakeClock()
        self.server = FakeServer(self.clock, rate, burst=burst)
        self.limiter = AdaptiveRateLimiter(ThrottleConfig(**config), clock=self.clock)

    async def send(self) -> None:
        await self.limiter.acquire(Priority.SUBMIT)
        self.limiter.observe(self.server.answer())
        self.clock.elapsed += 0.002

    async def until(self, phase: Phase, *, within: float = 30.0) -> None:
        """Send until the limiter is in ``phase``."""
        deadline = self.clock.elapsed + within
        while self.limiter.phase is not phase:
            assert self.clock.elapsed < deadline, f"never {phase}: still {self.limiter.phase}"
            await self.send()

    async def for_seconds(self, seconds: float) -> None:
        end = self.clock.elapsed + seconds
        while self.clock.elapsed < end:
            await self.send()

    def quiet(self, seconds: float) -> None:
        """No request for ``seconds``, then one answer that is not a 429."""
        self.clock.elapsed += seconds
        self.limiter.observe(200)


async def engaged_by_a_run_of_429s() -> Run:
    run = Run()
    for _ in range(5):
        run.limiter.observe(429)
    return run


async def held() -> Run:
    run = Run()
    await run.until(Phase.HOLDING)
    return run


async def testing() -> Run:
    # Five seconds of burst let the first pace be measured far over the limit: the
    # hold's 429s go on, and a lower pace tests them.
    run = Run(burst=5.0)
    await run.until(Phase.TESTING)
    return run


async def probing() -> Run:
    run = Run()
    await run.until(Phase.PROBING)
    return run


async def clear_change(run: Run) -> None:
    """The limit drops to a quarter: the 429 share is a clear change, measured at once."""
    pace, decreases = run.limiter.rate, run.limiter.decreases
    assert pace is not None
    run.server.rate /= 4
    while run.limiter.decreases == decreases:
        await run.send()
    assert run.limiter.phase is Phase.HOLDING
    assert run.limiter.rate is not None
    assert run.limiter.rate < pace / 2


SCENARIOS: dict[tuple[Phase, Event], Callable[[], Awaitable[None]]] = {}


def scenario(phase: Phase, event: Event) -> Callable[[Callable[[], Awaitable[None]]], object]:
    def register(run: Callable[[], Awaitable[None]]) -> object:
        SCENARIOS[(phase, event)] = run
        return run

    return register


@scenario(Phase.UNTHROTTLED, Event.LIMIT_MEASURED)
async def _unthrottled_429s_in_a_row() -> None:
    run = await engaged_by_a_run_of_429s()
    assert run.limiter.rate is not None


@scenario(Phase.UNTHROTTLED, Event.CEILING_ANNOUNCED)
async def _unthrottled_policy() -> None:
    run = Run()
    run.limiter.observe(200, POLICY_30)
    assert run.limiter.rate is not None


@scenario(Phase.HOLDING, Event.LIMIT_MEASURED)
async def _holding_limit_drops() -> None:
    run = await held()
    await clear_change(run)


@scenario(Phase.HOLDING, Event.HOLD_CLEAN)
async def _holding_under_the_limit() -> None:
    run = await held()
    await run.until(Phase.PROBING)


@scenario(Phase.HOLDING, Event.HOLD_REFUSED)
async def _holding_over_the_limit() -> None:
    await testing()


@scenario(Phase.HOLDING, Event.CEILING_ANNOUNCED)
async def _holding_policy() -> None:
    run = await held()
    run.limiter.observe(200, POLICY_30)
    assert run.limiter.rate is not None
    assert run.limiter.rate <= 30


@scenario(Phase.HOLDING, Event.RELEASED)
async def _holding_quiet() -> None:
    run = await engaged_by_a_run_of_429s()
    run.quiet(31.0)
    assert run.limiter.rate is None


@scenario(Phase.TESTING, Event.LIMIT_MEASURED)
async def _testing_limit_drops() -> None:
    await clear_change(await testing())


@scenario(Phase.TESTING, Event.TEST_DONE)
async def _testing_ends() -> None:
    run = await testing()
    await run.until(Phase.PROBING)


@scenario(Phase.TESTING, Event.CEILING_ANNOUNCED)
async def _testing_policy() -> None:
    run = await testing()
    run.limiter.observe(200, POLICY_30)
    assert run.limiter.rate is not None
    assert run.limiter.rate <= 30


@scenario(Phase.TESTING, Event.RELEASED)
async def _testing_quiet() -> None:
    run = await testing()
    run.quiet(31.0)
    assert run.limiter.rate is None


@scenario(Phase.PROBING, Event.LIMIT_MEASURED)
async def _probing_finds_the_limit() -> None:
    run = await probing()
    await run.until(Phase.HOLDING)


@scenario(Phase.PROBING, Event.QUIET_WINDOW)
async def _probing_grows() -> None:
    run = await probing()
    pace = run.limiter.rate
    assert pace is not None
    await run.for_seconds(1.5)
    assert run.limiter.rate is not None
    assert run.limiter.rate > pace


@scenario(Phase.PROBING, Event.CEILING_ANNOUNCED)
async def _probing_policy() -> None:
    run = await probing()
    run.limiter.observe(200, POLICY_30)
    assert run.limiter.rate is not None
    assert run.limiter.rate <= 30


@scenario(Phase.PROBING, Event.RELEASED)
async def _probing_quiet() -> None:
    run = await probing()
    run.quiet(31.0)
    assert run.limiter.rate is None


TABLE = [
    (phase, event, following)
    for phase, row in TRANSITIONS.items()
    for event, following in row.items()
]


def test_every_transition_of_the_table_has_a_scenario() -> None:
    assert set(SCENARIOS) == {(phase, event) for phase, event, _ in TABLE}


@pytest.mark.parametrize(
    ("phase", "event", "following"), TABLE, ids=lambda x: getattr(x, "name", "")
)
async def test_the_transition_happens_for_its_reason(
    phase: Phase, event: Event, following: Phase, fired: list[Transition]
) -> None:
    await SCENARIOS[(phase, event)]()
    assert (phase, event, following) in fired


@pytest.mark.parametrize(
    ("phase", "event"),
    [(phase, event) for phase in Phase for event in Event if event not in TRANSITIONS[phase]],
    ids=lambda x: x.name,
)
def test_an_undefined_transition_is_refused(phase: Phase, event: Event) -> None:
    machine = PhaseMachine(phase)
    with pytest.raises(UndefinedTransition) as caught:
        machine.fire(event)
    assert phase.value in str(caught.value)
    assert event.value in str(caught.value)
    assert machine.phase is phase


async def test_a_transition_missing_from_the_table_stops_the_limiter_loudly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A controller that fires an event its phase does not have is a bug: the answer
    # that led to it fails, rather than the throttle going on in a phase it cannot be in.
    monkeypatch.setitem(TRANSITIONS, Phase.HOLDING, {})
    run = Run()
    with pytest.raises(UndefinedTransition, match="holding"):
        await run.until(Phase.PROBING)
