"""Where a TOML section or key is written (tomllib keeps no positions), so that a
problem can be reported at its line.

The headers are indexed once, and each (section, key) answer is kept: the lookups
of a plan cost time in proportion to the plan, not to its length squared.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?")


class LineFinder:
    """Finds the line of a TOML section or key in one plan's text."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self._first: dict[str, int] = {}
        self._arrays: dict[str, list[int]] = {}
        self._end: dict[int, int | None] = {}
        """A header's line -> the line of the header after it (None: the file's end)."""
        self._found: dict[tuple[int, str], int | None] = {}
        previous: int | None = None
        for number, line in enumerate(self.lines, start=1):
            match = _HEADER.match(line)
            if match is None:
                continue
            name = match.group(2).strip()
            self._first.setdefault(name, number)
            if match.group(1) == "[[":
                self._arrays.setdefault(name, []).append(number)
            if previous is not None:
                self._end[previous] = number
            self._end[number] = None
            previous = number
        self._first_header = min(self._end, default=None)

    def top_level(self, key: str) -> int | None:
        """A section's header, or else a key written before the first header."""
        if key in self._first:
            return self._first[key]
        return self._key_between(key, 0, self._first_header)

    def section(self, name: str) -> int | None:
        return self._first.get(name)

    def array_table(self, name: str, position: int) -> int | None:
        """The header of the ``position``-th (0-based) ``[[name]]`` table."""
        found = self._arrays.get(name, ())
        return found[position] if position < len(found) else None

    def key(self, section: str, key: str) -> int | None:
        start = self.section(section)
        return self._key_in_section(start, key) if start else None

    def key_in_array(self, name: str, position: int, key: str) -> int | None:
        start = self.array_table(name, position)
        return self._key_in_section(start, key) if start else None

    def _key_in_section(self, start: int, key: str) -> int | None:
        cached = (start, key)
        if cached not in self._found:
            self._found[cached] = self._key_between(key, start, self._end.get(start))
        return self._found[cached]

    def _key_between(self, key: str, start: int, end: int | None) -> int | None:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        stop = (end - 1) if end else len(self.lines)
        for number in range(start + 1, stop + 1):
            if pattern.match(self.lines[number - 1]):
                return number
        return None
