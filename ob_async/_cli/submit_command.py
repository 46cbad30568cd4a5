"""``ob-restore submit``: one restore, for scripts.

The request comes from a JSON file in the API's own wire format (the seed's
``--data`` body; ``-`` reads standard input) or from flags. It is submitted
with retries and never twice (see the library's ``submit_restore``); with
``--wait`` the command also waits for the tenant to come ONLINE.

Exit codes: 0 submitted (and ONLINE, with ``--wait``); 1 refused, failed or
not ONLINE in time; 2 bad input, or a run-wide failure (refused credentials, an
endpoint that cannot be reached, an unknown project: one message, as for a
drill); 130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import stat
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from ob_async._cli.args import configure_logging, positive_int
from ob_async._cli.connection import add_connection_arguments, open_connection
from ob_async._cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from ob_async._cli.help import (
    DURATION_FORMAT,
    TIME_FORMAT,
    add_command,
    add_verbosity,
    exit_codes,
)
from ob_async._client import ObClient
from ob_async._http.ids import check_request_id
from ob_async._restore.runwide import RunWideError, probe, run_wide
from ob_async._restore.submit import RestoreSubmission
from ob_async._wire.backups import RestorableTenant
from ob_async._wire.codec import format_time, from_json, parse_aware_time
from ob_async._wire.models import (
    RestoreMode,
    RestoreObjectType,
    RestoreRequest,
    TenantResource,
)
from ob_async._wire.names import resource_problem, tenant_name_problem
from ob_async.batch._item import ItemState, RestoreItem, result_of
from ob_async.drill._plan import parse_duration
from ob_async.drill._report import entry_from_result
from ob_async.drill._report.convert import to_json
from ob_async.errors import InvalidInputError, ObError

MAX_BODY_BYTES = 1024 * 1024
LATEST = "latest"

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

_FLAG_HELP = {
    "source_instance_id": ("ID", "the instance holding the backup, e.g. obxxx"),
    "source_tenant_id": ("ID", "the tenant to restore, e.g. txxx"),
    "target_instance_id": ("ID", "the instance to restore into"),
    "target_tenant_name": ("NAME", "the new tenant's name (must be free in the target)"),
    "target_tenant_primary_zone": ("ZONE", "the new tenant's primary zone, e.g. cn-shanghai-e"),
    "restore_time": (
        "TIME",
        f"the point to restore to: {TIME_FORMAT}, or 'latest' (the end of the newest "
        "restorable window; see ob-restore windows)",
    ),
    "cpu": ("CORES", "CPU cores per unit (a whole number)"),
    "memory": ("GB", "memory per unit in GB (a whole number)"),
    "unit_num": ("N", "number of units"),
}

DESCRIPTION = """
Submit one restore, with retries and never twice: every attempt carries the
same requestId, and an attempt whose answer was lost is followed by a lookup
of the target name before anything is sent again.

