"""The facts of a run that an auditor asks for first: what ran, where, by whom, when.

They are read from the journal's run record (the one source of truth: the drill writes
them there when it starts, and its end on the ``finished`` line). A journal written before
the run record held them lacks some; those are taken from the plan and from what the
sealing command is told, and ``source`` says so.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import attrs

from ob_async.drill._journal import JournalState
from ob_async.drill._journal_record import Person
from ob_async.drill._plan import DrillPlan
from ob_async.drill._plan.item import InstancePair
from ob_async.drill._report.control_facts import RunScope

FROM_JOURNAL = "the journal's run record"
FROM_JOURNAL_AND_SEALER = (
    "the journal's run record, written before it held every fact: the missing ones "
    "from the plan and the sealing command's endpoint and project"
)


@attrs.frozen(kw_only=True)
class RunFacts:
    """The facts of one drill run, as a bundle records them (facts.json)."""

    run_id: str
    drill: str
    tool_version: str | None
    """The version of ob-restore that ran the drill."""
    endpoint_origin: str | None
    """Scheme, host and port of the API endpoint; never a path, query or user name."""
    project_id: str | None
    started_at: datetime | None
    ended_at: datetime | None
    ran_by: Person | None
    instances: tuple[InstancePair, ...] = ()
    """Which source instances restore into which target instances (segregated when they
    differ), with how many restores each."""
    restore_points: dict[str, int] | None = None
    """How the restore points were chosen, by choice (``latest``, ``explicit``, ...)."""
    require_segregation: bool | None = None
    source: str = FROM_JOURNAL
    """Where these facts were read from."""

    @property
    def target_instances(self) -> list[str]:
        return sorted({pair.target for pair in self.instances})


def facts_from_journal(
    state: JournalState,
    *,
    plan: DrillPlan | None = None,
    endpoint: str | None = None,
    project_id: str | None = None,
) -> RunFacts:
    """The facts of the run ``state`` records; ``plan``, ``endpoint`` and ``project_id``
    only stand in for what an older journal does not record."""
    run = state.run
    complete = run.endpoint_origin is not None and run.instances is not None
    scope = RunScope.of_record(run, plan)
    return RunFacts(
        run_id=run.run_id or "",
        drill=run.drill or "",
        tool_version=run.tool_version,
        endpoint_origin=run.endpoint_origin or (origin_of(endpoint) if endpoint else None),
        project_id=run.project_id or project_id,
        started_at=run.started_at,
        ended_at=state.ended_at,
        ran_by=run.ran_by,
        instances=scope.instances or (),
        restore_points=dict(scope.restore_points) if scope.restore_points is not None else None,
        require_segregation=scope.require_segregation,
        source=FROM_JOURNAL if complete else FROM_JOURNAL_AND_SEALER,
    )


def origin_of(endpoint: str) -> str:
    """``https://host:port`` of an endpoint URL, without anything that could carry a secret."""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"
