"""The ``ob-restore`` command line.

Each subcommand lives in its own module of this package and contributes a
``register(subparsers)`` function that adds its parser and sets ``handler`` to
a function taking the parsed arguments and returning the exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from ob_async._version import __version__
from ob_async.cli import drill_command, simulator_command, submit_command
from ob_async.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "build_parser", "main"]

_SUBCOMMANDS: tuple[Any, ...] = (drill_command, submit_command, simulator_command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ob-restore",
        description=(
            "Restore OceanBase Cloud tenants from backup, one or thousands at a time, "
            "and prove a disaster-recovery plan works."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _SUBCOMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_BAD_INPUT
    try:
        exit_code: int = handler(args)
    except KeyboardInterrupt:
        # Ctrl-C before a command installed its own handling (e.g. while starting up).
        print("ob-restore: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return exit_code
