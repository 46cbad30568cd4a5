"""The package layout is the architecture: imports flow one way, from the CLI down to the wire.

A module may import its own layer or any layer below it, never one above; the simulator shares
the wire models but none of the client's HTTP or digest code. These tests read every module's
imports (top-level and deferred alike) and fail naming the offending import.

No module of the client (the simulator aside) is over 600 lines either: a longer one does more
than one job, and the test names it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ob_async"

# Lowest first. A module's layer is the first entry that prefixes its dotted name.
LAYERS: tuple[tuple[str, ...], ...] = (
    (
        "ob_async._version",
        "ob_async._extras",
        "ob_async.errors",
        "ob_async._secret_file",
        "ob_async._clock",
        "ob_async._stats",
        "ob_async._validators",
    ),
    ("ob_async._wire",),
    ("ob_async._digest",),
    ("ob_async._http",),
    ("ob_async._api",),
    ("ob_async._restore",),
    ("ob_async._client",),
    ("ob_async.data",),
    ("ob_async.batch",),
    ("ob_async.drill",),
    ("ob_async.simulator",),
    # The integrations sit at the top, beside the command line.
    ("ob_async._cli", "ob_async.airflow", "ob_async.__main__", "ob_async"),
)

# What the simulator may use of the client's side: the shared records, never its machinery.
SIMULATOR_MAY_IMPORT = (
    "ob_async._version",
    "ob_async._extras",
    "ob_async.errors",
    "ob_async._clock",
    "ob_async._stats",
    "ob_async._wire",
    "ob_async._http.credentials",
    "ob_async.simulator",
)


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layer_of(module: str) -> int:
    for rank, prefixes in enumerate(LAYERS):
        # The bare package name is the public surface: it sits at the top.
        if any((_matches(module, p) if p != "ob_async" else module == p) for p in prefixes):
            return rank
    raise AssertionError(f"{module} belongs to no layer: add its package to LAYERS")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, package: str | None = None) -> list[tuple[int, str]]:
    """The ob_async names `path` imports, with their lines (`package` anchors relative ones)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    if package is None:
        name = module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            # Each name may itself be a submodule (`from ob_async._http import session`);
            # `_resolve` reduces a class or function back to the module that holds it.
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if _matches(name, "ob_async")]


MODULES = sorted(PACKAGE.rglob("*.py"))


def _resolve(name: str) -> str:
    """`ob_async.x.Y` where Y is a class: the longest prefix that is a module or package."""
    parts = name.split(".")
    while len(parts) > 1:
        candidate = PACKAGE.parent.joinpath(*parts)
        if candidate.with_suffix(".py").is_file() or (candidate / "__init__.py").is_file():
            return ".".join(parts)
        parts.pop()
    return "ob_async"


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_no_module_imports_a_layer_above_its_own(path: Path) -> None:
    importer = module_name(path)
    rank = layer_of(importer)
    upward = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {_resolve(name)}"
        for line, name in imports_of(path)
        if layer_of(_resolve(name)) > rank
    ]
    assert not upward, "\n".join(upward)


@pytest.mark.parametrize(
    "path",
    [p for p in MODULES if module_name(p).startswith("ob_async.simulator")],
    ids=module_name,
)
def test_the_simulator_shares_models_but_not_the_clients_machinery(path: Path) -> None:
    foreign = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {_resolve(name)}"
        for line, name in imports_of(path)
        if not any(_matches(_resolve(name), allowed) for allowed in SIMULATOR_MAY_IMPORT)
    ]
    assert not foreign, "\n".join(foreign)


def test_the_layer_check_catches_an_upward_import(tmp_path: Path) -> None:
    """The checker itself: a wire module importing the session, even relatively, is caught."""
    probe = tmp_path / "probe.py"
    probe.write_text("from ob_async._http.session import Session\nfrom .._http import session\n")
    found = imports_of(probe, package="ob_async._wire")
    assert [(line, _resolve(name)) for line, name in found] == [
        (1, "ob_async._http.session"),
        (2, "ob_async._http.session"),
    ]
    assert all(layer_of(_resolve(name)) > layer_of("ob_async._wire.models") for _, name in found)


MAX_MODULE_LINES = 600
"""A module longer than this does more than one job: cut it by job (the simulator aside)."""


def test_no_module_of_the_client_is_over_600_lines() -> None:
    too_long = [
        f"{path.relative_to(PACKAGE.parent)}: {lines} lines"
        for path in MODULES
        if not _matches(module_name(path), "ob_async.simulator")
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert not too_long, f"over {MAX_MODULE_LINES} lines:\n" + "\n".join(too_long)


def _import_graph(prefix: str) -> dict[str, set[str]]:
    """Which modules under ``prefix`` each module under it imports (at the top, deferred,
    or for type checking alike: a cycle is a tangle whichever way it is imported)."""
    graph: dict[str, set[str]] = {}
    for path in MODULES:
        importer = module_name(path)
        if _matches(importer, prefix):
            graph[importer] = {
                target
                for _, name in imports_of(path)
                if _matches(target := _resolve(name), prefix) and target != importer
            }
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("package", ["ob_async.drill", "ob_async"])
def test_no_import_cycle(package: str) -> None:
    cycles = _cycles(_import_graph(package))
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(group) for group in cycles)


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
