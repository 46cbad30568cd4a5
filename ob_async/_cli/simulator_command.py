"""``ob-restore simulator``: run the embedded API simulator in the foreground.

It prints its base URL and the AccessKey pair it accepts, then serves until
SIGINT (Ctrl-C) or SIGTERM, and exits 0. The pair comes from
``OB_ACCESS_KEY_ID``/``OB_ACCESS_KEY_SECRET`` when both are set (the secret is
then never printed), else a demo pair is used and printed. Its tenants, served
over the MySQL protocol, accept the password in ``OB_TENANT_PASSWORD`` when it is
set (never printed), else the demo password; with ``--sql-address`` they report a
MySQL server of your own instead (data checks then run against it). A bad flag
value exits 2 with a message naming the flag; a port that cannot be bound exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO, TypeVar

from ob_async._cli.args import positive_float
from ob_async._cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from ob_async._cli.help import add_command
from ob_async._cli.signals import on_stop_signals
from ob_async._http.credentials import ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET
from ob_async.errors import InvalidInputError
from ob_async.simulator import Simulator, SimulatorConfig
from ob_async.simulator._config import (
    DEMO_TENANT_PASSWORD,
    PATH_INSTANCE_CHOICES,
    to_algorithms,
    to_nc_check,
    to_qops,
    to_restore_seconds,
)
from ob_async.simulator._digest_server import NcCheck
from ob_async.simulator._faults import FaultSpec
from ob_async.simulator._fixture import load_fixture

T = TypeVar("T")

_FIELD_FLAGS = {
    "digest_algorithms": "--digest-algorithms",
    "qop": "--qop",
    "restore_seconds": "--restore-seconds",
    "host": "--host",
    "sql_address": "--sql-address",
    "access_key_id": ENV_ACCESS_KEY_ID,
    "access_key_secret": ENV_ACCESS_KEY_SECRET,
}


def _flag_type(convert: Callable[[str], T], name: str) -> Callable[[str], T]:
    """An argparse type that turns any conversion error into a message for the flag."""

    def parse(text: str) -> T:
        try:
            return convert(text)
        except InvalidInputError as error:
            raise argparse.ArgumentTypeError(error.reason) from None
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = name
    return parse


def _probability(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:  # NaN fails this too
        raise ValueError(f"{text!r} is not a number within [0, 1]")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an integer") from None


def _port(text: str) -> int:
    value = _integer(text)
    if not 0 <= value <= 65535:
        raise ValueError(f"{text!r} is not a port (0..65535; 0 picks a free one)")
    return value


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``simulator`` subcommand."""
    parser = add_command(
        subparsers,
        "simulator",
        summary="run the embedded OceanBase Cloud API simulator",
        description=f"""
            Serve a strict simulator of the OceanBase Cloud restore API on a local
            port: digest authentication, validation, the restore lifecycle, rate
            limiting and fault injection. It accepts the AccessKey pair of
            {ENV_ACCESS_KEY_ID}/{ENV_ACCESS_KEY_SECRET} when both are set (the secret
            is never printed), else a demo pair that it prints. Stop it with Ctrl-C.
            """,
        examples=(
            (
                "a simulator on port 8765 with your own AccessKey pair",
                "OB_ACCESS_KEY_ID=ak OB_ACCESS_KEY_SECRET=sk ob-restore simulator --port 8765",
            ),
            (
                "restored tenants that report your own MySQL/MariaDB server, for data checks",
                "ob-restore simulator --sql-address 127.0.0.1:3306",
            ),
            (
                "lost responses on 10% of restores, slow 3-10 s restores, reproducibly",
                "ob-restore simulator --faults reset_after@restore=0.1 \\\n"
                "    --restore-seconds 3-10 --seed 7",
            ),
        ),
        codes=[
            (EXIT_OK, "stopped by Ctrl-C or SIGTERM"),
            (EXIT_FAILED, "the port could not be bound"),
            (EXIT_BAD_INPUT, "a bad flag value"),
        ],
    )
    add = parser.add_argument
    add(
        "--host",
        default="127.0.0.1",
        metavar="ADDRESS",
        help="address to listen on (default 127.0.0.1)",
    )
    add(
        "--port",
        type=_flag_type(_port, "port"),
        default=8765,
        metavar="PORT",
        help="TCP port (default 8765; 0 picks a free one)",
    )
    add(
        "--fixture",
        type=_flag_type(load_fixture, "fixture"),
        metavar="FILE",
        help="the world to start with: a TOML or JSON fixture file (default: the built-in world)",
    )
    add(
        "--sql-address",
        metavar="HOST:PORT",
        help="the MySQL address every restored tenant reports (describe and the address "
        "call), e.g. a MariaDB you run: data checks connect there (default: each tenant "
        "is served on its own loopback port)",
    )
    add(
        "--faults",
        type=_flag_type(FaultSpec.parse, "faults"),
        default=FaultSpec(),
        metavar="SPEC",
        help="faults to inject: KIND[@ROUTE]=PROBABILITY[:SECONDS],... e.g. "
        "reset_after@restore=0.1,http_503=0.02,slow=0.01:1.5",
    )
    add(
        "--seed",
        type=_flag_type(_integer, "seed"),
        metavar="N",
        help="an integer seed: faults and outcomes reproducible",
    )
    add(
        "--rate-limit",
        type=positive_float,
        metavar="PER_SECOND",
        help="answer 429 beyond this many authenticated requests per second",
    )
    add(
        "--restore-seconds",
        type=_flag_type(to_restore_seconds, "seconds"),
        default=(3.0, 3.0),
        metavar="S|MIN-MAX",
        help="how long a restore takes, in seconds: one number or a range MIN-MAX (default 3)",
    )
    add(
        "--failure-rate",
        type=_flag_type(_probability, "probability"),
        default=0.0,
        metavar="P",
        help="probability that a restore fails, 0 to 1 (default 0)",
    )
    add(
        "--digest-algorithms",
        type=_flag_type(to_algorithms, "algorithms"),
        default=("SHA-256", "MD5"),
        metavar="LIST",
        help="digest algorithms offered, comma-separated (default SHA-256,MD5)",
    )
    add(
        "--qop",
        type=_flag_type(to_qops, "qop"),
        default=("auth",),
        metavar="LIST",
        help="qop offered: auth, auth-int, both (comma-separated), or none for RFC 2069 "
        "(default auth)",
    )
    add("--userhash", action="store_true", help="offer userhash=true")
    add(
        "--nonce-ttl",
        type=positive_float,
        default=300.0,
        metavar="S",
        help="seconds a nonce stays valid (default 300)",
    )
    add(
        "--nc-check",
        type=_flag_type(to_nc_check, "nonce-count check"),
        default=NcCheck.WINDOW,
        metavar="MODE",
        help="nonce counts: window (each once, in any order; default), ordered (each "
        "above the highest seen with its nonce) or strict (as Apache's mod_auth_digest with "
        "AuthDigestNcCheck On: a client record per opaque, one nonce at a time, counts rising)",
    )
    add(
        "--project",
        dest="projects",
        action="append",
        default=[],
        metavar="ID",
        help="a project that exists (repeatable; default: any project); another "
        "X-Ob-Project-Id is refused with 404 ProjectNotFound",
    )
    add(
        "--dedupe-request-ids",
        action="store_true",
        help="replay the first answer to a repeated requestId on POST",
    )
    add(
        "--restoring-status",
        default="RESTORING",
        metavar="STATUS",
        help="a restoring tenant's status (default RESTORING)",
    )
    add(
        "--online-status",
        default="ONLINE",
        metavar="STATUS",
        help="a restored tenant's status (default ONLINE)",
    )
    add(
        "--failed-status",
        default="RESTORE_FAILED",
        metavar="STATUS",
        help="a failed restore's status (default RESTORE_FAILED)",
    )
    add(
        "--path-instance",
        choices=PATH_INSTANCE_CHOICES,
        default="target",
        help="which body instance the restore path's instanceId must be (default target)",
    )
    parser.set_defaults(handler=run)


