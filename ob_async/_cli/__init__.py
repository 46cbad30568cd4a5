"""The ``ob-restore`` command line.

Each subcommand lives in its own module of this package and contributes a
``register(subparsers)`` function that adds its parser and sets ``handler`` to
a function taking the parsed arguments and returning the exit code.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

from ob_async._cli import (
    cleanup_command,
    drill_command,
    evidence_command,
    history_command,
    report_command,
    simulator_command,
    submit_command,
    windows_command,
)
from ob_async._cli.exit_codes import (
    EXIT_BAD_INPUT,
    EXIT_BROKEN_PIPE,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
)
from ob_async._cli.help import HelpFormatter, epilog, exit_codes
from ob_async._version import __version__

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_BROKEN_PIPE",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "build_parser",
    "main",
]

_SUBCOMMANDS: tuple[Any, ...] = (
    drill_command,
    submit_command,
    windows_command,
    cleanup_command,
    simulator_command,
    report_command,
    history_command,
    evidence_command,
)


DESCRIPTION = """
Restore OceanBase Cloud tenants from backup, one or thousands at a time, and
prove a disaster-recovery plan works. The AccessKey pair comes from
OB_ACCESS_KEY_ID and OB_ACCESS_KEY_SECRET, or from a mode-600 file
(--credentials-file, OB_CREDENTIALS_FILE); never from a flag's value.
Run "ob-restore COMMAND --help" for a command's options and examples.
"""

EXAMPLES = (
    (
        "try it: seven restores against the embedded simulator",
        "ob-restore drill examples/weekly-drill.toml --simulate",
    ),
    (
        "the points in time tenant tsh001 of ob-prod-sh can be restored to",
        "ob-restore windows ob-prod-sh --tenant tsh001 --simulate",
    ),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ob-restore",
        description=textwrap.dedent(DESCRIPTION).strip(),
        epilog=epilog(
            EXAMPLES,
            exit_codes(
                ok="done: everything asked for succeeded",
                failed="the command ran and something failed (see each command)",
            ),
        ),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _SUBCOMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        return reader_gone()
    except SystemExit:
        # --help and --version print, then exit 0 as argparse decides, also when the reader
        # left early: the text may stay in stdout's buffer until this flush finds it gone.
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            reader_gone()  # stdout to /dev/null: the interpreter's last flush stays quiet
        raise


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except BrokenPipeError:
        # Only --help and --version write to stdout while parsing. The argparse of newer
        # Pythons ignores the failed write and exits 0; Debian 12's 3.11.2 lets the error
        # out: end as the newer ones do, whichever Python runs the command.
        reader_gone()
        return EXIT_OK
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        exit_code: int = handler(args)
        sys.stdout.flush()  # here, not at exit: a pipe's reader may be gone by now
    except KeyboardInterrupt:
        # Ctrl-C before a command installed its own handling (e.g. while starting up).
        print("ob-restore: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return exit_code


def reader_gone() -> int:
    """Stdout's reader stopped reading (``ob-restore ... | head``): exit quietly.

    Not an error of ours, so no message and no traceback; the exit code is the
    one a process killed by SIGPIPE has (as the coreutils' tools end), so that a
    shell with ``pipefail`` still sees the output was cut. Stdout is pointed at
    /dev/null so that the interpreter's final flush does not fail again.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_BROKEN_PIPE
