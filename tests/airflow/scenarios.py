"""Scenarios run under a real Airflow, one per subprocess (see ``harness.run_scenario``).

``python -m tests.airflow.scenarios NAME ARGS...`` prints its result as one JSON line
after ``@@result@@``.
"""

from __future__ import annotations

import json
import runpy
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

RESULT_MARK = "@@result@@ "


def _dag(dag_id: str) -> Any:
    """The DAG of that id in the DAGs folder, imported as the DAG processor would."""
    from airflow.configuration import conf
    from airflow.sdk import DAG

    for path in sorted(Path(conf.get("core", "dags_folder")).glob("*.py")):
        namespace = runpy.run_path(str(path), run_name=f"dag_file_{path.stem}")
        for value in namespace.values():
            if isinstance(value, DAG) and value.dag_id == dag_id:
                return value
    raise LookupError(f"no DAG {dag_id!r} in the DAGs folder")


def run_dag(dag_id: str, logical_date: str) -> dict[str, Any]:
    """``dag.test()`` of a DAG of the DAGs folder; its run's state."""
    dag = _dag(dag_id)
    run = dag.test(logical_date=datetime.fromisoformat(logical_date))
    return {"state": str(run.state), "run_id": run.run_id}


class _TaskInstance:
    """What a restore task reads of its task instance, for operators run as the triggerer
    tests need them: many deferred at once, outside a DAG run."""

    def __init__(self, dag_id: str, task_id: str, run_id: str, map_index: int) -> None:
        self.dag_id, self.task_id, self.run_id, self.map_index = dag_id, task_id, run_id, map_index
        self.try_number = 1
        self.xcoms: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value


def _restore(instance: str, tenant_name: str, **options: Any) -> Any:
    """A restore task of the simulator's world, into ``instance``."""
    from ob_async.airflow import ObRestoreOperator

    return ObRestoreOperator(
        task_id="restore",
        source_instance_id="ob-prod-sh",
        source_tenant_id="tsh001",
        target_instance_id=instance,
        target_tenant_primary_zone="cn-shanghai-e",
        target_tenant_name=tenant_name,
        cpu=1,
        memory=4,
        **options,
    )


def _deferred(operator: Any, ti: _TaskInstance) -> Any:
    """The trigger ``operator.execute`` deferred to."""
    from airflow.sdk.exceptions import TaskDeferred

    try:
        operator.execute({"ti": ti})
    except TaskDeferred as deferred:
        return deferred.trigger
    raise AssertionError(f"{operator} did not defer")


def _as_the_triggerer_loads_it(trigger: Any) -> tuple[Any, str]:
    """The trigger stored as a task's deferral stores it, and rebuilt as the triggerer does;
    and the stored row's kwargs column."""
    from airflow._shared.module_loading import import_string
    from airflow.models.trigger import Trigger
    from airflow.serialization.decoders import smart_decode_trigger_kwargs

    row = Trigger.from_object(trigger)
    stored = Trigger._decrypt_kwargs(row.encrypted_kwargs)
    kwargs = {key: smart_decode_trigger_kwargs(value) for key, value in stored.items()}
    return import_string(row.classpath)(**kwargs), row.encrypted_kwargs


def _stats(url: str) -> dict[str, Any]:
    import urllib.request

    with urllib.request.urlopen(f"{url}/_simulator/stats", timeout=30) as answer:
        stats: dict[str, Any] = json.load(answer)
    return stats


async def _fire_all(triggers: list[Any]) -> list[Any]:
    """Run every trigger in this one event loop, as a triggerer does; their first events."""
    import asyncio

    async def first_event(trigger: Any) -> Any:
        async for event in trigger.run():
            return event.payload
        return None

    return list(await asyncio.gather(*(first_event(trigger) for trigger in triggers)))


def mapped_restores(url: str, count: str, instance: str) -> dict[str, Any]:
    """``count`` restore task instances (map indexes of one task) into ``instance``: each
    submits and defers; their triggers, rebuilt from what was stored, wait in one loop."""
    import asyncio

    operators = [_restore(instance, f"mapped_{index:04d}", rto=600) for index in range(int(count))]
    triggers = [
        _deferred(operator, _TaskInstance("ob_mapped", "restore", "manual__1", index))
        for index, operator in enumerate(operators)
    ]
    loaded = [_as_the_triggerer_loads_it(trigger) for trigger in triggers]
    before = _stats(url)
    events = asyncio.run(_fire_all([trigger for trigger, _ in loaded]))
    after = _stats(url)
    records = [
        operator.execute_complete({}, event)
        for operator, event in zip(operators, events, strict=True)
    ]
    return {
        "stored": [stored for _, stored in loaded],
        "serialized": [trigger.serialize() for trigger in triggers],
        "reloaded": [trigger.serialize() for trigger, _ in loaded],
        "events": events,
        "records": records,
        "before": before,
        "after": after,
    }


def lifecycle(url: str, instance: str) -> dict[str, Any]:
    """Waits that are cancelled or run out of time leave the shared client cleanly, and the
    last one out closes it."""
    import asyncio
    import gc
    import warnings
    from datetime import UTC, datetime, timedelta

    from ob_async.airflow import ObTenantOnlineTrigger
    from ob_async.airflow._trigger import SHARED_CLIENTS

    conn = "oceanbase_cloud_default"
    triggers = [
        _deferred(
            _restore(instance, f"life_{index}"),
            _TaskInstance("ob_life", "restore", "manual__1", index),
        )
        for index in range(3)
    ]
    soon = datetime.now(UTC) + timedelta(seconds=1)
    short = ObTenantOnlineTrigger(**{**triggers[2].serialize()[1], "deadline": soon.isoformat()})
    past = ObTenantOnlineTrigger(
        **{**triggers[2].serialize()[1], "deadline": "2020-01-01T00:00:00+00:00"}
    )
    facts: dict[str, Any] = {}

    async def first_event(trigger: Any) -> Any:
        async for event in trigger.run():
            return event.payload
        return None

    async def main() -> None:
        facts["past"] = await first_event(past)
        facts["after_past"] = SHARED_CLIENTS.borrowers(conn)
        waits = [asyncio.ensure_future(first_event(t)) for t in (triggers[0], triggers[1], short)]
        for _ in range(3000):  # bounded: a wait that never borrows fails here, not hangs
            if SHARED_CLIENTS.borrowers(conn) >= 3:
                break
            await asyncio.sleep(0.01)
        facts["while_waiting"] = SHARED_CLIENTS.borrowers(conn)
        waits[0].cancel()
        await asyncio.gather(waits[0], return_exceptions=True)
        facts["cancelled"] = waits[0].cancelled()
        facts["after_cancel"] = SHARED_CLIENTS.borrowers(conn)
        facts["short"] = await waits[2]
        facts["after_short"] = SHARED_CLIENTS.borrowers(conn)
        facts["other"] = await waits[1]
        facts["after_all"] = SHARED_CLIENTS.borrowers(conn)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(main())
        gc.collect()
    facts["unclosed"] = [str(w.message) for w in caught if "nclosed" in str(w.message)]
    return facts


SCENARIOS = {"run_dag": run_dag, "mapped_restores": mapped_restores, "lifecycle": lifecycle}


def main(argv: list[str]) -> None:
    name, *args = argv
    result = SCENARIOS[name](*args)
    print(RESULT_MARK + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
