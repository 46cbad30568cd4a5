"""Fixtures of the data-check tests: a real MariaDB server for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sqldata.mariadb import MariaDB, running_mariadb


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDB]:
    yield from running_mariadb(tmp_path_factory.mktemp("mariadb"))
