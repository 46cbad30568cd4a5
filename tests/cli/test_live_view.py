"""The drill's live view in a real pseudo-terminal of 80 columns, read through a terminal emulator.

pexpect runs ``ob-restore drill`` in a pty; pyte plays the terminal, so the
assertions are about what a user would see on the screen: one status line that
fits, a clock that ticks between events, the plan's size from the first frame,
and log lines above the status line rather than inside it.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pyte
import pytest

from ob_async._cli.progress import Field, fit_fields

STATUS = re.compile(r"^(\d+)/(\d+)\b")
CLOCK = re.compile(r"(?:elapsed )?(\d\d:\d\d)(?!.*\d\d:\d\d.*\d\d:\d\d)")


class Terminal:
    """A drill in a pty of ``columns`` x 24, its output fed to an emulated screen."""

    def __init__(self, plan: Path, columns: int, *flags: str) -> None:
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": "24"}
        env.pop("OB_ENDPOINT", None)
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "ob_async", "drill", str(plan), "--simulate", *flags],
            dimensions=(24, columns),
            env=env,
            cwd=str(plan.parent),
            encoding="utf-8",
            timeout=60,
        )
        self.screen = pyte.Screen(columns, 24)
        self.stream = pyte.Stream(self.screen)
        self.columns = columns

    def frames(self, seconds: float) -> Iterator[list[str]]:
        """The screen after each chunk of output, for ``seconds`` (or until the drill ends)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                data = self.child.read_nonblocking(65536, timeout=0.2)
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                return
            # Each redraw starts with a carriage return: fed one redraw at a time, a
            # slow reader still sees every frame, not only the last of a burst.
            for piece in re.split(r"(?=\r)", data):
                self.stream.feed(piece)
                yield self.lines()

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def status(self, lines: list[str]) -> tuple[int, str] | None:
        """The row of the status line and its text (the last row that starts with N/M)."""
        rows = [(n, line) for n, line in enumerate(lines) if STATUS.match(line)]
        return rows[-1] if rows else None

    def close(self) -> None:
        if self.child.isalive():
            self.child.kill(signal.SIGKILL)
        self.child.close()


def slow_poll_plan(path: Path) -> Path:
    """Seven restores whose first status poll comes only after 20 s: no event for a while."""
    body = textwrap.dedent(
        """
        [drill]
        name = "live"
        poll_initial = "20s"
        poll_max = "30s"

        [defaults]
        target_instance_id = "ob-dr-east"
        target_tenant_primary_zone = "cn-shanghai-e"
        target_tenant_name = "live_{index}_{source_tenant_id}"
        cpu = 1
        memory = 2
        unit_num = 1
        """
    )
    for index in range(1, 8):
        body += (
            f'\n[[restore]]\nsource_instance_id = "ob-prod-sh"\nsource_tenant_id = "tsh00{index}"\n'
        )
    path.write_text(body)
    return path


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    return slow_poll_plan(tmp_path / "live.toml")


def assert_one_row_that_fits(terminal: Terminal, lines: list[str]) -> str:
    found = terminal.status(lines)
    assert found is not None, "\n".join(lines)
    row, text = found
    assert len(text) < terminal.columns, f"the status line fills the row: {text!r}"
    assert all(not line for line in lines[row + 1 :]), f"the status line wrapped: {lines}"
    return text


@pytest.mark.timeout(90)
def test_at_80_columns_one_line_from_0_of_7_that_ticks_and_keeps_logs_above(plan: Path) -> None:
    terminal = Terminal(plan, 80)
    try:
        statuses: list[str] = []
        for lines in terminal.frames(20):
            found = terminal.status(lines)
            if found is not None:
                statuses.append(assert_one_row_that_fits(terminal, lines))
                if "00:04" in statuses[-1]:
                    break
        assert statuses, "no status line was drawn"
        assert statuses[0].startswith("0/7"), statuses[0]
        assert all("/?" not in status for status in statuses)
        # No restore can finish before its first poll (20 s): every redraw in these
        # seconds is the display's own, and its clock must move every second.
        assert all(status.startswith("0/7") for status in statuses)
        clocks = {CLOCK.search(status).group(1) for status in statuses}  # type: ignore[union-attr]
        assert {"00:00", "00:01", "00:02", "00:03", "00:04"} <= clocks, statuses

        # Ctrl-C: the note and the runner's log record appear above the status line.
        terminal.child.kill(signal.SIGINT)
        lines = next(
            (
                lines
                for lines in terminal.frames(15)
                if any("STOP" in line for line in lines) and any("WARNING" in x for x in lines)
            ),
            terminal.lines(),
        )
        text = assert_one_row_that_fits(terminal, lines)
        assert "STOP" in text
        row = terminal.status(lines)[0]  # type: ignore[index]
        above = lines[:row]
        assert any(line.startswith("stopping: no new restores") for line in above), lines
        assert any("WARNING" in line and "stopping" in line for line in above), lines
        assert not any("WARNING" in line for line in lines[row:])

        terminal.child.kill(signal.SIGINT)  # the second one stops at once
        for _ in terminal.frames(30):
            pass
        final = terminal.lines()
        assert any(line.startswith("drill live (run ") for line in final), final
    finally:
        terminal.close()


@pytest.mark.timeout(60)
@pytest.mark.parametrize("columns", [60, 40])
def test_a_narrower_terminal_still_gets_one_line(plan: Path, columns: int) -> None:
    terminal = Terminal(plan, columns)
    try:
        statuses = [
            assert_one_row_that_fits(terminal, lines)
            for lines in terminal.frames(2.5)
            if terminal.status(lines) is not None
        ]
        assert statuses
        assert statuses[-1].startswith("0/7")
    finally:
        terminal.close()


FIELDS = [
    Field("3/7 done", "3/7", 0),
    Field("submitting 2", "sub 2", 7),
    Field("restoring 2", "rest 2", 5),
    Field("online 3", "ok 3", 3),
    Field("failed 1", "fail 1", 2),
    Field("elapsed 01:02", "01:02", 4),
    Field("ETA 02:00", "ETA 02:00", 8),
]


def rendered(width: int) -> str:
    return "  ".join(text for text, _ in fit_fields(FIELDS, width))


def test_fields_are_abbreviated_least_important_first_then_dropped() -> None:
    assert rendered(200) == (
        "3/7 done  submitting 2  restoring 2  online 3  failed 1  elapsed 01:02  ETA 02:00"
    )
    assert (
        rendered(79) == "3/7 done  sub 2  restoring 2  online 3  failed 1  elapsed 01:02  ETA 02:00"
    )
    assert rendered(70) == "3/7 done  sub 2  rest 2  online 3  failed 1  elapsed 01:02  ETA 02:00"
    assert rendered(50) == "3/7  sub 2  rest 2  ok 3  fail 1  01:02  ETA 02:00"
    assert rendered(40) == "3/7  sub 2  rest 2  ok 3  fail 1  01:02"  # the ETA goes first
    assert rendered(20) == "3/7  ok 3  fail 1"  # failures outlast all but the count
    assert rendered(3) == "3/7"
