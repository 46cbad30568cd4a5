"""A drill run in process: the embedded simulator, a client and a :class:`DrillRunner` in one
event loop on virtual time (:mod:`tests.support.virtual_time`).

A test builds a plan (:func:`tests.support.drill_plans.write_plan`), starts a
:class:`DrillWorld` (the simulator, with the faults, restore times and seed it asks for),
and runs the drill with :meth:`DrillWorld.drill`. It gets back a :class:`DrillRun`: the
report as written (``write_reports``: the same JSON and JUnit the command line writes), the
journal, and every progress event. The simulator's own counters and tenants are the truth
the run is checked against.

Interrupts are made where they happen in the command line: ``stop`` (a first SIGINT) and
``abort`` (the second), called from a progress event at the exact moment a test names, or
the run's task cancelled.
"""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs

from ob_async import ObClient, PollConfig
from ob_async.batch import FailurePolicy
from ob_async.drill import DrillOptions, DrillReport, DrillRunner, load_plan, write_reports
from ob_async.drill._renderers.summary_text import summary_lines
from ob_async.simulator import Simulator, SimulatorConfig
from tests.support.drill_plans import ACCESS_KEY_ID, PROJECT, SECRET
from tests.support.virtual_time import VirtualClock

Event = tuple[str, dict[str, Any]]
QUICK_POLLS = PollConfig(initial_interval=0.2, max_interval=0.5)
OnEvent = Callable[[DrillRunner, str, dict[str, Any]], None]


@attrs.frozen
class DrillRun:
    """What one run left: its report as the files say it, its journal and its events."""

    report: dict[str, Any]
    """The JSON report (``--report-json``)."""
    junit: ET.Element
    """The JUnit report's ``testsuite`` (``--junit``)."""
    summary_lines: list[str]
    """What the command prints at the end."""
    journal: Path | None
    events: list[Event]

    @property
    def items(self) -> list[dict[str, Any]]:
        return list(self.report["items"])

    @property
    def states(self) -> list[str]:
        return [item["state"] for item in self.items]

    @property
    def by_state(self) -> dict[str, int]:
        return dict(self.report["summary"]["byState"])

    def journal_events(self, event: str) -> list[dict[str, Any]]:
        """The journal's lines of one event, in order."""
        assert self.journal is not None
        lines = [json.loads(line) for line in self.journal.read_text().splitlines()]
        return [line for line in lines if line.get("event") == event]


class _Events:
    """The runner's progress events, kept, each shown to the test's hook as it happens."""

    def __init__(self, on_event: OnEvent | None) -> None:
        self.seen: list[Event] = []
        self.runner: DrillRunner | None = None
        self._on_event = on_event

    def emit(self, event: str, **fields: Any) -> None:
        self.seen.append((event, fields))
        if self._on_event is not None and self.runner is not None:
            self._on_event(self.runner, event, fields)


INTERRUPTED = "the drill was interrupted (SIGINT)"
"""The reason the command line gives a stop on SIGINT."""


def stop_when(
    event: str, *, count: int = 1, then_abort_after: float | None = None, **fields: Any
) -> OnEvent:
    """A hook that stops the run as a first SIGINT does when the ``count``-th ``event``
    (with these ``fields``) is emitted; ``then_abort_after``: and aborts it that many
    seconds later, as a second SIGINT does (what is in flight is then interrupted)."""
    seen = 0

    def on_event(runner: DrillRunner, name: str, emitted: dict[str, Any]) -> None:
        nonlocal seen
        if name != event or any(emitted.get(key) != value for key, value in fields.items()):
            return
        seen += 1
        if seen == count:
            runner.stop(INTERRUPTED)
            if then_abort_after is not None:
                asyncio.get_running_loop().call_later(then_abort_after, runner.abort, INTERRUPTED)

    return on_event


