"""The lowest tenacity that pyproject.toml allows really runs the retry code.

The retry loop reads ``RetryCallState.upcoming_sleep`` (tenacity 8.3 and later): on
8.2 every retry raised ``AttributeError`` while the floor said 8.2 was fine. This
test installs exactly the floor into a scratch directory and runs the retry tests
against it in a subprocess (``nox -s floor`` does the same in a virtualenv).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RETRY_TESTS = (
    "tests/test_retry_and_submit.py",
    "tests/test_retry_machine.py",
    "tests/test_poll_unit.py",
)


def tenacity_floor() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    [spec] = [dep for dep in project["dependencies"] if re.match(r"tenacity\b", dep)]
    found = re.fullmatch(r"tenacity\s*>=\s*([0-9][0-9.]*)", spec)
    assert found, f"tenacity needs a plain '>=' floor in pyproject.toml, got {spec!r}"
    return found.group(1)


def test_the_floor_is_one_with_upcoming_sleep() -> None:
    major, minor = (int(part) for part in tenacity_floor().split(".")[:2])
    assert (major, minor) >= (8, 3)


def test_the_retry_tests_pass_on_the_lowest_tenacity_allowed(tmp_path: Path) -> None:
    floor = tenacity_floor()
    target = tmp_path / "floor"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    installed = subprocess.run(
        [*pip, "--no-deps", "--target", str(target), f"tenacity=={floor}"],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert installed.returncode == 0, f"cannot install tenacity=={floor}: {installed.stderr}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(ROOT)])}
    version = subprocess.run(
        [sys.executable, "-c", "import importlib.metadata as m; print(m.version('tenacity'))"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    assert version.split(".")[:2] == floor.split(".")[:2], version
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *RETRY_TESTS],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=100,
        check=False,
    )
    assert run.returncode == 0, f"on tenacity {version}:\n{run.stdout[-3000:]}{run.stderr[-2000:]}"
