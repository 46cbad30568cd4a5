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


SCENARIOS = {"run_dag": run_dag}


def main(argv: list[str]) -> None:
    name, *args = argv
    result = SCENARIOS[name](*args)
    print(RESULT_MARK + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
