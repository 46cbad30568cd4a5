"""``ob-restore submit``: one restore, for scripts.

The request comes from a JSON file in the API's own wire format (the seed's
``--data`` body; ``-`` reads standard input) or from flags. It is submitted
with retries and never twice (see the library's ``submit_restore``); with
``--wait`` the command also waits for the tenant to come ONLINE.

Exit codes: 0 submitted (and ONLINE, with ``--wait``); 1 refused, failed or
not ONLINE in time; 2 bad input (nothing was sent); 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import stat
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from ob_async.batch.runner import ItemState, RestoreItem, result_of
from ob_async.cli.args import configure_logging, positive_int
from ob_async.cli.connection import add_connection_arguments, open_connection
from ob_async.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from ob_async.drill.plan import parse_duration
from ob_async.drill.report import entry_from_result
from ob_async.errors import InvalidInputError
from ob_async.restore.submit import RestoreSubmission
from ob_async.wire.codec import format_time, from_json, parse_aware_time
from ob_async.wire.models import RestoreMode, RestoreObjectType, RestoreRequest, TenantResource

MAX_BODY_BYTES = 1024 * 1024

_FLAG_FIELDS = (
    ("source_instance_id", "--source-instance-id"),
    ("source_tenant_id", "--source-tenant-id"),
    ("target_instance_id", "--target-instance-id"),
    ("target_tenant_name", "--target-tenant-name"),
    ("target_tenant_primary_zone", "--zone"),
    ("restore_time", "--restore-time"),
    ("cpu", "--cpu"),
    ("memory", "--memory"),
    ("unit_num", "--unit-num"),
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "submit",
        help="submit one restore (JSON body or flags), optionally wait for ONLINE",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    body = parser.add_argument_group("the request")
    body.add_argument(
        "--file", metavar="BODY.json", help="the request body in the API's JSON format ('-': stdin)"
    )
    for field, flag in _FLAG_FIELDS:
        kind = positive_int if field in ("cpu", "memory", "unit_num") else str
        body.add_argument(flag, dest=field, type=kind, help=f"{field} (instead of --file)")
    body.add_argument("--description", default="", help="the target tenant's description")
    body.add_argument(
        "--restore-mode",
        default=RestoreMode.FROM_BACKUP_SET.value,
        choices=[mode.value for mode in RestoreMode],
    )
    body.add_argument(
        "--restore-object-type",
        default=RestoreObjectType.TENANT.value,
        choices=[kind.value for kind in RestoreObjectType],
    )
    body.add_argument("--from-remote", action="store_true")
    parser.add_argument(
        "--instance-id",
        help="the instance the call is addressed to (default: the target instance)",
    )
    parser.add_argument("--request-id", help="a fixed requestId (default: a new UUID)")
    parser.add_argument("--wait", action="store_true", help="wait until the tenant is ONLINE")
    parser.add_argument("--timeout", default="90m", help="how long --wait waits (default 90m)")
    add_connection_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the record as JSON")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    parser.set_defaults(handler=run_submit)


def run_submit(args: argparse.Namespace) -> int:
    configure_logging(args.verbose, False)
    try:
        request = _request(args)
        _check_call(args)
        try:
            timeout = parse_duration(args.timeout)
        except ValueError as error:
            raise InvalidInputError(str(error), where="--timeout") from None
    except InvalidInputError as error:
        print(f"ob-restore submit: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        return asyncio.run(_submit(args, request, timeout))
    except InvalidInputError as error:
        print(f"ob-restore submit: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _check_call(args: argparse.Namespace) -> None:
    for flag, value in (("--instance-id", args.instance_id), ("--request-id", args.request_id)):
        if value is not None and not value.strip():
            raise InvalidInputError("must not be empty", where=flag)


def _request(args: argparse.Namespace) -> RestoreRequest:
    request = _request_from_input(args)
    # A restore point not reached yet cannot be in any restorable window.
    if request.restore_time > datetime.now(UTC):
        raise InvalidInputError(
            f"{format_time(request.restore_time)} is in the future",
            where="--restore-time"
            if args.file is None
            else f"{_body_name(args.file)}: $.restoreTime",
        )
    return request


def _request_from_input(args: argparse.Namespace) -> RestoreRequest:
    given = [flag for field, flag in _FLAG_FIELDS if getattr(args, field) is not None]
    if args.file is not None and given:
        raise InvalidInputError(f"give --file or the flags, not both ({', '.join(given)})")
    if args.file is not None:
        return _read_body(args.file)
    missing = [flag for field, flag in _FLAG_FIELDS if getattr(args, field) is None]
    if missing:
        raise InvalidInputError(f"missing {', '.join(missing)} (or give --file BODY.json)")
    try:
        restore_time = parse_aware_time(args.restore_time)
    except ValueError as error:
        raise InvalidInputError(str(error), where="--restore-time") from None
    try:
        return RestoreRequest(
            source_instance_id=args.source_instance_id,
            source_tenant_id=args.source_tenant_id,
            target_instance_id=args.target_instance_id,
            target_tenant_name=args.target_tenant_name,
            target_tenant_primary_zone=args.target_tenant_primary_zone,
            restore_time=restore_time,
            tenant_resource=TenantResource(
                cpu=args.cpu, memory=args.memory, unit_num=args.unit_num
            ),
            target_tenant_description=args.description,
            from_remote=args.from_remote,
            restore_object_type=args.restore_object_type,
            restore_mode=args.restore_mode,
        )
    except InvalidInputError as error:  # named by the flag that gave the value
        flag = dict(_FLAG_FIELDS).get(error.where or "", error.where)
        raise InvalidInputError(error.reason, where=flag) from None


def _body_name(source: str) -> str:
    return "standard input" if source == "-" else source


def _read_body(source: str) -> RestoreRequest:
    if not source.strip():
        raise InvalidInputError(
            "is empty: give a file name, or - for standard input", where="--file"
        )
    where = _body_name(source)
    try:
        if source == "-":
            payload = sys.stdin.buffer.read(MAX_BODY_BYTES + 1)
        else:
            mode = Path(source).stat().st_mode
            if not stat.S_ISREG(mode):  # a FIFO would block the open
                kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
                raise InvalidInputError(f"cannot read: is {kind}", where=where)
            with Path(source).open("rb") as handle:
                payload = handle.read(MAX_BODY_BYTES + 1)
    except OSError as error:
        raise InvalidInputError(f"cannot read: {error.strerror}", where=where) from None
    if len(payload) > MAX_BODY_BYTES:
        raise InvalidInputError(f"is over {MAX_BODY_BYTES} bytes; not a restore body", where=where)
    try:
        return from_json(RestoreRequest, payload)
    except InvalidInputError as error:
        raise InvalidInputError(error.reason, where=where) from None


async def _submit(args: argparse.Namespace, request: RestoreRequest, timeout: float) -> int:
    instance_id = args.instance_id or request.target_instance_id
    submission = RestoreSubmission.new(instance_id, request, request_id=args.request_id)
    async with open_connection(args) as connection:
        try:
            await connection.client.submit_restore(
                instance_id, request, submission=submission, wait=args.wait, timeout=timeout
            )
        except asyncio.CancelledError:
            _print(args, submission, interrupted=True)
            return EXIT_INTERRUPTED
    _print(args, submission, interrupted=False)
    return EXIT_OK if submission.ok else EXIT_FAILED


def _print(args: argparse.Namespace, submission: RestoreSubmission, *, interrupted: bool) -> None:
    item = RestoreItem(
        key=f"{submission.target_instance_id}/{submission.target_tenant_name}",
        instance_id=submission.instance_id,
        request=submission.request,
        request_id=submission.request_id,
    )
    result = result_of(item, submission, submission.restore, None)
    if interrupted:
        result = attrs.evolve(result, state=ItemState.INTERRUPTED, error="interrupted")
    entry = entry_from_result(result)
    if args.json:
        print(json.dumps(entry.to_json(), indent=2))
        return
    print(
        f"{entry.key}: {entry.state} (requestId {entry.request_id}, "
        f"{len(submission.attempts)} attempt(s))"
    )
    if entry.recovery_seconds is not None:
        print(f"  ONLINE after {entry.recovery_seconds:.1f}s")
    if entry.error:
        print(f"  {entry.error}")
