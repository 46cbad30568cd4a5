"""Apache Airflow provider: deferrable restores, drills and clean-ups as Airflow tasks.

Installed with the ``airflow`` extra (``pip install 'ob-async[airflow]'``), and registered with
Airflow through the ``apache_airflow_provider`` entry point (connection type
``oceanbase_cloud``: host = endpoint, login = AccessKey ID, password = AccessKey secret,
extra = ``project_id`` and the client's options).

- :class:`ObCloudHook`: the connection made into an :class:`~ob_async.ObClient`;
- :class:`ObRestoreOperator`: one restore per task instance (mappable), submitted once
  whatever the retries, waited for in the triggerer;
- :class:`ObTenantOnlineTrigger`: the wait; waits of one connection share one client;
- :class:`ObDataCheckOperator`: read-only SQL checks and the measured RPO of a restored tenant;
- :class:`ObDrillOperator`: a whole drill plan, journaled and resumable;
- :class:`ObCleanupOperator`: deletes what restores or a drill created, and only that.

The names are loaded on first use: Airflow's providers manager imports this package to read
the provider's description while it starts, before its own task API can be imported.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ob_async._extras import require_extra

require_extra("airflow", "ob_async.airflow (the Airflow provider)")

if TYPE_CHECKING:
    from ob_async.airflow._cleanup_operator import ObCleanupOperator
    from ob_async.airflow._data_operator import ObDataCheckOperator
    from ob_async.airflow._drill_operator import ObDrillOperator
    from ob_async.airflow._hook import ObCloudHook
    from ob_async.airflow._records import restore_request_id
    from ob_async.airflow._restore_operator import ObRestoreOperator
    from ob_async.airflow._trigger import ObTenantOnlineTrigger

_HOMES = {
    "ObCleanupOperator": "ob_async.airflow._cleanup_operator",
    "ObCloudHook": "ob_async.airflow._hook",
    "ObDataCheckOperator": "ob_async.airflow._data_operator",
    "ObDrillOperator": "ob_async.airflow._drill_operator",
    "ObRestoreOperator": "ob_async.airflow._restore_operator",
    "ObTenantOnlineTrigger": "ob_async.airflow._trigger",
    "restore_request_id": "ob_async.airflow._records",
}

__all__ = [
    "ObCleanupOperator",
    "ObCloudHook",
    "ObDataCheckOperator",
    "ObDrillOperator",
    "ObRestoreOperator",
    "ObTenantOnlineTrigger",
    "restore_request_id",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
