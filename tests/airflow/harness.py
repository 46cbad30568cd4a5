"""A real Airflow for the provider's tests: a home of its own, the simulator, and runs of it.

Airflow is imported only in subprocesses (``run_airflow``): importing it sets up logging,
configuration and a database for the whole process, which must not leak into the other
tests of a pytest worker. The simulator runs in this process, in a thread with its own event
loop, so that a test reads its counters (``SimulatorThread.stats``) as ground truth.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from ob_async.simulator import Simulator, SimulatorConfig

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_DAG = ROOT / "examples" / "airflow" / "weekly_rehearsal.py"
TEST_DAGS = Path(__file__).resolve().parent / "dags"
SCENARIOS = "tests.airflow.scenarios"
RESULT_MARK = "@@result@@ "


class SimulatorThread:
    """The embedded simulator, served from a thread (Airflow's processes call it over HTTP)."""

    def __init__(self, config: SimulatorConfig) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.simulator = Simulator(config)
        self._call(self.simulator.start())

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=60)

    @property
    def url(self) -> str:
        return self.simulator.url

    def stats(self) -> dict[str, Any]:
        async def read() -> dict[str, Any]:
            return self.simulator.stats()

        result: dict[str, Any] = self._call(read())
        return result

    def tenants(self, instance_id: str) -> list[dict[str, Any]]:
        async def read() -> list[dict[str, Any]]:
            return self.simulator.tenants(instance_id)

        result: list[dict[str, Any]] = self._call(read())
        return result

    def close(self) -> None:
        try:
            self._call(self.simulator.stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()


@attrs.frozen
class AirflowHome:
    """An ``AIRFLOW_HOME`` with a migrated metadata database and a DAGs folder."""

    path: Path

    @property
    def dags(self) -> Path:
        return self.path / "dags"

    @property
    def database(self) -> Path:
        return self.path / "airflow.db"

    def environ(self, extra: Mapping[str, str] = {}) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AIRFLOW", "OB_", "PYTEST_"))
        }
        env.update(
            AIRFLOW_HOME=str(self.path),
            AIRFLOW__CORE__DAGS_FOLDER=str(self.dags),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            # No Fernet key: what Airflow would encrypt is stored in clear, so that a search
            # of the database for a secret sees every value as written.
            AIRFLOW__CORE__FERNET_KEY="",
            PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
        )
        env.update(extra)
        return env

    def airflow(self, *args: str, extra: Mapping[str, str] = {}, timeout: float = 300) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "airflow", *args],
            env=self.environ(extra),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"airflow {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout + done.stderr

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.database) as db:
            return list(db.execute(sql, params))

    def dump(self) -> Iterator[str]:
        """Every value of every table of the metadata database, as text."""
        with sqlite3.connect(self.database) as db:
            db.text_factory = lambda raw: raw.decode("utf-8", "replace")
            tables = [
                row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            for table in tables:
                for row in db.execute(f'SELECT * FROM "{table}"'):
                    for value in row:
                        if value is not None:
                            yield (
                                value.decode("utf-8", "replace")
                                if isinstance(value, bytes)
                                else str(value)
                            )

    def files_text(self) -> Iterator[tuple[Path, str]]:
        """Every file under the home but the database, as text (logs, configuration)."""
        for path in self.path.rglob("*"):
            if path.is_file() and path != self.database:
                yield path, path.read_bytes().decode("utf-8", "replace")


def make_home(path: Path) -> AirflowHome:
    """A home with the example DAG, a migrated database and the DAG serialized."""
    home = AirflowHome(path)
    home.dags.mkdir(parents=True)
    for dag_file in (EXAMPLE_DAG, *sorted(TEST_DAGS.glob("*.py"))):
        shutil.copy(dag_file, home.dags / dag_file.name)
    home.airflow("db", "migrate")
    home.airflow("dags", "reserialize")
    return home


def run_scenario(
    home: AirflowHome,
    scenario: str,
    *args: str,
    extra: Mapping[str, str] = {},
    timeout: float = 600,
) -> tuple[dict[str, Any], str]:
    """Run one scenario of ``tests/airflow/scenarios.py`` under Airflow, in a subprocess:
    its JSON result, and everything it printed."""
    done = subprocess.run(
        [sys.executable, "-m", SCENARIOS, scenario, *args],
        env=home.environ(extra),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )
    output = done.stdout + done.stderr
    results = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    assert done.returncode == 0, f"scenario {scenario} failed:\n{output[-20000:]}"
    assert results, f"scenario {scenario} printed no result:\n{output[-20000:]}"
    return json.loads(results[-1][len(RESULT_MARK) :]), output


class Webhook:
    """A local HTTP endpoint that keeps the JSON bodies POSTed to it (a notification's)."""

    def __init__(self) -> None:
        import http.server

        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def connection_env(
    conn_id: str,
    *,
    conn_type: str,
    host: str | None = None,
    login: str | None = None,
    password: str | None = None,
    schema: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """An Airflow connection given in the environment (it never enters the database)."""
    value: dict[str, Any] = {"conn_type": conn_type}
    for key, field in (
        ("host", host),
        ("login", login),
        ("password", password),
        ("schema", schema),
    ):
        if field is not None:
            value[key] = field
    if extra is not None:
        value["extra"] = dict(extra)
    return {f"AIRFLOW_CONN_{conn_id.upper()}": json.dumps(value)}
