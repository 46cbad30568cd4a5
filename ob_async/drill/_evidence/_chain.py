"""The hash chain: lines that each carry the SHA-256 of the line before them.

A chained line is compact JSON ``{"n": N, "prev": HEX, ...payload}``: ``n`` counts from 1 and
``prev`` is the SHA-256 of the previous line's bytes (without its newline), or the chain's
genesis for the first line. Editing, deleting, inserting or reordering a line breaks the link
at that place, and :func:`check_chain` says which of these it looks like, by line; cutting
lines off the end keeps the chain whole, so the sealed head (the last line's hash and the
count) is what finds a truncation.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

GENESIS_KEYS = ("n", "prev")


def line_hash(line: bytes) -> str:
    """The SHA-256 of one line's bytes, newline excluded."""
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


def chained_line(n: int, prev: str, payload: dict[str, Any]) -> bytes:
    """Line ``n`` of a chain whose previous line hashes to ``prev`` (newline included)."""
    clash = [key for key in GENESIS_KEYS if key in payload]
    if clash:
        raise ValueError(f"a chained payload cannot hold {clash}")
    body = {"n": n, "prev": prev, **payload}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def chain(payloads: Sequence[dict[str, Any]], genesis: str, *, start: int = 1) -> list[bytes]:
    """``payloads`` as chained lines, the first linked to ``genesis``, numbered from ``start``."""
    lines: list[bytes] = []
    prev = genesis
    for n, payload in enumerate(payloads, start=start):
        line = chained_line(n, prev, payload)
        lines.append(line)
        prev = line_hash(line)
    return lines


@attrs.frozen
class ChainedLine:
    """One line as read back: its position in the file, its fields, its own hash."""

    line: int
    n: int
    prev: str
    payload: dict[str, Any]
    hash: str


@attrs.frozen
class ChainHead:
    """Where a chain ends: how many lines, and the hash of the last (the genesis if none)."""

    count: int
    hash: str


def read_chain(data: bytes, name: str) -> tuple[list[ChainedLine], list[str]]:
    """The chained lines of a file's bytes, and the lines that are not chained lines at all."""
    lines: list[ChainedLine] = []
    damaged: list[str] = []
    raw_lines = data.split(b"\n")
    last = raw_lines.pop()  # b"" when the file ends with its newline
    if last:
        raw_lines.append(last)
    for number, raw in enumerate(raw_lines, start=1):
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            cut = last and number == len(raw_lines)
            damaged.append(
                f"{name} line {number}: "
                + ("cut off mid-line" if cut else "not a JSON line (damaged)")
            )
            continue
        n, prev = (body.get(key) if isinstance(body, dict) else None for key in GENESIS_KEYS)
        if not isinstance(n, int) or isinstance(n, bool) or not isinstance(prev, str):
            damaged.append(f"{name} line {number}: not a chained line (no n and prev)")
            continue
        payload = {key: value for key, value in body.items() if key not in GENESIS_KEYS}
        lines.append(ChainedLine(number, n, prev, payload, line_hash(raw)))
    return lines, damaged


def check_chain(
    lines: Sequence[ChainedLine], genesis: str, name: str, *, start: int = 1
) -> Iterator[str]:
    """What breaks the chain of ``lines`` from ``genesis``, in words naming each place.

    Lines are first placed by their numbers (a number seen twice is an insertion; one
    ahead of its place, a deletion or a reordering), then each line's link is checked
    against the line numbered before it, wherever that line now stands.
    """
    by_number: dict[int, ChainedLine] = {}
    expected = start
    for index, line in enumerate(lines):
        where = f"{name} line {line.line}"
        if line.n in by_number:
            yield f"{where}: a second line {line.n} (inserted or copied)"
            continue
        if line.n < expected:
            yield f"{where}: line {line.n} stands after line {expected - 1} (reordered)"
        elif line.n > expected:
            later = {other.n for other in lines[index + 1 :]}
            if expected in later:
                yield f"{where}: line {line.n} stands where line {expected} belongs (reordered)"
            else:
                gap = (
                    f"line {expected}"
                    if line.n == expected + 1
                    else (f"lines {expected}-{line.n - 1}")
                )
                yield f"{where}: {gap} of the chain deleted before it"
        by_number[line.n] = line
        expected = max(expected, line.n + 1)
    for line in by_number.values():
        before = by_number.get(line.n - 1)
        if line.n == start and line.prev != genesis:
            yield f"{name} line {line.line}: does not follow from the chain's start (edited)"
        elif before is not None and line.prev != before.hash:
            yield f"{name} line {before.line}: edited (line {line.line} records a different hash)"


def head_of(lines: Sequence[ChainedLine], genesis: str) -> ChainHead:
    return ChainHead(len(lines), lines[-1].hash if lines else genesis)
