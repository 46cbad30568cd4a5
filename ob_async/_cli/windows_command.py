"""``ob-restore windows INSTANCE``: which tenants can be restored, to which points in time.

A read-only look at the API's restorable tenants of a source instance, so that
a user can pick a ``restore_time`` (or see what ``latest`` will resolve to)
without reading the API reference: one line per window, or ``--json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from ob_async._cli.args import configure_logging
from ob_async._cli.connection import add_connection_arguments, open_connection
from ob_async._cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from ob_async._cli.help import add_command, add_verbosity
from ob_async._wire.backups import RestorableTenant
from ob_async._wire.codec import format_time
from ob_async.errors import InvalidInputError, ObError

DESCRIPTION = """
List the tenants of a source instance that can be restored, with the windows of
time each can be restored to (both ends included, UTC). A restore_time inside a
window is accepted; "latest" means the end of the newest window. Nothing is
changed: the command only reads.
"""

EXAMPLES = (
    ("every restorable tenant of an instance", "ob-restore windows ob-prod-sh --simulate"),
    (
        "one tenant, as JSON, against the real API",
        "ob-restore windows ob-prod-sh --tenant tsh001 --json \\\n"
        "    --endpoint https://api-cloud.oceanbase.com",
    ),
)


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "windows",
        summary="list restorable tenants and the points in time they can be restored to",
        description=DESCRIPTION,
        examples=EXAMPLES,
        codes=[
            (EXIT_OK, "listed (also when the instance has no restorable tenant)"),
            (EXIT_FAILED, "the API refused or failed (e.g. no such instance)"),
            (EXIT_BAD_INPUT, "bad input or configuration"),
        ],
    )
    parser.add_argument("instance", metavar="INSTANCE", help="the source instance id")
    parser.add_argument("--tenant", metavar="ID", help="only this source tenant")
    add_connection_arguments(parser)
    output = parser.add_argument_group("output")
    output.add_argument(
        "--json",
        action="store_true",
        help="a JSON array on stdout: tenantId, tenantName, status, latestRestorableTime, "
        "windows (start, end, storageType); times ISO-8601 UTC",
    )
    add_verbosity(output)
    parser.set_defaults(handler=run_windows)


def run_windows(args: argparse.Namespace) -> int:
    configure_logging(args.verbose, False)
    for flag, value in (("INSTANCE", args.instance), ("--tenant", args.tenant)):
        if value is not None and not value.strip():
            print(f"ob-restore windows: {flag}: must not be empty", file=sys.stderr)
            return EXIT_BAD_INPUT
    try:
        tenants = asyncio.run(_list(args))
    except InvalidInputError as error:
        print(f"ob-restore windows: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ObError as error:
        print(f"ob-restore windows: {args.instance}: {error}", file=sys.stderr)
        return EXIT_FAILED
    if args.tenant is not None:
        tenants = [tenant for tenant in tenants if tenant.tenant_id == args.tenant]
    if args.json:
        print(json.dumps([tenant_json(tenant) for tenant in tenants], indent=2))
    else:
        for line in table_lines(args.instance, tenants, tenant=args.tenant):
            print(line)
    return EXIT_OK


async def _list(args: argparse.Namespace) -> list[RestorableTenant]:
    async with open_connection(args) as connection:
        client = connection.client
        return await client.retrying(
            lambda: client.list_restorable_tenants(args.instance, tenant_id=args.tenant)
        )


def tenant_json(tenant: RestorableTenant) -> dict[str, Any]:
    latest = tenant.latest_restorable_time
    return {
        "tenantId": tenant.tenant_id,
        "tenantName": tenant.tenant_name,
        "status": tenant.status,
        "latestRestorableTime": format_time(latest) if latest else None,
        "windows": [
            {
                "start": format_time(window.start_time),
                "end": format_time(window.end_time),
                "storageType": window.storage_type,
            }
            for window in tenant.time_interval_list
        ],
    }


def table_lines(
    instance: str, tenants: list[RestorableTenant], *, tenant: str | None = None
) -> list[str]:
    """One line per window, newest last; a tenant without a window says so."""
    if not tenants:
        which = f" {tenant}" if tenant else ""
        return [f"no restorable tenant{which} in {instance}"]
    rows = [("TENANT", "NAME", "FROM (UTC)", "TO (UTC)")]
    for item in tenants:
        windows = sorted(item.time_interval_list, key=lambda window: window.end_time)
        if not windows:
            rows.append((item.tenant_id, item.tenant_name or "-", "(no window)", ""))
        for window in windows:
            rows.append(
                (
                    item.tenant_id,
                    item.tenant_name or "-",
                    format_time(window.start_time),
                    format_time(window.end_time),
                )
            )
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in rows
    ]
    lines.append('"latest" is the newest window\'s end (its TO).')
    return [line.rstrip() for line in lines]
