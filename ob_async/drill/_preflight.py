"""A drill's pre-flight checks: read-only, cached per instance, before anything is sent.

``restore_time = "latest"`` is resolved to the end of the source tenant's newest
restorable window, read at most :data:`LATEST_MAX_AGE` seconds before the item is
taken for sending; an explicit time must fall inside a window; the target name
must be free. An item that fails them is reported ``preflight_failed`` and never
sent. The probe, the drill's first read, is the first source's restorable
tenants, which the checks need anyway.

The zone check runs once, at validation: every item's ``target_tenant_primary_zone``
must be one of its target instance's ``availableZones`` (describe instance). A zone
no instance offers is a mistake in the plan, the same for every run: the drill stops
there (exit 2), naming each such item and the zones offered, before any restore is
sent. One page of the reference calls ``availableZones`` "the number of available
zones" (contract/openapi.yaml), so the check can be turned off (``[drill]
zone_check = false``); an instance whose answer lists no zones is not checked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from ob_async._client import ObClient
from ob_async._restore.runwide import probe, run_wide
from ob_async._wire.backups import RestorableTenant
from ob_async.drill._plan import PlanItem
from ob_async.drill._random_points import RandomDraws
from ob_async.errors import InvalidInputError, ObError

logger = logging.getLogger("ob_async.drill")

ZONE_PROBLEMS_SHOWN = 20
"""How many items a refused zone check names one by one (the rest are counted)."""

LATEST_MAX_AGE = 30.0
"""How old a read of the windows may be to resolve ``latest``. The window's end moves
on as the log is archived, and the restore point of ``latest`` is meant to be the end
at submission (the data-loss exposure is measured from it): a drill sending restores
for minutes re-reads it rather than restore its last items to where its first began."""


class Preflight:
    """The pre-flight checks of one run, with what they read cached per instance."""

    def __init__(self, client: ObClient) -> None:
        self.client = client
        self._windows: dict[str, dict[str, RestorableTenant]] = {}
        self._read_at: dict[str, float] = {}
        self._names: dict[str, set[str]] = {}
        self.names_taken = 0
        """How many items found their target name already used."""

    async def probe(self, instance_id: str) -> None:
        """One read before anything else (the instance's restorable tenants): a
        run-wide failure, such as refused credentials or an endpoint that is not
        there, ends the drill here with one message (:class:`RunWideError`) before
        any restore is sent; another failure is left to the checks' retries."""
        tenants = await probe(lambda: self.client.list_restorable_tenants(instance_id))
        if tenants is not None:
            self._keep(instance_id, tenants)

    async def check_zones(self, items: Iterable[PlanItem]) -> None:
        """Refuse, in one :class:`InvalidInputError`, every item whose primary zone its
        target instance does not offer."""
        offered: dict[str, tuple[str, ...] | None] = {}
        problems: list[str] = []
        for item in items:
            instance_id = item.template.target_instance_id
            if instance_id not in offered:
                offered[instance_id] = await self._zones(instance_id)
            zones = offered[instance_id]
            if zones is None or item.template.target_tenant_primary_zone in zones:
                continue
            place = f" (line {item.line})" if item.line is not None else ""
            problems.append(
                f"restore {item.key}{place}: target_tenant_primary_zone "
                f"{item.template.target_tenant_primary_zone!r} is not a zone of instance "
                f"{instance_id}, "
                f"which offers {', '.join(zones) or 'no zone'}"
            )
        if problems:
            more = len(problems) - ZONE_PROBLEMS_SHOWN
            shown = problems[:ZONE_PROBLEMS_SHOWN] + ([f"... and {more} more"] if more > 0 else [])
            raise InvalidInputError(
                f"{len(problems)} restore(s) ask for a zone their target instance does not "
                "offer (availableZones); nothing was sent:\n  " + "\n  ".join(shown),
                where="target_tenant_primary_zone",
            )

    async def _zones(self, instance_id: str) -> tuple[str, ...] | None:
        """The zones an instance offers; None when they cannot be known (not checked)."""
        try:
            instance = await self.client.retrying(
                lambda: self.client.describe_instance(instance_id)
            )
        except ObError as error:
            failure = run_wide(error)
            if failure is not None:
                raise failure from error
            logger.warning("zones of %s not checked: describing it failed: %s", instance_id, error)
            return None
        if not instance.available_zones:
            logger.warning("zones of %s not checked: its answer lists none", instance_id)
            return None
        return instance.available_zones

    async def check(
        self,
        plan_item: PlanItem,
        *,
        draws: RandomDraws | None = None,
        chosen: datetime | None = None,
    ) -> tuple[datetime | None, str | None]:
        """The restore time to send the item with (``latest`` resolved, ``random``
        drawn with ``draws`` unless ``chosen`` already), or why it may not be sent."""
        try:
            restore_time, reason = await self._resolve_restore_time(plan_item, draws, chosen)
            if reason is None and plan_item.template.target_tenant_name in await self._taken(
                plan_item.template.target_instance_id
            ):
                self.names_taken += 1
                reason = (
                    f"target name {plan_item.template.target_tenant_name!r} is already used in "
                    f"{plan_item.template.target_instance_id}"
                )
        except ObError as error:
            restore_time, reason = None, f"pre-flight check failed: {error}"
        return restore_time, reason

    async def _resolve_restore_time(
        self,
        plan_item: PlanItem,
        draws: RandomDraws | None = None,
        chosen: datetime | None = None,
    ) -> tuple[datetime | None, str | None]:
        """The restore time to use (``latest`` resolved, ``random`` drawn), or why
        there is none."""
        random_point = plan_item.random_point if chosen is None else None
        fresh = (plan_item.restore_time is None and chosen is None) or random_point is not None
        tenants = await self._restorable(
            plan_item.template.source_instance_id, max_age=LATEST_MAX_AGE if fresh else None
        )
        source = tenants.get(plan_item.template.source_tenant_id)
        if source is None:
            return None, (
                f"source tenant {plan_item.template.source_tenant_id} is not restorable from "
                f"{plan_item.template.source_instance_id} (not in its restorable tenants)"
            )
        if random_point is not None:
            if draws is None:  # the runner gives every run with random points a seed
                raise AssertionError(f"{plan_item.key}: a random restore point needs a seed")
            drawn = draws.point(plan_item.key, source.time_interval_list, random_point)
            if drawn is None:
                within = random_point.within_seconds
                return None, (
                    f"source tenant {plan_item.template.source_tenant_id} has no restorable time "
                    + (
                        f"within the last {random_point.within_text} (restore_time "
                        f"{random_point.describe()!r}, counted back from the run's start, "
                        f"{draws.anchor.isoformat()}); "
                        if within is not None
                        else "to draw a random restore point from; "
                    )
                    + f"its windows: {_windows(source) or 'none'}"
                )
            return drawn, None
        restore_time = chosen or plan_item.restore_time or source.latest_restorable_time
        if restore_time is None:
            return (
                None,
                f"source tenant {plan_item.template.source_tenant_id} has no restorable window",
            )
        if source.window_containing(restore_time) is None:
            return None, (
                f"restore time {restore_time.isoformat()} is outside every restorable window "
                f"({_windows(source) or 'none'})"
            )
        return restore_time, None

    async def _restorable(
        self, instance_id: str, *, max_age: float | None = None
    ) -> dict[str, RestorableTenant]:
        """The instance's restorable tenants, read again when older than ``max_age``."""
        cached = self._windows.get(instance_id)
        stale = (
            max_age is not None
            and self.client.clock.monotonic() - self._read_at.get(instance_id, 0.0) > max_age
        )
        if cached is None or stale:
            tenants = await self.client.retrying(
                lambda: self.client.list_restorable_tenants(instance_id)
            )
            cached = self._keep(instance_id, tenants)
        return cached

    def _keep(
        self, instance_id: str, tenants: list[RestorableTenant]
    ) -> dict[str, RestorableTenant]:
        self._read_at[instance_id] = self.client.clock.monotonic()
        kept = self._windows[instance_id] = {tenant.tenant_id: tenant for tenant in tenants}
        return kept

    async def _taken(self, instance_id: str) -> set[str]:
        cached = self._names.get(instance_id)
        if cached is None:
            # Page by page under the retry policy: an instance of thousands of tenants
            # is many pages, and retrying the whole listing would rarely get through.
            cached = self._names[instance_id] = {
                tenant.tenant_name
                async for tenant in self.client.iter_tenants(
                    instance_id, retry=self.client.retrying
                )
            }
        return cached


def _windows(source: RestorableTenant) -> str:
    return ", ".join(
        f"{w.start_time.isoformat()}..{w.end_time.isoformat()}" for w in source.time_interval_list
    )


def name_conflict_hint(count: int) -> str:
    """What to do when target names are taken: most often, by an earlier run of the plan."""
    return (
        f"{count} target name(s) already used. If an earlier run of this plan created "
        "them, 'ob-restore cleanup --journal <that run's journal>' deletes exactly its "
        "tenants; to let runs of a day coexist, put {time} or {run} in target_tenant_name "
        '(e.g. "{source_tenant_id}_dr_{date}_{time}").'
    )