def _credentials(environ: os._Environ[str] | dict[str, str]) -> tuple[str, str, bool] | str:
    """``(id, secret, from_env)``, or an error message when only one variable is set."""
    key_id = environ.get(ENV_ACCESS_KEY_ID, "")
    secret = environ.get(ENV_ACCESS_KEY_SECRET, "")
    if key_id and secret:
        return key_id, secret, True
    if key_id or secret:
        missing = ENV_ACCESS_KEY_SECRET if key_id else ENV_ACCESS_KEY_ID
        return f"{missing} is not set (set both AccessKey variables, or neither for a demo pair)"
    return "", "", False


def build_config(args: argparse.Namespace, environ: Any = None) -> tuple[SimulatorConfig, bool]:
    """The config for parsed arguments, and whether the credentials came from the environment."""
    found = _credentials(os.environ if environ is None else environ)
    if isinstance(found, str):
        raise InvalidInputError(found, where="credentials")
    key_id, secret, from_env = found
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "fixture": args.fixture,
        "faults": args.faults,
        "seed": args.seed,
        "rate_limit": args.rate_limit,
        "restore_seconds": args.restore_seconds,
        "failure_rate": args.failure_rate,
        "digest_algorithms": args.digest_algorithms,
        "qop": args.qop,
        "userhash": args.userhash,
        "nonce_ttl": args.nonce_ttl,
        "nc_check": args.nc_check,
        "dedupe_request_ids": args.dedupe_request_ids,
        "projects": tuple(args.projects),
        "restoring_status": args.restoring_status,
        "online_status": args.online_status,
        "failed_status": args.failed_status,
        "path_instance": args.path_instance,
        "sql_address": args.sql_address,
    }
    if from_env:
        options["access_key_id"] = key_id
        options["access_key_secret"] = secret
    tenant_password = (os.environ if environ is None else environ).get(ENV_TENANT_PASSWORD)
    if tenant_password:
        options["tenant_password"] = tenant_password
    return SimulatorConfig(**options), from_env


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; the exit code."""
    try:
        config, from_env = build_config(args)
    except InvalidInputError as error:
        where = _FIELD_FLAGS.get(error.where or "", error.where or "")
        print(f"ob-restore simulator: error: {where}: {error.reason}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        asyncio.run(_serve(config, from_env, sys.stdout))
    except OSError as error:
        print(
            f"ob-restore simulator: cannot listen on {config.host}:{config.port}: "
            f"{error.strerror or error}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


ENV_TENANT_PASSWORD = "OB_TENANT_PASSWORD"  # noqa: S105 - the variable's name, not a password


def _tenant_password(config: SimulatorConfig) -> str:
    if config.tenant_password != DEMO_TENANT_PASSWORD:
        return f"(from {ENV_TENANT_PASSWORD}; not shown)"
    return f"{DEMO_TENANT_PASSWORD}  (demo; set {ENV_TENANT_PASSWORD} to use your own)"


def _tenants_line(config: SimulatorConfig) -> str:
    if config.sql_address is not None:
        return (
            f"  tenants (MySQL):  reported at {config.sql_address} (your server: its users "
            "and passwords)"
        )
    return f"  tenants (MySQL):  any user; password {_tenant_password(config)}"


async def _serve(config: SimulatorConfig, from_env: bool, out: TextIO) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    on_stop_signals(loop, stop.set)
    async with Simulator(config) as sim:
        secret = (
            f"(from {ENV_ACCESS_KEY_SECRET}; not shown)"
            if from_env
            else f"{config.access_key_secret}  (demo pair; set {ENV_ACCESS_KEY_ID} and "
            f"{ENV_ACCESS_KEY_SECRET} to use your own)"
        )
        lines = [
            f"ob-restore simulator listening on {sim.url}",
            f"  AccessKey ID:     {config.access_key_id}",
            f"  AccessKey secret: {secret}",
            f"  digest:           {', '.join(config.digest_algorithms)}; "
            f"qop {', '.join(config.qop) or 'none (RFC 2069)'}; nonce ttl {config.nonce_ttl:g}s; "
            f"nonce counts {config.nc_check.value}",
            _tenants_line(config),
            f"  faults:           {str(config.faults) or 'none'}",
            f"  fixture:          {config.fixture.source}",
            f"  stats:            {sim.url}/_simulator/stats",
            "Press Ctrl-C to stop.",
        ]
        print("\n".join(lines), file=out, flush=True)
        await stop.wait()
    print("ob-restore simulator stopped.", file=out, flush=True)
