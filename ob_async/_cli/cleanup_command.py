"""``ob-restore cleanup --journal FILE``: delete the tenants a recorded drill run created.

Only tenants that carry the run's requestId marker are deleted (see
:mod:`ob_async.drill._cleanup`); ``--dry-run`` shows what would go. Running it
again is safe: what is gone is reported as gone. Tenants the run holds for manual
validation (the plan's ``hold``) are refused, naming when the hold ends, exit 2,
unless ``--force``. A run-wide failure (refused
credentials, an endpoint that cannot be reached, an unknown project) is one
message and exit 2, as for a drill.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ob_async._cli.args import configure_logging, positive_int
from ob_async._cli.connection import add_connection_arguments, open_connection
from ob_async._cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from ob_async._cli.help import add_command, add_verbosity
from ob_async._restore.runwide import RunWideError
from ob_async.drill._cleanup import (
    DEFAULT_CONCURRENCY,
    CleanupAction,
    CleanupResult,
    clean_run,
    holds_in_force,
    load_run_tenants,
    refuse_held,
)
from ob_async.errors import InvalidInputError

DESCRIPTION = """
Delete exactly the tenants a recorded drill run created: those its journal says
were sent, and only if the tenant found under that name carries the run's
requestId marker in its description. A tenant with the same name that the run
did not create is kept, and said so. Safe to repeat: a tenant already gone is
reported as gone. Use it after a run without --cleanup, or to remove the
tenants a run kept (failed or mismatching restores) once inspected. Tenants
held for manual validation (the plan's hold) are not deleted before the hold
ends: the command refuses, naming when it ends, unless --force.
"""

EXAMPLES = (
    (
        "see what would be deleted",
        "ob-restore cleanup --journal drill.jsonl --dry-run \\\n"
        "    --endpoint https://api-cloud.oceanbase.com",
    ),
    (
        "delete the tenants last week's run created",
        "ob-restore cleanup --journal runs/2026-W48.jsonl \\\n"
        "    --endpoint https://api-cloud.oceanbase.com",
    ),
)

_VERB = {
    CleanupAction.DELETED: "deleted",
    CleanupAction.WOULD_DELETE: "would delete",
    CleanupAction.GONE: "gone",
    CleanupAction.NOT_OURS: "kept",
    CleanupAction.FAILED: "FAILED",
}


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "cleanup",
        summary="delete the tenants a recorded drill run created (and only those)",
        description=DESCRIPTION,
        examples=EXAMPLES,
        codes=[
            (EXIT_OK, "every tenant the run created is gone (or, with --dry-run, would be)"),
            (EXIT_FAILED, "some look-up or deletion failed: run it again"),
            (
                EXIT_BAD_INPUT,
                "bad input, journal or hold; credentials refused, endpoint unreachable",
            ),
            (EXIT_INTERRUPTED, "interrupted (Ctrl-C): what was deleted is listed"),
        ],
    )
    parser.add_argument(
        "--journal",
        type=Path,
        metavar="FILE",
        required=True,
        help="the journal of the run (JSON lines, as written by ob-restore drill --journal)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="look the tenants up and say what would be deleted"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="delete tenants still held for manual validation (the plan's hold) too",
    )
    parser.add_argument(
        "--concurrency",
        type=positive_int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"tenants looked up and deleted at once, every request within the API's "
        f"rate limit (default {DEFAULT_CONCURRENCY})",
    )
    add_connection_arguments(parser)
    output = parser.add_argument_group("output")
    add_verbosity(output)
    parser.set_defaults(handler=run_cleanup)


def run_cleanup(args: argparse.Namespace) -> int:
    configure_logging(args.verbose, False)
    try:
        run_id, tenants = load_run_tenants(args.journal)
        now = datetime.now(UTC)
        if not args.force and not args.dry_run:
            refuse_held(tenants, now, where=f"journal {args.journal}")
        held = holds_in_force(tenants, now) if args.dry_run and not args.force else None
    except InvalidInputError as error:
        print(f"ob-restore cleanup: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    counts: Counter[CleanupAction] = Counter()
    try:
        asyncio.run(_clean(args, tenants, counts))
    except InvalidInputError as error:
        print(f"ob-restore cleanup: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RunWideError as error:
        done = sum(counts.values())
        print(
            f"ob-restore cleanup: {error}; "
            + (f"stopped after {done} tenant(s)" if done else "nothing was deleted"),
            file=sys.stderr,
        )
        if done:
            print(_summary(run_id, args, counts) + ", STOPPED")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(_summary(run_id, args, counts) + ", INTERRUPTED")
        return EXIT_INTERRUPTED
    print(_summary(run_id, args, counts))
    if held is not None:
        print(f"note: {held}: a clean-up before then is refused without --force")
    return EXIT_FAILED if counts[CleanupAction.FAILED] else EXIT_OK


async def _clean(args: argparse.Namespace, tenants: list[Any], counts: Counter[Any]) -> None:
    async with open_connection(args) as connection:
        async for result in clean_run(
            connection.client, tenants, dry_run=args.dry_run, concurrency=args.concurrency
        ):
            counts[result.action] += 1
            print(_line(result), flush=True)


def _line(result: CleanupResult) -> str:
    tenant = result.tenant
    which = f"{tenant.target_instance_id}/{tenant.target_tenant_name}"
    if result.tenant_id:
        which += f" ({result.tenant_id})"
    detail = f": {result.detail}" if result.detail else ""
    return f"{_VERB[result.action]} {which}{detail}"


def _summary(run_id: str, args: argparse.Namespace, counts: Counter[CleanupAction]) -> str:
    head = "DRY RUN " if args.dry_run else ""
    done = (
        f"{counts[CleanupAction.WOULD_DELETE]} would be deleted"
        if args.dry_run
        else f"{counts[CleanupAction.DELETED]} deleted"
    )
    return (
        f"{head}cleanup of run {run_id} ({args.journal}): {done}, "
        f"{counts[CleanupAction.GONE]} already gone, "
        f"{counts[CleanupAction.NOT_OURS]} kept (not created by this run), "
        f"{counts[CleanupAction.FAILED]} failed"
    )
