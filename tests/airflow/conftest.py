"""Fixtures of the Airflow provider's tests: one Airflow home per pytest worker, simulators."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ob_async.simulator import SimulatorConfig
from tests.airflow.harness import AirflowHome, SimulatorThread, Webhook, make_home


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> AirflowHome:
    """``airflow db migrate`` then ``airflow dags reserialize``, in a temporary home: each
    pytest-xdist worker has its own (tmp_path_factory's base is per worker)."""
    return make_home(tmp_path_factory.mktemp("airflow-home"))


@pytest.fixture
def start_simulator() -> Iterator[Callable[..., SimulatorThread]]:
    started: list[SimulatorThread] = []

    def start(**options: object) -> SimulatorThread:
        simulator = SimulatorThread(SimulatorConfig(**options))  # type: ignore[arg-type]
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()