@attrs.define
class DrillWorld:
    """The simulator and the client a drill runs through, on virtual time."""

    simulator: Simulator
    tmp_path: Path
    clock: VirtualClock
    project: str = PROJECT

    def client(self, **options: Any) -> ObClient:
        return ObClient(
            options.pop("endpoint", self.simulator.url),
            options.pop("credentials", self.simulator.credentials),
            options.pop("project", self.project),
            poll=options.pop("poll", QUICK_POLLS),
            clock=self.clock,
            **options,
        )

    async def drill(
        self,
        plan_path: Path,
        *,
        journal: Path | None = None,
        resume: bool = False,
        dry_run: bool = False,
        cleanup: bool | None = None,
        concurrency: int | None = None,
        rate: float | None = None,
        failure_policy: FailurePolicy = FailurePolicy.COLLECT_ALL,
        max_failures: int | None = None,
        on_event: OnEvent | None = None,
        client: ObClient | None = None,
        simulated: bool = False,
        name: str = "run",
    ) -> DrillRun:
        """Run the plan to its report, as ``ob-restore drill`` does, written to files
        (``simulated``: the plan read as ``--simulate`` reads it)."""
        events = _Events(on_event)
        plan = load_plan(plan_path, simulated=simulated)
        async with client or self.client(poll=plan.poll_config()) as active:
            runner = events.runner = DrillRunner(
                active,
                plan,
                DrillOptions(
                    journal_path=journal,
                    resume=resume,
                    dry_run=dry_run,
                    cleanup=cleanup,
                    concurrency=concurrency,
                    rate=rate,
                    endpoint_label=self.simulator.url,
                    failure_policy=failure_policy,
                    max_failures=max_failures,
                ),
                events=events,
            )
            report = await runner.run()
        return self._written(report, runner, events, name)

    async def cancelled_drill(
        self, plan_path: Path, *, journal: Path, when: Callable[[str, dict[str, Any]], bool]
    ) -> DrillRun:
        """Run the plan and cancel its task once ``when(event, fields)`` holds, as whatever
        owns the task may: what the runner reported."""
        plan = load_plan(plan_path)
        task: asyncio.Task[DrillReport] | None = None

        def on_event(runner: DrillRunner, event: str, fields: dict[str, Any]) -> None:
            if task is not None and not task.done() and when(event, fields):
                task.cancel()

        events = _Events(on_event)
        async with self.client(poll=plan.poll_config()) as active:
            runner = events.runner = DrillRunner(
                active,
                plan,
                DrillOptions(journal_path=journal, endpoint_label=self.simulator.url),
                events=events,
            )
            task = asyncio.create_task(runner.run())
            await asyncio.wait([task])
            assert task.cancelled(), "the drill ended before it was cancelled"
        assert runner.report is not None, "a cancelled drill keeps its report"
        return self._written(runner.report, runner, events, "cancelled")

    def _written(
        self, report: DrillReport, runner: DrillRunner, events: _Events, name: str
    ) -> DrillRun:
        json_path = self.tmp_path / f"{name}.json"
        junit_path = self.tmp_path / f"{name}.xml"
        try:
            write_reports(report, json_path=json_path, junit_path=junit_path)
            lines = summary_lines(report)
        finally:
            report.close()
        suite = ET.parse(junit_path).getroot().find("testsuite")
        assert suite is not None
        return DrillRun(
            report=json.loads(json_path.read_text()),
            junit=suite,
            summary_lines=lines,
            journal=runner.journal_path,
            events=events.seen,
        )

    def stats(self) -> dict[str, Any]:
        return self.simulator.stats()

    def restore_posts(self) -> int:
        return int(self.stats()["requestsByRoute"].get("restore", 0))

    def tenant_names(self, instance_id: str = "ob-dr-east", prefix: str = "e2e_") -> list[str]:
        """The tenants the server holds (its ground truth), in creation order."""
        return [
            tenant["tenantName"]
            for tenant in self.simulator.tenants(instance_id)
            if tenant["tenantName"].startswith(prefix)
        ]


@asynccontextmanager
async def drill_world(tmp_path: Path, **options: Any) -> AsyncIterator[DrillWorld]:
    """The simulator (``options``: :class:`SimulatorConfig` fields) on the loop's virtual
    time, with the test credentials."""
    clock = VirtualClock()
    config = SimulatorConfig(
        access_key_id=ACCESS_KEY_ID, access_key_secret=SECRET, clock=clock, **options
    )
    async with Simulator(config) as simulator:
        yield DrillWorld(simulator, tmp_path, clock)
