"""What can be restored: an instance's restorable tenants with their time windows, and
its backup sets (contract/openapi.yaml: ``RestorableTenant``, ``BackupSet``).

Decided on: a restorable tenant's ``tenantId`` and its windows (a restore time must
fall in one; "latest" is the newest end), a backup set's ``backupSetId``. The rest is
informative (:mod:`ob_async._wire.tolerant`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import attrs

from ob_async._wire.models import aware_time
from ob_async._wire.tolerant import informative

JsonObject = dict[str, Any]


@attrs.frozen(kw_only=True)
class TimeWindow:
    """A span of time a tenant can be restored to (both ends inclusive)."""

    start_time: datetime = attrs.field(validator=aware_time)
    end_time: datetime = attrs.field(validator=aware_time)
    storage_type: str | None = informative()

    def __contains__(self, moment: datetime) -> bool:
        return self.start_time <= moment <= self.end_time

    @property
    def duration(self) -> timedelta:
        return self.end_time - self.start_time


@attrs.frozen(kw_only=True)
class RestorableTenant:
    """A source tenant with the windows it can be restored to."""

    tenant_id: str
    time_interval_list: tuple[TimeWindow, ...] = ()
    tenant_name: str | None = informative()
    tenant_mode: str | None = informative()
    status: str | None = informative()
    ob_version: str | None = informative()
    cpu_num: int | None = informative()
    memory_num: int | None = informative()
    unit_num: int | None = informative()
    used_disk: int | None = informative()
    backup_set_restore_summaries: tuple[JsonObject, ...] = informative(factory=tuple)
    """Their fields are not published: kept as the JSON objects they are."""

    def window_containing(self, moment: datetime) -> TimeWindow | None:
        """The first window that contains ``moment``, or None."""
        return next((window for window in self.time_interval_list if moment in window), None)

    @property
    def latest_restorable_time(self) -> datetime | None:
        """The end of the newest window: the latest point this tenant can be restored to."""
        return max((window.end_time for window in self.time_interval_list), default=None)


@attrs.frozen(kw_only=True)
class BackupSet:
    """A data backup set of an instance."""

    backup_set_id: str
    backup_mode: str | None = informative()
    backup_object_type: str | None = informative()
    checkpoint: str | None = informative()
    data_backup_mode: str | None = informative()
    data_backup_size: float | None = informative()
    data_version: int | None = informative()
    download_enabled: bool | None = informative()
    download_task_id: int | None = informative()
    status: str | None = informative()
    start_time: datetime | None = informative(validator=aware_time)
    end_time: datetime | None = informative(validator=aware_time)
    storage_class: str | None = informative()
    tenant_id: str | None = informative()
