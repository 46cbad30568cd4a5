"""The outputs a drill (or ``ob-restore report``) writes beside JSON and JUnit.

``--html``, ``--metrics-file`` (and ``--pushgateway``), ``--history`` and
``--notify``: their arguments, the checks made before anything is sent, and
writing them once the report is complete. A failed notification or push is a
warning and never changes the exit code; a report file that cannot be written
is an error, as for the JSON report.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ob_async.drill._renderers import write_atomically
from ob_async.drill._renderers.history import (
    RunSummary,
    check_history_dir,
    read_history,
    record_run,
)
from ob_async.drill._renderers.html import write_html
from ob_async.drill._renderers.metrics import build_registry, previous_success, push, write_textfile
from ob_async.drill._renderers.notify import (
    NotificationFailed,
    build_message,
    check_webhook_url,
    send_notification,
)
from ob_async.drill._report import DrillReport
from ob_async.errors import InvalidInputError

ENV_NOTIFY_URL = "OB_NOTIFY_URL"


def add_file_arguments(group: argparse._ArgumentGroup) -> None:
    """The report files both the drill and ``ob-restore report`` write."""
    group.add_argument(
        "--report-json", type=Path, metavar="FILE", help="write the JSON report to FILE"
    )
    group.add_argument(
        "--junit", type=Path, metavar="FILE", help="write a JUnit XML report to FILE"
    )
    group.add_argument(
        "--html", type=Path, metavar="FILE", help="write the HTML report (one self-contained file)"
    )
    group.add_argument(
        "--metrics-file",
        type=Path,
        metavar="FILE.prom",
        help="write Prometheus metrics (for node_exporter's textfile collector)",
    )
    group.add_argument(
        "--history",
        type=Path,
        metavar="DIR",
        help="add this run's summary to DIR; the HTML report shows the trend over its runs",
    )


def add_signal_arguments(group: argparse._ArgumentGroup) -> None:
    """Where the drill tells others how it went."""
    group.add_argument(
        "--pushgateway", metavar="URL", help="also push the metrics to a Prometheus Pushgateway"
    )
    group.add_argument(
        "--notify",
        metavar="URL",
        help=f"POST a Slack-compatible summary to this webhook when the run ends (env "
        f"{ENV_NOTIFY_URL}, which keeps the webhook's secret path off the command line)",
    )


def notify_url(args: argparse.Namespace) -> str | None:
    """The webhook to notify: ``--notify``, else the environment's (commands that notify)."""
    if not hasattr(args, "notify"):
        return None
    url: str | None = args.notify or os.environ.get(ENV_NOTIFY_URL) or None
    return url


def path_problem(flag: str, path: Path | None) -> str | None:
    """Why the file ``path`` given to ``flag`` could not be written (None if it could)."""
    if path is None:
        return None
    parent = path.parent
    if path.is_dir():
        return f"{flag} {path}: is a directory"
    if path.exists() and not path.is_file():
        return f"{flag} {path}: is not a regular file"
    if not parent.is_dir():
        return f"{flag} {path}: no such directory: {parent}"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{flag} {path}: cannot write in {parent}"
    return None


def path_problems(*paths: tuple[str, Path | None]) -> list[str]:
    """Why each file could not be written, for those that could not."""
    return [problem for flag, path in paths if (problem := path_problem(flag, path)) is not None]


def output_problems(args: argparse.Namespace) -> list[str]:
    """Problems with this module's arguments, found before anything is sent."""
    problems = path_problems(("--html", args.html), ("--metrics-file", args.metrics_file))
    if args.history is not None and (problem := check_history_dir(args.history)) is not None:
        problems.append(problem)
    for flag, url in (
        ("--notify" if getattr(args, "notify", None) else ENV_NOTIFY_URL, notify_url(args)),
        ("--pushgateway", getattr(args, "pushgateway", None)),
    ):
        if url is None:
            continue
        try:
            check_webhook_url(url)
        except InvalidInputError as error:
            problems.append(f"{flag} {error.reason}")
    return problems


def write_outputs(report: DrillReport, args: argparse.Namespace) -> None:
    """History first (so that the HTML's trend includes this run), then HTML and metrics.

    A dry run sends nothing and so adds nothing to the history or the metrics.
    Raises OSError when a file cannot be written.
    """
    history: list[RunSummary] = []
    if args.history is not None:
        if not report.dry_run:
            record_run(args.history, RunSummary.of(report))
        history = read_history(args.history, drill=report.drill)
    if args.html is not None:
        write_atomically(args.html, lambda out: write_html(report, out, history=history))
    if report.dry_run:
        return
    if args.metrics_file is not None or getattr(args, "pushgateway", None):
        previous = previous_success(args.metrics_file, report.drill) if args.metrics_file else None
        registry = build_registry(report, previous_success=previous)
        if args.metrics_file is not None:
            write_textfile(args.metrics_file, registry)
        if getattr(args, "pushgateway", None):
            try:
                push(registry, args.pushgateway, drill=report.drill)
            except OSError as error:
                warn(f"could not push the metrics to the Pushgateway: {error}")


def notify(report: DrillReport, args: argparse.Namespace) -> None:
    """Send the notification, if asked; a failure is a warning, never the exit code."""
    _send(args, lambda: build_message(report))


def notify_unreported(args: argparse.Namespace, drill: str, reason: str) -> None:
    """Tell the webhook of a run that ended before it had a report (an internal error)."""
    _send(
        args,
        lambda: {
            "text": f":x: *FAILED* drill {drill}: {reason}; see the drill's log and journal",
            "obRestore": {"verdict": "FAILED", "drill": drill, "error": reason},
        },
    )


def _send(args: argparse.Namespace, message: Callable[[], dict[str, Any]]) -> None:
    url = notify_url(args)
    if not url:
        return
    try:
        send_notification(url, message())
    except NotificationFailed as error:
        warn(f"the notification was not delivered: {error}")


def warn(message: str) -> None:
    print(f"ob-restore: warning: {message}", file=sys.stderr)
