"""How every ``ob-restore`` command explains itself: one help layout for all.

Each command's ``--help`` reads the same way: what the command does (plain
text, laid out as written), its options with the format or unit of every value,
then an ``examples:`` section of real invocations and the ``exit codes:`` the
command keeps to. :func:`add_command` builds a subcommand's parser that way, so
that a new command (``report``, ``history``, ...) gets the same layout by
passing its own examples and exit codes.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any

from ob_async._cli.exit_codes import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
)

TIME_FORMAT = "ISO-8601 with a zone, e.g. 2026-01-13T05:58:34Z"
DURATION_FORMAT = 'seconds, or e.g. "90s", "15m", "1h30m"'


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and epilogs as written; option help wrapped at spaces only.

    argparse's default wrapping also breaks at hyphens, which cuts a URL
    (``https://api-`` / ``cloud.oceanbase.com``) or a flag's name in two.
    """

    def _split_lines(self, text: str, width: int) -> list[str]:
        return textwrap.wrap(
            " ".join(text.split()), width, break_on_hyphens=False, break_long_words=False
        )


def exit_codes(*, failed: str, ok: str, interrupted: bool = True) -> list[tuple[int, str]]:
    """The exit-code table of a command: what 0 and 1 mean for it; 2 and 130 as everywhere."""
    table = [
        (EXIT_OK, ok),
        (EXIT_FAILED, failed),
        (
            EXIT_BAD_INPUT,
            "bad input or configuration, or credentials refused, endpoint unreachable",
        ),
    ]
    if interrupted:
        table.append((EXIT_INTERRUPTED, "interrupted by Ctrl-C (SIGINT)"))
        table.append((EXIT_TERMINATED, "stopped by SIGTERM"))
    return table


def epilog(examples: Sequence[tuple[str, str]], codes: Iterable[tuple[int, str]]) -> str:
    """The ``examples:`` and ``exit codes:`` sections, laid out for a raw formatter."""
    lines = ["examples:"]
    for comment, command in examples:
        lines.append(f"  # {comment}")
        lines.extend(f"  {line}" for line in command.splitlines())
    lines.append("")
    lines.append("exit codes:")
    lines.extend(f"  {code:<4} {meaning}" for code, meaning in codes)
    return "\n".join(lines)


def add_command(
    subparsers: Any,
    name: str,
    *,
    summary: str,
    description: str,
    examples: Sequence[tuple[str, str]],
    codes: Iterable[tuple[int, str]],
) -> argparse.ArgumentParser:
    """A subcommand's parser with the shared layout (``summary`` is its line in the list)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=summary,
        description=textwrap.dedent(description).strip(),
        epilog=epilog(examples, codes),
        formatter_class=HelpFormatter,
    )
    return parser


def add_verbosity(parser: argparse._ActionsContainer, *, quiet: str | None = None) -> None:
    """``-v``/``-vv`` (and ``-q`` when the command has something to leave out)."""
    group = parser.add_mutually_exclusive_group() if quiet else parser
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log more on stderr: -v each step (INFO), -vv requestIds and timings (DEBUG); "
        "never a secret",
    )
    if quiet:
        group.add_argument("-q", "--quiet", action="store_true", help=quiet)
