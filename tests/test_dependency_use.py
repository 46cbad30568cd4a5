"""Dependencies are used through their public API, and the hand-written fast paths stay gone.

Issue 23: the retry loop once re-implemented part of tenacity's ``iter``, read its
private ``_local``, built its unexported ``IterState``, subclassed its ``Future``
without calling ``__init__`` and shared one ``Retrying`` between concurrent calls;
the submitter wrote requests through slot descriptors instead of ``attrs.evolve``
and started its clock through a ``request_class`` subclass; the session read
bodies inline next to its general reader; the codec wrote out the cattrs hook of
``RestoreRequest`` by hand. Each saved a fraction of a percent of
a core at the API's rate limit. These tests read the package's source (its syntax
tree, so that a comment or a docstring naming them does not count) and fail
naming the file and line of anything of the kind that comes back.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
import tenacity

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ob_async"
MODULES = sorted(PACKAGE.rglob("*.py"))

# Exported by tenacity, but only for driving its state machine by hand: a caller that
# uses them runs tenacity's loop itself instead of letting tenacity run it.
TENACITY_MACHINERY = frozenset(
    {"DoAttempt", "DoSleep", "IterState", "BaseRetrying", "Future", "AttemptManager", "iter_state"}
)
# The strategy bases tenacity means to be subclassed (a custom stop, wait or retry).
TENACITY_STRATEGY_BASES = frozenset({"stop_base", "wait_base", "retry_base"})

REMOVED_NAMES = {
    "_FirstSend": "the request_class subclass that started a submission's clock",
    "_with_description": "the slot-descriptor copy of a request (attrs.evolve does it)",
    "_KEPT_FIELD_SETTERS": "the slot descriptors of RestoreRequest's fields",
    "_SharedRetrying": "one tenacity Retrying shared by concurrent calls",
    "_ThreadState": "tenacity's per-thread state built by hand",
    "_Outcome": "a tenacity Future subclass without its __init__",
    "_CallState": "a RetryCallState subclass carrying the run",
    "unstructure_restore_request": "the written-out cattrs hook (cattrs generates it)",
}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"


def _tenacity_aliases(tree: ast.Module) -> tuple[set[str], dict[str, str]]:
    """Names bound to tenacity modules, and names imported from them (local -> original)."""
    modules: set[str] = set()
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "tenacity":
                    modules.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "tenacity":
            for alias in node.names:
                names[alias.asname or alias.name] = alias.name
    return modules, names


def _chain(node: ast.expr) -> list[str]:
    """``tenacity.stop.stop_base`` -> ["tenacity", "stop", "stop_base"]; [] if not a chain."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return []
    return [node.id, *reversed(parts)]


def tenacity_uses(path: Path) -> Iterator[tuple[ast.AST, list[str]]]:
    """Every tenacity name a module uses, as a path from the package down."""
    tree = _tree(path)
    modules, names = _tenacity_aliases(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "tenacity":
            for alias in node.names:
                yield node, [*node.module.split("."), alias.name]  # type: ignore[union-attr]
        elif isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Store):
            chain = _chain(node)
            if chain and chain[0] in modules:
                yield node, ["tenacity", *chain[1:]]
            elif chain and chain[0] in names:
                yield node, ["tenacity", names[chain[0]], *chain[1:]]
        elif isinstance(node, ast.Name) and node.id in names:
            yield node, ["tenacity", names[node.id]]


def test_the_package_uses_tenacity() -> None:
    # Otherwise the tests below would pass for want of anything to look at.
    used = {tuple(chain) for path in MODULES for _, chain in tenacity_uses(path)}
    assert ("tenacity", "AsyncRetrying") in used


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_only_public_tenacity_names_are_used(path: Path) -> None:
    offending = [
        f"{_where(path, node)}: {'.'.join(chain)}"
        for node, chain in tenacity_uses(path)
        if any(part.startswith("_") for part in chain[1:])
        or any(part in TENACITY_MACHINERY for part in chain[1:])
    ]
    assert not offending, "tenacity's internals used:\n" + "\n".join(offending)


def test_the_machinery_names_are_tenacitys() -> None:
    # The list above names what tenacity really has (a typo would let a use through).
    known = set(dir(tenacity)) | {"iter_state"}
    assert TENACITY_MACHINERY - {"IterState"} <= known
    assert hasattr(tenacity.BaseRetrying, "iter_state")


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_class_extends_tenacitys_machinery_or_a_future(path: Path) -> None:
    tree = _tree(path)
    modules, names = _tenacity_aliases(tree)
    offending = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        for base in node.bases:
            chain = _chain(base)
            if not chain:
                continue
            from_tenacity = chain[0] in modules or chain[0] in names
            if (from_tenacity and chain[-1] not in TENACITY_STRATEGY_BASES) or chain[
                -1
            ] == "Future":
                offending.append(f"{_where(path, node)}: {node.name}({'.'.join(chain)})")
        if any(isinstance(item, ast.FunctionDef) and item.name == "iter" for item in node.body):
            offending.append(f"{_where(path, node)}: {node.name} defines iter")
    assert not offending, "\n".join(offending)


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_no_private_attribute_of_a_dependency_is_read(path: Path) -> None:
    # tenacity's thread-local state, by whatever name it is reached.
    offending = [
        _where(path, node)
        for node in ast.walk(_tree(path))
        if isinstance(node, ast.Attribute) and node.attr in {"_local", "iter_state"}
    ]
    assert not offending, "tenacity's per-thread state read at " + ", ".join(offending)


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(PACKAGE)))
def test_the_removed_fast_paths_stay_removed(path: Path) -> None:
    offending = []
    for node in ast.walk(_tree(path)):
        name = None
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            name = node.name
        elif isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.Attribute):
            name = node.attr
            if name == "__set__":  # a write through a slot's descriptor
                offending.append(f"{_where(path, node)}: a descriptor's __set__")
        if name in REMOVED_NAMES:
            offending.append(f"{_where(path, node)}: {name} ({REMOVED_NAMES[name]})")
    assert not offending, "\n".join(offending)


def test_the_session_reads_a_body_in_one_place() -> None:
    # The inline copy of the body reader's first case sat in Session._send.
    path = PACKAGE / "_http" / "session.py"
    readers = []
    for function in ast.walk(_tree(path)):
        if not isinstance(function, ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"read", "iter_chunked"}
            ):
                readers.append(function.name)
    assert readers, "the session reads no body at all?"
    assert set(readers) == {"_read_body"}, readers
