"""The core installs lean: `pip install ob-async` is the client alone, in a fresh environment.

An application that awaits a restore must not pull a MySQL driver, an SQL engine, a terminal
UI or a metrics library, and must not import one either. The product's parts (the CLI, the data
checks, the simulator) each fail at first use with one message naming the extra to install.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

from ob_async._extras import EXTRAS

ROOT = Path(__file__).resolve().parents[1]
EXTRA_DISTRIBUTIONS = {
    "asyncmy",
    "sqlglot",
    "mysql-mimic",
    "rich",
    "prometheus-client",
    "apache-airflow",
    "apache-airflow-core",
    "apache-airflow-task-sdk",
}
EXTRA_MODULES = ("asyncmy", "sqlglot", "mysql_mimic", "rich", "prometheus_client", "airflow")

USE_THE_CLIENT = """
import asyncio, json, sys
import ob_async
from ob_async import ClientConfig, Credentials, ObClient, RetryPolicy, TransportError
from ob_async._extras import MissingExtraError

async def main():
    # A closed port: the session, digest, throttle and retry layers all run, and fail cleanly.
    credentials = Credentials("AK", "not-a-secret")
    config = ClientConfig(connect_timeout=0.5)
    async with ObClient("http://127.0.0.1:9", credentials, "p", config=config) as client:
        try:
            await client.retrying(
                lambda: client.list_tenants("ob1"), policy=RetryPolicy(max_attempts=2)
            )
        except TransportError:
            pass

asyncio.run(main())
errors = {}
for feature in ("import ob_async.simulator", "import ob_async.drill", "import ob_async.airflow"):
    try:
        exec(feature)
    except MissingExtraError as error:
        errors[feature] = str(error)
try:
    from ob_async.data import DataVerifier
    DataVerifier(None)
except MissingExtraError as error:
    errors["DataVerifier"] = str(error)
print(json.dumps({"loaded": sorted(m for m in sys.modules if m.split(".")[0] in %r),
                  "errors": errors}))
"""


@pytest.fixture(scope="session")
def core_environment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with `pip install <this repository>`, no extras.

    Made once per run: in a parallel run the first worker that needs it makes it in the
    run's own directory, and the others wait for it and share it (a minute's work each).
    """
    run_directory = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run_directory = run_directory.parent  # the workers' common parent, new each run
    home = run_directory / "core-venv"
    python = home / "bin" / "python"
    with (run_directory / "core-venv.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (home / "installed").exists():
            shutil.rmtree(home, ignore_errors=True)  # a failed attempt's remains
            venv.EnvBuilder(with_pip=True).create(home)
            subprocess.run(
                [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", str(ROOT)],
                check=True,
                timeout=600,
            )
            (home / "installed").touch()
    return python


@pytest.mark.timeout(900)
def test_the_core_installs_none_of_the_extras_dependencies(core_environment: Path) -> None:
    listed = subprocess.run(
        [core_environment, "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    installed = {row["name"].lower() for row in json.loads(listed.stdout)}
    assert "ob-async" in installed
    assert not installed & EXTRA_DISTRIBUTIONS


@pytest.mark.timeout(900)
def test_using_the_client_imports_no_extra_and_each_part_names_its_extra(
    core_environment: Path,
) -> None:
    done = subprocess.run(
        [core_environment, "-c", USE_THE_CLIENT % (EXTRA_MODULES,)],
        capture_output=True,
        text=True,
        check=True,
        cwd=core_environment.parent,  # not the repository: the installed copy is what runs
    )
    result = json.loads(done.stdout)
    assert result["loaded"] == []
    assert result["errors"] == {
        "import ob_async.simulator": "The embedded simulator needs the 'simulator' extra "
        "(mysql_mimic, sqlglot not installed): pip install 'ob-async[simulator]'",
        "import ob_async.drill": "ob_async.drill (plans, drills and their reports) needs the "
        "'cli' extra (rich, prometheus_client, cryptography, asyncmy, sqlglot, mysql_mimic not "
        "installed): pip install 'ob-async[cli]'",
        "import ob_async.airflow": "ob_async.airflow (the Airflow provider) needs the 'airflow' "
        "extra (airflow, rich, prometheus_client, cryptography, asyncmy, sqlglot, mysql_mimic "
        "not installed): pip install 'ob-async[airflow]'",
        "DataVerifier": "Checking a restored tenant's data needs the 'data' extra "
        "(asyncmy, sqlglot not installed): pip install 'ob-async[data]'",
    }


@pytest.mark.timeout(900)
def test_the_command_without_its_extra_says_how_to_install_it(core_environment: Path) -> None:
    command = core_environment.parent / "ob-restore"
    done = subprocess.run([command, "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "ob-restore: The ob-restore command needs the 'cli' extra (rich, prometheus_client, "
        "cryptography, asyncmy, sqlglot, mysql_mimic not installed): pip install 'ob-async[cli]'\n"
    )
    assert sys.executable  # the suite's own interpreter is untouched by the environment above


IMPORT_NAMES = {"apache-airflow": "airflow"}  # a distribution imported under another name


def _extra_closure(extras: dict[str, list[str]], name: str) -> set[str]:
    """The distributions an extra installs, its `ob-async[...]` extras followed."""
    found: set[str] = set()
    for requirement in extras[name]:
        spec = re.split(r"[<>=!~ ;]", requirement, maxsplit=1)[0]
        if spec.startswith("ob-async["):
            for inner in spec[len("ob-async[") : -1].split(","):
                found |= _extra_closure(extras, inner)
        else:
            found.add(spec.lower())
    return found


@pytest.mark.parametrize("extra", sorted(EXTRAS))
def test_each_extra_checks_for_what_it_installs(extra: str) -> None:
    # The check that names a missing extra (ob_async/_extras.py) and what pip installs for it
    # (pyproject.toml) are one list: a module the extra brings and the check does not know
    # of fails later with a traceback (`ob-restore` once did, with `[cli]` alone).
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    installed = _extra_closure(project["optional-dependencies"], extra)
    assert {IMPORT_NAMES.get(name, name.replace("-", "_")) for name in installed} == set(
        EXTRAS[extra]
    )


RUN_WITHOUT = """
import sys
for name in sys.argv[1:]:
    sys.modules[name] = None  # as if not installed: imports fail, find_spec says None
sys.argv = ["ob-restore", "--help"]
from ob_async.__main__ import main
sys.exit(main())
"""


def test_the_command_runs_with_the_cli_extra_alone() -> None:
    # Every command can --simulate and `ob-restore simulator` is one: a module of another
    # extra that the command line imports must come with `[cli]` (it once did not, and every
    # command of a `pip install 'ob-async[cli]'` ended in a traceback).
    others = {module for modules in EXTRAS.values() for module in modules} - set(EXTRAS["cli"])
    done = subprocess.run(
        [sys.executable, "-c", RUN_WITHOUT, *sorted(others)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "usage: ob-restore" in done.stdout
