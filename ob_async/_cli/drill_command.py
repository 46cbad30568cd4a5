"""``ob-restore drill PLAN.toml``: run a disaster-recovery drill and report on it.

Exit codes: 0 every restore met its target; 1 some failed or missed their RTO;
2 bad input or configuration, or a run-wide failure (credentials refused,
endpoint unreachable, unknown project: one message, nothing more sent); 130
interrupted by SIGINT, 143 by SIGTERM (reports are still written). The first
signal stops submitting at once (no new restore request leaves) and lets what
is on the wire finish; a second one stops everything. Either way every item of
the plan is in the reports (those never sent as ``not_started``) and
``--resume`` continues the run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import attrs

from ob_async._cli.args import configure_logging, non_negative_int, positive_int, submit_rate
from ob_async._cli.connection import add_connection_arguments, open_connection
from ob_async._cli.evidence_options import (
    EvidenceRequest,
    add_evidence_arguments,
    evidence_request,
    seal_run,
    sealed_message,
)
from ob_async._cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, exit_for_signal
from ob_async._cli.help import add_command, add_verbosity, exit_codes
from ob_async._cli.output_options import (
    add_file_arguments,
    add_signal_arguments,
    notify,
    notify_unreported,
    output_problems,
    path_problems,
    write_outputs,
)
from ob_async._cli.output_paths import clashing_paths
from ob_async._cli.progress import JsonEvents, LineProgress, LiveProgress, QuietProgress
from ob_async._cli.signals import forget_stop_signals, on_each_stop_signal
from ob_async._cli.wrap import print_lines
from ob_async._restore.runwide import RunWideError
from ob_async.batch._item import ItemState
from ob_async.batch._limits import FailurePolicy
from ob_async.drill._plan import DrillPlan, load_plan
from ob_async.drill._renderers import write_reports
from ob_async.drill._renderers.summary_text import summary_lines
from ob_async.drill._report import DrillReport
from ob_async.drill._report.convert import to_json
from ob_async.drill._runner import DrillOptions, DrillRunner
from ob_async.errors import InvalidInputError

logger = logging.getLogger("ob_async._cli")


DESCRIPTION = """
Run a disaster-recovery drill: every restore of a TOML plan, with bounded
parallelism, each journaled before it is sent, read back once ONLINE, timed
against its RTO target, and reported.

The plan is checked whole before anything is sent (every problem with its file,
line and field). The first Ctrl-C (or SIGTERM) sends no new restore request and
lets what is on the wire finish; a second one stops at once. Either way every
restore of the plan is in the reports, those never sent as not_started (JUnit
<skipped>), and --resume continues the run.
"""

EXAMPLES = (
    (
        "the example plan (seven restores) against the embedded simulator",
        "ob-restore drill examples/weekly-drill.toml --simulate",
    ),
    (
        "check a plan against the real API; no restore is sent",
        "ob-restore drill plan.toml --endpoint https://api-cloud.oceanbase.com \\\n    --dry-run",
    ),
    (
        "the weekly run: resumable, reports for CI, restored tenants deleted",
        "ob-restore drill plan.toml --endpoint https://api-cloud.oceanbase.com \\\n"
        "    --journal drill.jsonl --resume --report-json drill.json \\\n"
        "    --junit drill.xml --cleanup",
    ),
)


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "drill",
        summary="run a restore drill from a plan",
        description=DESCRIPTION,
        examples=EXAMPLES,
        codes=exit_codes(
            ok="every restore came ONLINE within its RTO target",
            failed="some restore failed, missed its RTO target, or failed pre-flight",
        ),
    )
    parser.add_argument("plan", type=Path, metavar="PLAN.toml", help="the drill plan (TOML)")
    add_connection_arguments(parser)
    run = parser.add_argument_group("the run")
    run.add_argument(
        "--journal",
        type=Path,
        metavar="FILE",
        help="the journal (JSON lines, fsynced before each request); default "
        "./drill-<run id>.jsonl",
    )
    run.add_argument(
        "--resume", action="store_true", help="continue the run recorded in --journal FILE"
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="validate, run the read-only pre-flight checks, and print what would run",
    )
    run.add_argument(
        "--cleanup",
        action="store_true",
        default=None,
        help="delete each restored tenant once seen ONLINE and validated (only the drill's own; "
        "a plan's hold keeps them until it ends)",
    )
    run.add_argument(
        "--seed",
        type=non_negative_int,
        metavar="N",
        help='what restore_time = "random" points are drawn from: the same seed draws the '
        "same points (default: the plan's seed, else a new one, printed and recorded)",
    )
    run.add_argument(
        "--concurrency",
        type=positive_int,
        metavar="N",
        help="submits in flight, at most (default: the plan's, else 16)",
    )
    run.add_argument(
        "--rate",
        type=submit_rate,
        metavar="PER_SECOND",
        help="submits per second, at most (a number, e.g. 2 or 0.5; default: the plan's)",
    )
    stop = run.add_mutually_exclusive_group()
    stop.add_argument(
        "--fail-fast",
        action="store_true",
        help="after the first failed restore, submit nothing new (those in flight finish)",
    )
    stop.add_argument(
        "--max-failures",
        type=positive_int,
        metavar="N",
        help="after N failed restores, submit nothing new (those in flight finish)",
    )
    output = parser.add_argument_group("output")
    add_file_arguments(output)
    add_signal_arguments(output)
    add_evidence_arguments(output)
    output.add_argument(
        "--json",
        action="store_true",
        help="one JSON event per line on stdout instead of the live view "
        "(schema in docs/drills.md)",
    )
    add_verbosity(output, quiet="only the summary (and errors)")
    parser.set_defaults(handler=run_drill)


def run_drill(args: argparse.Namespace) -> int:
    configure_logging(args.verbose, args.quiet)
    try:
        plan, evidence = _checked_inputs(args)
        record = _RunRecord()
        code = asyncio.run(_drill(args, plan, record))
    except _Refused as refused:
        for problem in refused.problems:
            print(f"ob-restore drill: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except InvalidInputError as error:
        print(f"ob-restore drill: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if evidence is None:
        return code
    return _seal(evidence, plan, record, code)


class _Refused(Exception):
    """The command's inputs are refused before anything is sent; each problem is named."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _checked_inputs(args: argparse.Namespace) -> tuple[DrillPlan, EvidenceRequest | None]:
    """The plan and the evidence to seal, every input checked; _Refused (or
    InvalidInputError) naming what is wrong otherwise."""
    if args.resume and args.journal is None:
        raise _Refused(["--resume needs --journal FILE (the run to continue)"])
    unwritable = _unwritable_outputs(args)
    if unwritable:
        raise _Refused(unwritable)
    plan = load_plan(args.plan, simulated=args.simulate)
    clashes = clashing_paths(_output_files(args), plan.input_files)
    if clashes:
        raise _Refused(clashes)
    return plan, evidence_request(args, (*_output_files(args), ("--history", args.history)))


