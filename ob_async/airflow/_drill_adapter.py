"""The one place where the Airflow provider meets the drill (:mod:`ob_async.drill`).

The drill's in-process API is being reshaped; everything the operators need of it goes
through the few functions here, so that a new API is wired in this module alone: load a
plan, run it (journaled, resumable) to a JSON summary, and delete what restores created,
marker-checked as ``ob-restore cleanup`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import attrs

from ob_async._client import ObClient
from ob_async.airflow._records import SubmittedRestore
from ob_async.airflow._settings import ConnectionSettings
from ob_async.drill import DrillOptions, DrillPlan, DrillRunner, load_plan, write_reports
from ob_async.drill._cleanup import CleanupAction, RunTenant, clean_run, load_run_tenants
from ob_async.drill._report.convert import to_json

__all__ = [
    "CleanupAction",
    "DrillOutcome",
    "RunTenant",
    "clean_up",
    "journal_tenants",
    "load_plan",
    "restore_tenants",
    "run_drill",
]


@attrs.frozen(kw_only=True)
class DrillOutcome:
    summary: dict[str, Any]
    """The report's header (run id, times, counts, recovery percentiles, notes): JSON-able."""
    failed: int
    """Restores that failed (see docs/reports.md: the missed RTOs are apart)."""
    missed_rto: int
    not_started: int
    run_error: str | None
    journal: str | None


class _LogEvents:
    """The drill's progress events, as log lines of the task."""

    def __init__(self, log: Callable[..., None]) -> None:
        self._log = log

    def emit(self, event: str, **fields: Any) -> None:
        if event in ("start", "item", "finish", "note"):
            details = " ".join(f"{key}={value}" for key, value in fields.items())
            self._log("drill %s %s", event, details)


async def run_drill(
    settings: ConnectionSettings,
    plan: DrillPlan,
    *,
    journal: Path,
    resume: bool,
    cleanup: bool | None,
    report_json: Path | None,
    junit: Path | None,
    log: Callable[..., None],
) -> DrillOutcome:
    """Run ``plan`` to its end through a client of ``settings`` (the plan's poll settings)."""
    async with settings.client(poll=plan.poll_config()) as client:
        runner = DrillRunner(
            client,
            plan,
            DrillOptions(
                journal_path=journal,
                resume=resume,
                cleanup=cleanup,
                endpoint_label=settings.endpoint,
            ),
            events=_LogEvents(log),
        )
        report = await runner.run()
    try:
        write_reports(report, json_path=report_json, junit_path=junit)
        header = to_json(report.header())
    finally:
        report.close()
    summary = header["summary"]
    return DrillOutcome(
        summary=header,
        failed=int(summary["failed"]),
        missed_rto=int(summary["rtoMissed"]),
        not_started=int(summary["notStarted"]),
        run_error=header["runError"],
        journal=str(runner.journal_path) if runner.journal_path else None,
    )


def journal_tenants(path: Path) -> list[RunTenant]:
    """The restores a recorded drill run sent, from its journal."""
    return load_run_tenants(path)[1]


def restore_tenants(submitted: Iterable[SubmittedRestore]) -> list[RunTenant]:
    """The restores restore tasks sent, from their ``submission`` records."""
    return [
        RunTenant(
            key=f"{restore.instance_id}/{restore.tenant_name}",
            target_instance_id=restore.instance_id,
            target_tenant_name=restore.tenant_name,
            request_id=restore.request_id,
        )
        for restore in submitted
    ]


async def clean_up(
    client: ObClient, tenants: list[RunTenant], *, dry_run: bool
) -> list[dict[str, Any]]:
    """Delete each tenant that carries its restore's marker; one JSON result per restore."""
    return [
        {
            "instance_id": result.tenant.target_instance_id,
            "tenant_name": result.tenant.target_tenant_name,
            "request_id": result.tenant.request_id,
            "tenant_id": result.tenant_id,
            "action": str(result.action),
            "detail": result.detail,
        }
        async for result in clean_run(client, tenants, dry_run=dry_run)
    ]
