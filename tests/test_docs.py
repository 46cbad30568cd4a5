"""The documentation site builds strictly and says only what is so.

`mkdocs build --strict` fails on a broken link or anchor, a page missing from the nav or a
nav entry without its page, a snippet whose file is gone, and a docstring mkdocstrings
cannot render. The built site must then hold every public name of every public module and
every command and option of `ob-restore`, and every test the Guarantees page names must
exist.
"""

from __future__ import annotations

import argparse
import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ob_async._cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
PUBLIC_MODULES = {
    "ob_async": "reference/ob_async",
    "ob_async.errors": "reference/errors",
    "ob_async.batch": "reference/batch",
    "ob_async.data": "reference/data",
    "ob_async.drill": "reference/drill",
    "ob_async.simulator": "reference/simulator",
    "ob_async.airflow": "reference/airflow",
}


def _page(site: Path, name: str) -> str:
    return (site / name / "index.html").read_text(encoding="utf-8")


def _anchors(html: str) -> set[str]:
    return set(re.findall(r'id="([^"]+)"', html))


@pytest.mark.timeout(300)
def test_the_site_builds_strictly_with_every_public_name_and_every_command(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
        env=env,
    )
    assert built.returncode == 0, built.stdout + built.stderr

    for module_name, page in PUBLIC_MODULES.items():
        anchors = _anchors(_page(site, page))
        missing = [
            name
            for name in _exported(module_name)
            if not name.startswith("__") and f"{module_name}.{name}" not in anchors
        ]
        assert missing == [], f"{page} does not document {missing}"

    cli = _page(site, "reference/cli")
    parser = build_parser()
    for command, subparser in _subcommands(parser).items():
        assert f'id="ob-restore-{command}"' in cli, command
        for action in subparser._actions:
            for option in action.option_strings:
                assert option in cli, f"ob-restore {command} {option}"


def _exported(module_name: str) -> list[str]:
    """A module's ``__all__``, read from its source: importing Airflow configures logging."""
    path = ROOT.joinpath(*module_name.split("."))
    source = (path / "__init__.py" if path.is_dir() else path.with_suffix(".py")).read_text()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            return list(ast.literal_eval(node.value))
    raise AssertionError(f"{module_name} has no __all__")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


GUARANTEES = (ROOT / "docs" / "guarantees.md").read_text(encoding="utf-8")


def _named_tests() -> list[tuple[str, str | None]]:
    """Every `tests/...` path the page names, with the test (`::name`) when it names one.

    A bare `::name` belongs to the file named last before it, as the page writes them.
    """
    named: list[tuple[str, str | None]] = []
    last = None
    for path, test in re.findall(r"`(tests/[\w/.]+)?(?:::(\w+))?`", GUARANTEES):
        if not path and not test:
            continue
        last = path or last
        assert last is not None, f"::{test} follows no file"
        named.append((last, test or None))
    return named


def test_the_guarantees_name_tests() -> None:
    assert len(_named_tests()) >= 30


@pytest.mark.parametrize(("path", "test"), _named_tests())
def test_each_test_the_guarantees_name_exists(path: str, test: str | None) -> None:
    where = ROOT / path
    assert where.exists(), f"{path} does not exist"
    if test is not None:
        tree = ast.parse(where.read_text(encoding="utf-8"))
        functions = {
            node.name
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        assert test in functions, f"{path} has no test {test}"