def _report_files(args: argparse.Namespace) -> tuple[tuple[str, Path | None], ...]:
    """The report files the run writes, each with the flag that names it."""
    return (
        ("--report-json", args.report_json),
        ("--junit", args.junit),
        ("--html", args.html),
        ("--metrics-file", args.metrics_file),
    )


def _output_files(args: argparse.Namespace) -> tuple[tuple[str, Path | None], ...]:
    """Every file the run writes (its journal, then its reports), each with its flag."""
    return (("--journal", args.journal), *_report_files(args))


@attrs.define
class _RunRecord:
    """What the run left to seal: its journal, and the reports it wrote whole."""

    journal: Path | None = None
    reports: list[Path] = attrs.field(factory=list)


def _seal(evidence: EvidenceRequest, plan: DrillPlan, record: _RunRecord, code: int) -> int:
    """Seal the run's record: the drill's exit code stands, unless the seal fails."""
    if record.journal is None or not record.journal.is_file():
        print(
            "ob-restore drill: nothing sealed: the run kept no journal (nothing was sent)",
            file=sys.stderr,
        )
        return code
    try:
        sealed = seal_run(evidence, journal=record.journal, plan=plan, reports=record.reports)
    except (InvalidInputError, OSError) as error:
        reason = str(error) if isinstance(error, InvalidInputError) else error.strerror
        print(
            f"ob-restore drill: the evidence was NOT sealed: {reason}; the drill itself ran "
            f"as reported; seal its journal later with: ob-restore evidence seal "
            f"{record.journal} {evidence.directory}",
            file=sys.stderr,
        )
        return code or EXIT_FAILED
    print(f"evidence: {sealed_message(sealed)}", file=sys.stderr)
    return code


def _unwritable_outputs(args: argparse.Namespace) -> list[str]:
    """Files the run would write but could not: found now, before anything is sent,
    rather than after the drill when the reports are written."""
    return path_problems(
        ("--journal", args.journal), ("--report-json", args.report_json), ("--junit", args.junit)
    ) + output_problems(args)


