"""``ob-restore report JOURNAL``: rebuild a drill's reports from its journal (see DESCRIPTION)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ob_async._cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from ob_async._cli.help import add_command, exit_codes
from ob_async._cli.output_options import (
    add_file_arguments,
    output_problems,
    path_problems,
    write_outputs,
)
from ob_async._cli.wrap import print_lines
from ob_async.drill._journal import read_journal
from ob_async.drill._plan import DrillPlan, load_plan
from ob_async.drill._renderers import write_reports
from ob_async.drill._renderers.summary_text import summary_lines
from ob_async.drill._reports.from_journal import report_from_journal
from ob_async.errors import InvalidInputError

DESCRIPTION = """
Rebuild a drill's reports from its journal: the HTML, JSON, JUnit and metrics
files the drill writes, also for a run that crashed or was interrupted.
Restores that settled are reported as they settled; restores sent but never
settled as unknown; with the plan, restores never sent as not_started. The plan
is the one the journal names (if it is still there and unchanged), or --plan.
"""

EXAMPLES = (
    (
        "the HTML report of last week's run",
        "ob-restore report runs/2026-W48.jsonl --html runs/2026-W48.html",
    ),
    (
        "every report of a run that was killed half-way",
        "ob-restore report drill.jsonl --plan weekly.toml --report-json drill.json \\\n"
        "    --junit drill.xml --metrics-file /var/lib/node_exporter/ob_restore.prom",
    ),
)


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "report",
        summary="rebuild a drill's reports from its journal",
        description=DESCRIPTION,
        examples=EXAMPLES,
        codes=exit_codes(
            ok="the run passed: every restore ONLINE within its RTO target",
            failed="the run failed, missed an RTO, or did not finish",
            interrupted=False,
        ),
    )
    parser.add_argument(
        "journal", type=Path, metavar="JOURNAL", help="the drill's journal (--journal FILE)"
    )
    parser.add_argument(
        "--plan",
        type=Path,
        metavar="PLAN.toml",
        help="the plan the run was started with (default: the one the journal names, if found)",
    )
    output = parser.add_argument_group("output")
    add_file_arguments(output)
    parser.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    problems = path_problems(("--report-json", args.report_json), ("--junit", args.junit))
    problems += output_problems(args)
    for problem in problems:
        print(f"ob-restore report: {problem}", file=sys.stderr)
    if problems:
        return EXIT_BAD_INPUT
    try:
        plan = _plan(args)
        report = report_from_journal(args.journal, plan=plan)
    except InvalidInputError as error:
        print(f"ob-restore report: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if plan is None:
            report.notes.append("the plan was not found: sources are not known")
        write_reports(report, json_path=args.report_json, junit_path=args.junit)
        write_outputs(report, args)
        print_lines(summary_lines(report))
    except OSError as error:
        print(
            f"ob-restore report: cannot write a report: {error.strerror}: {error.filename}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    finally:
        report.close()
    return EXIT_OK if report.not_passed == 0 and not report.interrupted else EXIT_FAILED


def _plan(args: argparse.Namespace) -> DrillPlan | None:
    """``--plan`` (which must load), or the plan the journal names if it is still there."""
    if args.plan is not None:
        return load_plan(args.plan)
    run = read_journal(args.journal).run
    named = run.plan
    if named is None:
        return None
    for candidate in (Path(named), args.journal.parent / named):
        if candidate.is_file():
            try:
                plan = load_plan(candidate)
            except InvalidInputError:
                return None
            return plan if plan.digest == run.plan_digest else None
    return None
