"""Reading a plan's files: the TOML plan (size limit, encoding, syntax) and its
JSON-lines restore list, streamed one restore at a time."""

from __future__ import annotations

import json
import re
import stat
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from ob_async.drill._plan.problems import PlanError, PlanProblem, file_problem

MAX_PLAN_BYTES = 16 * 1024 * 1024
"""A plan file over this size is refused (a restore list may be any size)."""

RawItem = tuple[int | None, Mapping[str, Any], str]
"""A restore as written: (its line, its keys and values, the file it is in)."""

_TOML_ERROR_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def read_toml(file: Path) -> tuple[bytes, dict[str, Any], str]:
    """The plan file's bytes, its TOML document and its text; PlanError if unreadable."""
    name = str(file)
    try:
        _check_regular(file)
        size = file.stat().st_size
        if size > MAX_PLAN_BYTES:
            raise file_problem(
                name,
                f"is {size} bytes, over the {MAX_PLAN_BYTES} byte limit; "
                "put long lists of restores in a restore_list file",
            )
        raw_bytes = file.read_bytes()
    except OSError as error:
        raise file_problem(name, f"cannot read: {error.strerror}") from None
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as error:
        hint = "; it looks like UTF-16: save it as UTF-8" if _looks_utf16(raw_bytes) else ""
        raise file_problem(name, f"is not UTF-8 text (byte {error.start}){hint}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None)
        if line is None:  # before Python 3.14 the line is only in the message
            found = _TOML_ERROR_LINE.search(str(error))
            line = int(found.group(1)) if found else None
        raise file_problem(name, f"is not valid TOML: {error}", line) from None
    return raw_bytes, document, text


def read_restore_list(path: Path, problems: list[PlanProblem] | None = None) -> Iterator[RawItem]:
    """The restores of a JSON-lines file. A bad line raises :class:`PlanError`, or,
    given ``problems`` (validation), is recorded there and the reading goes on."""
    name = str(path)

    def bad_line(number: int, message: str) -> None:
        problem = PlanProblem(name, number, None, message)
        if problems is None:
            raise PlanError([problem])
        problems.append(problem)

    try:
        _check_regular(path)  # a FIFO would block the open, a directory fail later
        handle = path.open("rb")
    except OSError as error:
        raise file_problem(name, f"cannot read: {error.strerror}") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.lstrip().startswith(b"#"):
                continue
            try:
                raw = json.loads(line)
            except ValueError as error:
                bad_line(number, f"is not a JSON object: {error}")
                continue
            if not isinstance(raw, dict):
                bad_line(number, f"expected a JSON object, got {type(raw).__name__}")
                continue
            yield number, raw, name


def beside(plan_file: Path, relative: object) -> Path | None:
    """A path written in the plan, relative to the plan's folder."""
    return (plan_file.parent / relative).resolve() if isinstance(relative, str) else None


def _check_regular(path: Path) -> None:
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):
        kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise file_problem(str(path), f"cannot read: is {kind}")


def _looks_utf16(data: bytes) -> bool:
    return data[:2] in (b"\xff\xfe", b"\xfe\xff")
