"""The drill's final summary at a terminal of 80 columns: broken at spaces, nothing lost.

A terminal breaks a long line at its edge, mid-word; the summary breaks its
long lines (a failure's reason, a kept tenant and why) at spaces instead, its
continuation rows indented under the line they continue. Checked on the
summary of a report with long names and reasons, on text of double-width
characters, in-process and in a real pseudo-terminal of 80 columns; piped into
a file the lines stay whole.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pexpect
import pytest
from rich.cells import cell_len

from ob_async._cli.wrap import HANG, print_lines, wrap
from tests.cli.support import cli_env

LONG_REASON = (
    "source tenant t_missing_source_tenant_that_has_no_restorable_window is not restorable "
    "from ob-prod-sh (not in its restorable tenants); the plan names it in restore 2 of "
    "weekly-disaster-recovery-rehearsal.toml"
)


def long_summary() -> list[str]:
    """A failed run's summary, as ``ob-restore drill`` prints it, with long names and reasons."""
    drill = "weekly-disaster-recovery-rehearsal-of-the-payments-platform"
    return [
        f"drill {drill} (run 20261130T030000Z-abcdef): 3 restore(s): 1 restored, 0 missed RTO, "
        "2 failed",
        "  states: online 1, preflight_failed 1, restore_failed 1",
        "  (restored: ONLINE in time, missed RTO: ONLINE late, failed: any other end)",
        "  cleanup: 1 tenant(s) deleted, 1 kept",
        "    kept ob-dr-east/restored_payments_tenant_with_a_rather_long_name (t-kept-0002): "
        "restore_failed; a failed restore's tenant is kept for diagnosis",
        "  recovery time: p50 1m00s, p90 1m00s, p99 1m00s, max 1m00s",
        f"  FAILED ob-dr-east/restored_payments_tenant_with_a_rather_long_name: restore_failed: "
        f"{LONG_REASON}",
        "  FAILED ob-dr-east/tenant_00003: preflight_failed: " + "x" * 150,
        "  note: the journal was resumed from an earlier run; its restores that were already "
        "settled (such as restored_orders_tenant_with_a_rather_long_name) keep their measured "
        "recovery times",
    ]


def words(lines: list[str]) -> list[str]:
    return " ".join(lines).split()


def test_the_summary_wraps_at_spaces_within_80_columns_and_loses_nothing() -> None:
    lines = long_summary()
    assert max(map(len, lines)) > 120  # long enough for the check to mean something
    for line in lines:
        rows = wrap(line, 80)
        assert all(cell_len(row) <= 80 for row in rows), rows
        if len(line.split()) == len(rows) == 1:
            continue  # one word alone on its row (folded below if too long)
        # No word split, none lost, none reordered: the rows hold the line's words.
        long_words = [word for word in line.split() if cell_len(word) > 80 - HANG]
        if not long_words:
            assert words(rows) == line.split(), rows
        indent = len(line) - len(line.lstrip())
        assert rows[0].startswith(line[:indent] + line.split()[0])
        assert all(row.startswith(" " * (indent + HANG)) for row in rows[1:])
    failure = next(line for line in lines if LONG_REASON in line)
    assert len(wrap(failure, 80)) >= 3


def test_a_word_wider_than_a_row_is_folded_into_rows_not_cut() -> None:
    line = "  FAILED ob-dr-east/tenant_00003: preflight_failed: " + "x" * 150 + " end"
    hang = " " * (2 + HANG)
    assert wrap(line, 80) == [
        "  FAILED ob-dr-east/tenant_00003: preflight_failed:",
        hang + "x" * 74,
        hang + "x" * 74,
        hang + "xx end",
    ]


def test_double_width_characters_count_as_two_columns() -> None:
    line = "  FAILED ob-dr-east/tenant_00004: restore_failed: " + "租户名已存在请更换名称 " * 8
    rows = wrap(line, 80)
    assert all(cell_len(row) <= 80 for row in rows)
    assert any(cell_len(row) > 70 for row in rows)  # filled, not cut at 40 characters
    assert words(rows) == line.split()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_short_lines_and_lines_piped_to_a_file_are_left_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = long_summary()
    assert wrap("  states: online 1", 80) == ["  states: online 1"]
    piped = io.StringIO()
    print_lines(lines, piped)
    assert piped.getvalue().splitlines() == lines  # one fact a line, for grep
    monkeypatch.setenv("COLUMNS", "80")
    shown = Terminal()
    print_lines(lines, shown)
    rows = shown.getvalue().splitlines()
    assert len(rows) > len(lines)
    assert max(cell_len(row) for row in rows) <= 80


PLAN = """
[drill]
name = "summary-wrapping-check-with-a-rather-long-drill-name"

[defaults]
target_instance_id = "ob-dr-east"
target_tenant_primary_zone = "cn-shanghai-e"
cpu = 1
memory = 2
unit_num = 1

[[restore]]
source_instance_id = "ob-prod-sh"
source_tenant_id = "tsh001"
target_tenant_name = "restored_orders_tenant_with_a_long_name_1"

[[restore]]
source_instance_id = "ob-prod-sh"
source_tenant_id = "t_missing_source_tenant_that_has_no_restorable_window"
target_tenant_name = "restored_payments_tenant_with_a_long_name_2"

[[restore]]
source_instance_id = "ob-prod-missing-instance"
source_tenant_id = "tsh002"
target_tenant_name = "restored_inventory_tenant_with_a_long_name_3"
"""


@pytest.mark.timeout(120)
def test_a_drill_at_an_80_column_terminal_prints_its_summary_in_rows_that_fit(
    tmp_path: Path,
) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(textwrap.dedent(PLAN))
    report = tmp_path / "report.json"
    env = cli_env(TERM="xterm-256color", COLUMNS="80", LINES="24")
    args = ["-m", "ob_async", "drill", str(plan), "--simulate", "--report-json", str(report)]
    child = pexpect.spawn(
        sys.executable,
        args,
        dimensions=(24, 80),
        env=env,
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=90,
    )
    output = child.read()
    child.close()
    assert child.exitstatus == 1, output
    # The summary is the plain rows after the live view's last redraw.
    rows = output.replace("\r\n", "\n").split("\n")
    start = next(n for n, row in enumerate(rows) if row.startswith("drill summary-wrapping"))
    summary = [row for row in rows[start:] if row]
    assert all(cell_len(row) <= 80 for row in summary), summary
    assert all("\x1b" not in row and "\r" not in row for row in summary), summary
    errors = [item["error"] for item in json.loads(report.read_text())["items"] if item["error"]]
    assert len(errors) == 2
    assert all(len(error) > 80 for error in errors)
    shown = " ".join(" ".join(summary).split())
    for error in errors:  # every reason whole: a word split by a row break would not match
        assert " ".join(error.split()) in shown, (error, summary)

    # Piped, each line of the same summary stays whole: a reason is on its FAILED line.
    piped = subprocess.run(
        [sys.executable, *args[:-2]],
        env=cli_env(COLUMNS="80"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert piped.returncode == 1, piped.stderr
    failed = [line for line in piped.stdout.splitlines() if line.startswith("  FAILED ")]
    assert len(failed) == 2
    assert all(any(line.endswith(error) for line in failed) for error in errors[:1])
