"""A reader that stops reading (``ob-restore ... | head``) ends the command quietly with 141."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ob_async._cli.exit_codes import EXIT_BROKEN_PIPE


def run_into_a_closed_pipe(*argv: str, cwd: Path | None = None) -> tuple[int, str]:
    """Run the CLI with stdout a pipe whose reading end is already closed."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte is written
    try:
        process = subprocess.run(
            [sys.executable, "-m", "ob_async", *argv],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
            cwd=cwd,
        )
    finally:
        os.close(write_end)
    return process.returncode, process.stderr


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("windows", "ob-prod-sh", "--simulate"), EXIT_BROKEN_PIPE),
        (("windows", "ob-prod-sh", "--simulate", "--json"), EXIT_BROKEN_PIPE),
        # argparse itself ignores a failed write of the help, and exits 0.
        (("--help",), 0),
        (("drill", "--help"), 0),
    ],
)
def test_a_closed_pipe_is_not_an_error(argv: tuple[str, ...], expected: int) -> None:
    code, stderr = run_into_a_closed_pipe(*argv)
    assert stderr == ""
    assert code == expected


def test_a_drill_whose_json_reader_left_still_finishes_and_reports(tmp_path: Path) -> None:
    plan = Path(__file__).resolve().parents[2] / "examples" / "weekly-drill.toml"
    report = tmp_path / "report.json"
    code, stderr = run_into_a_closed_pipe(
        "drill", str(plan), "--simulate", "--json", "--report-json", str(report), cwd=tmp_path
    )
    assert "Traceback" not in stderr
    assert "BrokenPipe" not in stderr
    assert code == EXIT_BROKEN_PIPE
    assert '"items": 7' in report.read_text()
