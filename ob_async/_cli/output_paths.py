"""Output files that would overwrite each other or an input, found before anything is sent.

``--report-json`` equal to ``--journal`` would overwrite the journal (a resume then
calls it damaged); ``--report-json plan.toml`` would overwrite the plan; two reports
on one file leave only the last writer's. Paths are compared as the file system
sees them: resolved (``..``, symbolic links), and by inode where the file exists.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def _same_file(first: Path, second: Path) -> bool:
    if first.exists() and second.exists():
        try:
            return os.path.samefile(first, second)
        except OSError:
            return False
    return first.resolve() == second.resolve()


def clashing_paths(
    outputs: Iterable[tuple[str, Path | None]], inputs: Iterable[tuple[str, Path]]
) -> list[str]:
    """One problem per output that is another output or an input (named by its flag)."""
    given = [(flag, path) for flag, path in outputs if path is not None]
    sources = list(inputs)
    problems = []
    for position, (flag, path) in enumerate(given):
        for other_flag, other in given[:position]:
            if _same_file(path, other):
                problems.append(
                    f"{flag} {path}: is also {other_flag}; each output needs its own file"
                )
        for name, source in sources:
            if _same_file(path, source):
                problems.append(f"{flag} {path}: is the {name}; writing it would destroy it")
    return problems
