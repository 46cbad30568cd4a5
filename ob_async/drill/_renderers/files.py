"""Report files written whole or not at all, and the JSON and JUnit reports written so."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from ob_async.drill._renderers.json_report import write_json
from ob_async.drill._renderers.junit import write_junit
from ob_async.drill._report.drill_report import DrillReport


def write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write a file via a temporary file and a rename: a crash never leaves half a file,
    and a failed write leaves neither half a file nor the temporary one."""
    directory = path.parent if str(path.parent) else Path(".")
    temp = tempfile.NamedTemporaryFile(dir=directory, delete=False, prefix=f".{path.name}.")  # noqa: SIM115
    try:
        with temp:
            write(temp)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp.name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp.name)
        raise


def write_reports(report: DrillReport, *, json_path: Path | None, junit_path: Path | None) -> None:
    """Write the JSON report to ``json_path``, the JUnit XML to ``junit_path`` (if given)."""
    if json_path is not None:
        write_atomically(json_path, lambda out: write_json(report, out))
    if junit_path is not None:
        write_atomically(junit_path, lambda out: write_junit(report, out))
