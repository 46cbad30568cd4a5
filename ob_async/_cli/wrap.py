"""Lines for a person at a terminal: broken at spaces to its width, never inside a word.

A drill's summary has long lines (a failure's reason, a kept tenant's name and
why): a terminal would break them at its edge, mid-word. On a terminal each is
broken at spaces instead, its continuation rows indented four more than the line
so that they read as part of it; only a word wider than a whole row is folded
(the terminal would cut it anyway), and nothing is dropped. Piped into a file or
a log, lines stay whole, one fact a line, for grep.

The width is ``COLUMNS``, else the terminal's (:func:`shutil.get_terminal_size`);
rich, the live view's library, breaks the text and measures it in terminal
cells, so a wide character (CJK, in a server's message) counts twice.
"""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Iterable
from typing import TextIO

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

HANG = 4
"""How much further than its line a continuation row is indented."""


def print_lines(lines: Iterable[str], stream: TextIO | None = None) -> None:
    """Print ``lines`` to ``stream`` (stdout), wrapped at its width if it is a terminal."""
    out = stream or sys.stdout
    width = shutil.get_terminal_size().columns if out.isatty() else None
    for line in lines:
        rows = [line] if width is None else wrap(line, width)
        for row in rows:
            print(row, file=out)


def wrap(line: str, width: int) -> list[str]:
    """``line`` as rows of at most ``width`` cells, broken at spaces, continuations indented."""
    if ("\n" not in line and cell_len(line) <= width) or not line.strip():
        return [line]
    body = line.lstrip(" ")
    indent = line[: len(line) - len(body)]
    hang = indent + " " * HANG
    text = " ".join(body.split())  # a row break replaces the spaces (or a newline) it falls on
    first = _rows(text, width - len(indent))[0]
    rest = text[len(first) :].lstrip(" ")
    rows = [indent + first]
    if rest:
        rows.extend(hang + row for row in _rows(rest, width - len(hang)))
    return rows


_MEASURE = Console(file=io.StringIO())  # Text.wrap asks for a console; the width is passed


def _rows(text: str, width: int) -> list[str]:
    """``text`` broken at spaces into rows of ``width`` cells (a longer word folded)."""
    wrapped = Text(text).wrap(_MEASURE, max(width, 1), overflow="fold")
    return [row.plain.rstrip(" ") for row in wrapped]
