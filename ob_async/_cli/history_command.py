"""``ob-restore history DIR``: the trend of a drill's runs, as a table (see DESCRIPTION)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ob_async._cli.args import positive_int
from ob_async._cli.exit_codes import EXIT_BAD_INPUT, EXIT_OK
from ob_async._cli.help import add_command
from ob_async.drill._renderers.history import history_table, read_history
from ob_async.errors import InvalidInputError

DESCRIPTION = """
Print the trend of past drill runs: DIR is what the drill's --history DIR
writes, one summary per run. One row per run, oldest first: when it started,
its verdict, how many restores failed or missed their RTO, and the p50, p90
and max recovery time.
"""

EXAMPLES = (
    ("the weekly drill's runs so far", "ob-restore history /srv/dr/history"),
    (
        "the last ten runs of one drill, as JSON lines",
        "ob-restore history /srv/dr/history --drill weekly-dr --last 10 --json",
    ),
)


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "history",
        summary="print the trend of past drill runs",
        description=DESCRIPTION,
        examples=EXAMPLES,
        codes=(
            (EXIT_OK, "the history was read (also when it holds no run)"),
            (EXIT_BAD_INPUT, "DIR is not a directory"),
        ),
    )
    parser.add_argument(
        "directory", type=Path, metavar="DIR", help="the directory the drill's --history wrote"
    )
    parser.add_argument("--drill", metavar="NAME", help="only the runs of this drill")
    parser.add_argument("--last", type=positive_int, metavar="N", help="only the last N runs")
    parser.add_argument("--json", action="store_true", help="one JSON object per run")
    parser.set_defaults(handler=run_history)


def run_history(args: argparse.Namespace) -> int:
    try:
        runs = read_history(args.directory, drill=args.drill)
    except InvalidInputError as error:
        print(f"ob-restore history: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.last is not None:
        runs = runs[-args.last :]
    if args.json:
        for run in runs:
            print(json.dumps(run.to_json(), ensure_ascii=False))
        return EXIT_OK
    if not runs:
        print(f"no runs recorded in {args.directory}", file=sys.stderr)
        return EXIT_OK
    for line in history_table(runs):
        print(line)
    return EXIT_OK