The request is a JSON file in the API's own format (the body of its curl
example; - reads standard input), or the flags below. With --wait the command
also waits for the tenant to come ONLINE and prints the recovery time.
"""

EXAMPLES = (
    (
        "from flags, against the embedded simulator, waiting for ONLINE",
        "ob-restore submit --simulate --source-instance-id obxxx \\\n"
        "    --source-tenant-id txxx --target-instance-id obxxx \\\n"
        "    --target-tenant-name RestoredTenant001 --zone cn-shanghai-e \\\n"
        "    --restore-time latest --cpu 1 --memory 4 --unit-num 1 --wait",
    ),
    (
        "the API's JSON body from a file, against the real API",
        "ob-restore submit --endpoint https://api-cloud.oceanbase.com \\\n"
        "    --file body.json --json",
    ),
)


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "submit",
        summary="submit one restore (JSON body or flags), optionally wait for ONLINE",
        description=DESCRIPTION,
        examples=EXAMPLES,
        codes=exit_codes(
            ok="submitted (and ONLINE, with --wait)",
            failed="refused, failed, or not ONLINE in time; or the source is not restorable",
        ),
    )
    body = parser.add_argument_group("the request (--file, or every flag of this group)")
    body.add_argument(
        "--file",
        metavar="BODY.json",
        help="the request body in the API's JSON format ('-': standard input)",
    )
    for field, flag in _FLAG_FIELDS:
        kind = positive_int if field in ("cpu", "memory", "unit_num") else str
        metavar, text = _FLAG_HELP[field]
        body.add_argument(flag, dest=field, type=kind, metavar=metavar, help=text)
    body.add_argument(
        "--description", default="", metavar="TEXT", help="the new tenant's description"
    )
    body.add_argument(
        "--restore-mode",
        default=RestoreMode.FROM_BACKUP_SET.value,
        choices=[mode.value for mode in RestoreMode],
        help="restore from a backup set or from a time point (default %(default)s)",
    )
    body.add_argument(
        "--restore-object-type",
        default=RestoreObjectType.TENANT.value,
        choices=[kind.value for kind in RestoreObjectType],
        help="what to restore (default %(default)s)",
    )
    body.add_argument(
        "--from-remote", action="store_true", help="restore from a remote (cross-region) backup"
    )
    call = parser.add_argument_group("the call")
    call.add_argument(
        "--instance-id",
        metavar="ID",
        help="the instance the call is addressed to (default: the target instance)",
    )
    call.add_argument("--request-id", metavar="ID", help="a fixed requestId (default: a new UUID)")
    call.add_argument("--wait", action="store_true", help="wait until the tenant is ONLINE")
    call.add_argument(
        "--timeout",
        default="90m",
        metavar="DURATION",
        help=f"how long the whole command may take (submission, reconciliation and "
        f"--wait): {DURATION_FORMAT} (default 90m)",
    )
    add_connection_arguments(parser)
    output = parser.add_argument_group("output")
    output.add_argument(
        "--json", action="store_true", help="print the record as JSON (the report's entry format)"
    )
    add_verbosity(output)
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
    if args.instance_id is not None and not args.instance_id.strip():
        raise InvalidInputError("must not be empty", where="--instance-id")
    if args.request_id is not None:
        check_request_id(args.request_id, where="--request-id")


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
    name_problem = tenant_name_problem(request.target_tenant_name)
    if name_problem is not None:
        raise InvalidInputError(
            name_problem, where=_where(args, "--target-tenant-name", "targetTenantName")
        )
    resources = request.tenant_resource
    for key, flag, field in (
        ("cpu", "--cpu", "tenantResource.cpu"),
        ("memory", "--memory", "tenantResource.memory"),
        ("unit_num", "--unit-num", "tenantResource.unitNum"),
    ):
        problem = resource_problem(key, getattr(resources, key))
        if problem is not None:
            raise InvalidInputError(problem, where=_where(args, flag, field))
    return request


def _where(args: argparse.Namespace, flag: str, field: str) -> str:
    """Where a request's value came from: its flag, or its place in the body file."""
    return flag if args.file is None else f"{_body_name(args.file)}: $.{field}"


def _request_from_input(args: argparse.Namespace) -> RestoreRequest:
    given = [flag for field, flag in _FLAG_FIELDS if getattr(args, field) is not None]
    if args.file is not None and given:
        raise InvalidInputError(f"give --file or the flags, not both ({', '.join(given)})")
    if args.file is not None:
        return _read_body(args.file)
    missing = [flag for field, flag in _FLAG_FIELDS if getattr(args, field) is None]
    if missing:
        raise InvalidInputError(f"missing {', '.join(missing)} (or give --file BODY.json)")
    if _wants_latest(args):
        # Checked with the current time; the newest window's end replaces it once
        # the source's windows have been read (see _resolve_latest).
        restore_time = datetime.now(UTC)
    else:
        try:
            restore_time = parse_aware_time(args.restore_time)
        except ValueError as error:
            raise InvalidInputError(f"{error} (or 'latest')", where="--restore-time") from None
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


def _wants_latest(args: argparse.Namespace) -> bool:
    return args.file is None and str(args.restore_time).strip().lower() == LATEST