async def _drill(args: argparse.Namespace, plan: DrillPlan, record: _RunRecord) -> int:
    sink = _sink(args, plan)
    poll = plan.poll_config()
    login = plan.data.login if plan.data else None
    async with open_connection(
        args,
        fixture=plan.simulator_fixture,
        poll=poll,
        tenant_password=login.reveal_password() if login else None,
        sql_address=plan.simulator_sql_address,
    ) as connection:
        runner = DrillRunner(
            connection.client,
            plan,
            DrillOptions(
                journal_path=args.journal,
                resume=args.resume,
                dry_run=args.dry_run,
                cleanup=args.cleanup,
                concurrency=args.concurrency,
                rate=args.rate,
                endpoint_label=connection.label,
                failure_policy=_failure_policy(args),
                max_failures=args.max_failures,
                seed=args.seed,
            ),
            events=sink,
        )
        interrupts = _install_interrupts(runner, sink)
        try:
            with sink:
                report = await runner.run()
        except InvalidInputError:
            raise  # bad input or configuration: exit 2, as everywhere
        except RunWideError as error:  # found before anything was sent: one message
            print(f"ob-restore drill: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except Exception as error:
            # A bug must not cost the record: write what is known, point at the journal.
            logger.exception("the drill failed unexpectedly")
            print(
                f"ob-restore drill: internal error: {error!r}; every restore sent is in the "
                f"journal {runner.journal_path}: finish the run with --resume",
                file=sys.stderr,
            )
            if runner.report is None:
                notify_unreported(args, plan.name, "an internal error stopped it before any report")
                return EXIT_FAILED
            report = runner.report
            report.interrupted = True
        finally:
            forget_stop_signals(asyncio.get_running_loop())
        record.journal = runner.journal_path
        if runner.journal_path is not None and not args.json:
            print(f"journal: {runner.journal_path}", file=sys.stderr)
    try:
        try:
            write_reports(report, json_path=args.report_json, junit_path=args.junit)
            write_outputs(report, args)
            record.reports = _written_reports(args)
        except OSError as error:
            print(
                f"ob-restore drill: cannot write a report: {error.strerror}: {error.filename}",
                file=sys.stderr,
            )
            _print_summary(report, args, sink)
            return EXIT_FAILED
        _print_summary(report, args, sink)
    finally:
        notify(report, args)
        report.close()
    if interrupts.first is not None:
        return exit_for_signal(interrupts.first)
    if report.run_error is not None:
        print(f"ob-restore drill: {report.run_error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    not_started = report.counts[ItemState.NOT_STARTED.value]
    return EXIT_OK if report.not_passed == 0 and not_started == 0 else EXIT_FAILED


def _written_reports(args: argparse.Namespace) -> list[Path]:
    return [path for _, path in _report_files(args) if path is not None and path.is_file()]


def _failure_policy(args: argparse.Namespace) -> FailurePolicy:
    if args.fail_fast:
        return FailurePolicy.FAIL_FAST
    if args.max_failures is not None:
        return FailurePolicy.STOP_AFTER
    return FailurePolicy.COLLECT_ALL


Sink = LiveProgress | LineProgress | JsonEvents | QuietProgress


def _sink(args: argparse.Namespace, plan: DrillPlan) -> Sink:
    if args.json:
        return JsonEvents()
    if args.quiet:
        return QuietProgress()
    if sys.stderr.isatty():
        return LiveProgress(total=plan.item_count)  # "0/7" from the first frame
    return LineProgress(verbose=args.verbose > 0 or args.dry_run)


class _Interrupts:
    count = 0
    first: signal.Signals | None = None
    """The first stop signal received: it decides the exit status."""


def _install_interrupts(runner: DrillRunner, sink: Sink) -> _Interrupts:
    interrupts = _Interrupts()
    loop = asyncio.get_running_loop()

    def on_signal(signum: signal.Signals) -> None:
        interrupts.count += 1
        if interrupts.first is None:
            interrupts.first = signum
        reason = f"the drill was interrupted ({signum.name})"
        if interrupts.count == 1:
            sink.note("stopping: no new restores; those in flight finish (Ctrl-C again: stop now)")
            runner.stop(reason)
        else:
            sink.note("stopping now; recording what is known")
            runner.abort(reason)

    on_each_stop_signal(loop, on_signal)
    return interrupts


def _print_summary(report: DrillReport, args: argparse.Namespace, sink: Sink) -> None:
    if isinstance(sink, JsonEvents):
        sink.emit("summary", **to_json(report.header().summary), interrupted=report.interrupted)
        if sink.lost:
            raise BrokenPipeError("stdout's reader went away")  # main() exits quietly
        return
    lines = summary_lines(report)
    if args.dry_run:
        lines.extend(
            f"  would restore {entry.source_instance_id}/{entry.source_tenant_id} "
            f"@ {entry.restore_time or '?'} "
            f"-> {entry.target_instance_id}/{entry.target_tenant_name}"
            + (f"  [{entry.state}: {entry.error}]" if entry.error else "")
            for entry in report.sample
        )
        if report.item_count > len(report.sample):
            lines.append(f"  ... {report.item_count - len(report.sample)} more (see --report-json)")
    print_lines(lines)
