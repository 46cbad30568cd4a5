"""The public API line: which modules are public, what they export, and the package logger."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ob_async

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = (
    "ob_async",
    "ob_async.errors",
    "ob_async.batch",
    "ob_async.data",
    "ob_async.drill",
    "ob_async.simulator",
    "ob_async.airflow",
)
IMPORTED_APART = ("ob_async.airflow",)
"""Public modules checked in a subprocess: importing Airflow configures logging, settings and
a database for the whole process, which the other tests of this worker must not inherit."""
IN_PROCESS = tuple(name for name in PUBLIC if name not in IMPORTED_APART)


def test_the_package_docstring_lists_exactly_the_public_modules() -> None:
    assert ob_async.__doc__ is not None
    listed = re.findall(r"^- ``(ob_async[\w.]*)``", ob_async.__doc__, re.MULTILINE)
    assert sorted(listed) == sorted(PUBLIC)


def _exports_problems(name: str) -> list[str]:
    """Names ``__all__`` lists twice or the module lacks; names whose signature says tenacity."""
    module = importlib.import_module(name)
    exported = module.__all__
    problems = [f"listed twice: {n}" for n in sorted(set(exported)) if exported.count(n) > 1]
    problems += [f"missing: {n}" for n in exported if not hasattr(module, n)]
    for symbol in exported:
        value = getattr(module, symbol, None)
        members = (
            [m for n, m in vars(value).items() if not n.startswith("_") and callable(m)]
            if inspect.isclass(value)
            else [value]
        )
        for member in members:
            try:
                signature = str(inspect.signature(member))
            except (TypeError, ValueError):
                continue
            if "tenacity" in signature:
                problems.append(f"{name}.{symbol}: {signature}")
    return problems


@pytest.mark.parametrize("name", IN_PROCESS)
def test_each_public_module_exports_what_its_all_says(name: str) -> None:
    assert not _exports_problems(name)


@pytest.mark.parametrize("name", IMPORTED_APART)
def test_each_public_module_imported_apart_exports_what_its_all_says(
    name: str, tmp_path: Path
) -> None:
    script = (
        "import json, sys\n"
        "from tests.test_public_api import _exports_problems\n"
        f"print(json.dumps(_exports_problems({name!r})))\n"
    )
    # Airflow writes its configuration into its home when imported: a temporary one.
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=env,
    )
    assert json.loads(done.stdout.splitlines()[-1]) == []


def _module_names() -> list[str]:
    package = ROOT / "ob_async"
    names = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_module_is_public_or_marked_private_by_its_name() -> None:
    # httpx's convention: a leading underscore on the module, or on a package holding
    # it, says "internal". A module that is neither listed nor marked is an accident.
    entry_points = {"ob_async.__main__"}
    unmarked = [
        name
        for name in _module_names()
        if name not in PUBLIC
        and name not in entry_points
        and not any(part.startswith("_") for part in name.split(".")[1:])
    ]
    assert not unmarked, f"neither public nor marked private: {unmarked}"


def test_what_callers_meet_is_exported_at_the_top() -> None:
    # Raised by calls (ChallengeError, TransportTimeout), handed to callbacks
    # (PendingRetry), returned by RetryPolicy.start (RetryRun), or imported by the
    # README's batch example.
    for name in (
        "ChallengeError",
        "TransportTimeout",
        "RetryRun",
        "PendingRetry",
        "BatchRunner",
        "BatchLimits",
        "RestoreItem",
        "ItemResult",
        "from_wire",
        "to_wire",
    ):
        assert name in ob_async.__all__, name


def test_codec_internals_are_not_exported_at_the_top() -> None:
    for name in ("from_json", "to_json_bytes", "converter"):
        assert name not in ob_async.__all__
        assert not hasattr(ob_async, name), name


def test_no_public_signature_mentions_tenacity() -> None:
    problems = [problem for name in IN_PROCESS for problem in _exports_problems(name)]
    assert not [problem for problem in problems if "tenacity" in problem]


def test_every_import_in_the_readme_and_the_docs_is_from_a_public_module() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    blocks = [
        (page.relative_to(ROOT), block)
        for page in pages
        for block in re.findall(r"```python\n(.*?)```", page.read_text("utf-8"), re.DOTALL)
    ]
    imports = [
        (page, module, [n.strip() for n in names.split(",")])
        for page, block in blocks
        for module, names in re.findall(r"^from (ob_async[\w.]*) import (.+)$", block, re.M)
    ]
    assert imports, "the examples import nothing from ob_async"
    for page, module, names in imports:
        assert module in PUBLIC, f"{page} imports from the internal module {module}"
        loaded = importlib.import_module(module)
        assert all(name in loaded.__all__ for name in names), (module, names)


def test_the_library_is_silent_unless_the_application_configures_logging() -> None:
    # Without a handler anywhere, Python's last-resort handler prints WARNING records
    # to stderr; a library must not talk on an application's stderr uninvited.
    script = (
        "import logging, ob_async\n"
        "logging.getLogger('ob_async.poll').warning('listing tenants failed')\n"
        "logging.basicConfig(format='%(name)s %(message)s')\n"
        "logging.getLogger('ob_async.poll').warning('heard once configured')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stderr == "ob_async.poll heard once configured\n"