def _source_windows(
    client: ObClient, request: RestoreRequest
) -> Callable[[], Awaitable[list[RestorableTenant]]]:
    source, tenant_id = request.source_instance_id, request.source_tenant_id
    return lambda: client.list_restorable_tenants(source, tenant_id=tenant_id)


async def _resolve_latest(
    client: ObClient, request: RestoreRequest, tenants: list[RestorableTenant] | None
) -> RestoreRequest | str:
    """The request with the end of the source's newest restorable window, or why there is
    none; ``tenants``: the source's restorable tenants if already read."""
    source, tenant_id = request.source_instance_id, request.source_tenant_id
    if tenants is None:
        tenants = await client.retrying(_source_windows(client, request))
    found = next((tenant for tenant in tenants if tenant.tenant_id == tenant_id), None)
    if found is None:
        return (
            f"source tenant {tenant_id} is not restorable from {source} "
            f"(see: ob-restore windows {source})"
        )
    latest = found.latest_restorable_time
    if latest is None:
        return f"source tenant {tenant_id} has no restorable window"
    return attrs.evolve(request, restore_time=latest)


async def _submit(args: argparse.Namespace, request: RestoreRequest, timeout: float) -> int:
    instance_id = args.instance_id or request.target_instance_id
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout  # --timeout bounds the whole command
    async with open_connection(args) as connection:
        client = connection.client
        submission = _submission(instance_id, request, args)
        try:
            async with asyncio.timeout_at(deadline):
                # The drill's probe: a failure every request would meet is one message
                # and exit 2, found by one read before the restore is sent.
                windows = await probe(_source_windows(client, request))
                if _wants_latest(args):
                    try:
                        resolved = await _resolve_latest(client, request, windows)
                    except ObError as error:
                        resolved = f"cannot read the restorable windows: {error}"
                    if isinstance(resolved, str):
                        print(
                            f"ob-restore submit: --restore-time latest: {resolved}",
                            file=sys.stderr,
                        )
                        return EXIT_FAILED
                    submission = _submission(instance_id, resolved, args)
                await client.submit_restore(instance_id, submission.request, submission=submission)
                failure = None if submission.submitted else run_wide(submission.error)
                if failure is not None:  # met after the probe: still every request's
                    raise failure
        except RunWideError as error:
            print(f"ob-restore submit: {error}; no restore was submitted", file=sys.stderr)
            return EXIT_BAD_INPUT
        except TimeoutError:
            print(
                f"ob-restore submit: --timeout {args.timeout} passed before the submission "
                f"settled (outcome {submission.outcome.value}); retry with --request-id "
                f"{submission.request_id} to settle it without creating a second restore",
                file=sys.stderr,
            )
            _print(args, submission, interrupted=False)
            return EXIT_FAILED
        except asyncio.CancelledError:
            _print(args, submission, interrupted=True)
            return EXIT_INTERRUPTED
        if args.wait and submission.submitted:
            try:
                submission.restore = await client.wait_until_online(
                    submission.target_instance_id,
                    submission.target_tenant_name,
                    timeout=max(deadline - loop.time(), 0.001),
                    started_at=submission.first_attempt_at,
                )
            except asyncio.CancelledError:
                _print(args, submission, interrupted=True)
                return EXIT_INTERRUPTED
    _print(args, submission, interrupted=False)
    return EXIT_OK if submission.ok else EXIT_FAILED


def _submission(
    instance_id: str, request: RestoreRequest, args: argparse.Namespace
) -> RestoreSubmission:
    submission = RestoreSubmission.new(instance_id, request, request_id=args.request_id)
    # A script that runs submit again with its --request-id repeats one submission.
    submission.caller_request_id = args.request_id is not None
    return submission


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
        print(json.dumps(to_json(entry), indent=2))
        return
    print(
        f"{entry.key}: {entry.state} (requestId {entry.request_id}, "
        f"{len(submission.attempts)} attempt(s))"
    )
    if entry.recovery_seconds is not None:
        print(f"  ONLINE after {entry.recovery_seconds:.1f}s")
    if entry.error:
        print(f"  {entry.error}")
