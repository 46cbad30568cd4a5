"""Developer sessions: `nox -s tests lint typecheck`, `nox -s bench`, `nox -s demo`."""

from __future__ import annotations

import tomllib
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = ["3.11"]


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole test suite, as CI runs it."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHON)
def reliability(session: nox.Session) -> None:
    """The reliability suite alone: chaos, crash and resume, hostile input, secrets, load."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", "tests/reliability", *session.posargs)


@nox.session(python=PYTHON)
def floor(session: nox.Session) -> None:
    """The retry tests on the lowest tenacity allowed (tests/test_dependency_floor.py's list)."""
    project = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["project"]
    [spec] = [dep for dep in project["dependencies"] if dep.startswith("tenacity")]
    session.install("-e", ".[test]")
    session.install(spec.split(",")[0].split("#")[0].strip().replace(">=", "=="))
    session.run(
        "python",
        "-m",
        "pytest",
        "tests/test_retry_and_submit.py",
        "tests/test_retry_machine.py",
        "tests/test_poll_unit.py",
        *session.posargs,
    )


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("mypy")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """The benchmarks of the performance rules (about 15 minutes; docs/performance.md).

    `nox -s bench -- --quick` for a short run.
    """
    session.install("-e", ".[all]")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """A real drill of the example plan against the embedded simulator."""
    session.install("-e", ".[cli,simulator]")
    session.run(
        "ob-restore",
        "drill",
        "examples/weekly-drill.toml",
        "--simulate",
        "--cleanup",
        "--journal",
        f"{session.create_tmp()}/demo-journal.jsonl",
        "--report-json",
        f"{session.create_tmp()}/demo-report.json",
        "--junit",
        f"{session.create_tmp()}/demo-junit.xml",
        *session.posargs,
    )
