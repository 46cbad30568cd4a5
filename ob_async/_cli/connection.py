"""Where a command's client comes from: the embedded simulator, or a real endpoint.

``--simulate`` starts the simulator in-process (with a fixture, if given) and
connects to it with its demo AccessKey pair. ``--endpoint URL`` connects to a
real API; the AccessKey pair then comes from ``--credentials-file``,
``OB_CREDENTIALS_FILE``, or ``OB_ACCESS_KEY_ID``/``OB_ACCESS_KEY_SECRET`` —
never from a flag's value, which would show in ``ps`` and shell history.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs

from ob_async._client import ObClient
from ob_async._http.config import ClientConfig
from ob_async._http.credentials import ENV_CREDENTIALS_FILE, ENV_PROJECT_ID, Credentials
from ob_async._http.session import parse_endpoint
from ob_async._restore.poll_config import PollConfig
from ob_async.errors import InvalidInputError
from ob_async.simulator import Simulator, SimulatorConfig

SIMULATOR_PROJECT = "simulated-project"


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_argument_group("where to restore")
    where = target.add_mutually_exclusive_group()
    where.add_argument(
        "--simulate",
        action="store_true",
        help="run against the embedded simulator, started in-process",
    )
    where.add_argument(
        "--endpoint",
        metavar="URL",
        help="the OpenAPI base URL, e.g. https://api-cloud.oceanbase.com (env OB_ENDPOINT)",
    )
    target.add_argument(
        "--project-id",
        metavar="ID",
        help=f"the X-Ob-Project-Id to send (env {ENV_PROJECT_ID})",
    )
    target.add_argument(
        "--credentials-file",
        metavar="FILE",
        type=Path,
        help=f"a file with OB_ACCESS_KEY_ID=... and OB_ACCESS_KEY_SECRET=... lines, "
        f"mode 600 (env {ENV_CREDENTIALS_FILE}; otherwise the two variables themselves)",
    )
    target.add_argument(
        "--insecure-http",
        action="store_true",
        help="allow a plain http:// endpoint that is not loopback",
    )


@attrs.frozen
class Connection:
    client: ObClient
    label: str
    """What the reports say the drill ran against."""
    simulated: bool


@asynccontextmanager
async def open_connection(
    args: argparse.Namespace,
    *,
    fixture: Path | None = None,
    poll: PollConfig | None = None,
    environ: Any = None,
    tenant_password: str | None = None,
    sql_address: str | None = None,
) -> AsyncIterator[Connection]:
    """Open the client the arguments ask for (starting the simulator if needed).

    ``tenant_password``: what the simulated tenants accept over MySQL (the plan's);
    ``sql_address``: the MySQL server they report instead of their own (the plan's).
    """
    env = os.environ if environ is None else environ
    endpoint: str | None = args.endpoint or env.get("OB_ENDPOINT")
    if not args.simulate and not endpoint:
        raise InvalidInputError(
            "say where to restore: --simulate (the embedded simulator) or --endpoint URL "
            "(or set OB_ENDPOINT)",
            where="--endpoint",
        )
    if args.simulate:
        config = SimulatorConfig(fixture=fixture) if fixture else SimulatorConfig()
        if tenant_password:
            config = attrs.evolve(config, tenant_password=tenant_password)
        if sql_address:
            config = attrs.evolve(config, sql_address=sql_address)
        async with Simulator(config) as simulator:
            client = ObClient(
                simulator.url,
                simulator.credentials,
                SIMULATOR_PROJECT,
                poll=poll or PollConfig(initial_interval=0.5, max_interval=2.0),
            )
            async with client:
                yield Connection(client, f"embedded simulator at {simulator.url}", True)
        return
    assert endpoint is not None
    try:  # checked before anything else, and named as the user wrote it
        parse_endpoint(endpoint, allow_insecure_http=args.insecure_http)
    except InvalidInputError as error:
        raise InvalidInputError(
            error.reason, where="--endpoint" if args.endpoint else "OB_ENDPOINT"
        ) from None
    project = args.project_id or env.get(ENV_PROJECT_ID)
    if not project:
        raise InvalidInputError(
            f"no project: pass --project-id or set {ENV_PROJECT_ID}", where="--project-id"
        )
    credentials_file = args.credentials_file or env.get(ENV_CREDENTIALS_FILE)
    credentials = (
        Credentials.from_file(credentials_file) if credentials_file else Credentials.from_env(env)
    )
    client = ObClient(
        endpoint,
        credentials,
        project,
        config=ClientConfig(allow_insecure_http=args.insecure_http),
        poll=poll,
    )
    async with client:
        yield Connection(client, endpoint, False)
