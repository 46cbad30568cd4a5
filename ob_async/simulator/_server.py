"""``Simulator``: the whole simulator as an async context manager.

::

    async with Simulator(restore_seconds=0.2, faults="reset_after@restore=0.1", seed=7) as sim:
        sim.url               # "http://127.0.0.1:54321"
        sim.credentials       # the AccessKey pair it accepts (ob_async.Credentials)
        sim.stats()           # same dict as GET /_simulator/stats
        sim.tenants("ob-dr-east")   # ground truth: describe-form dicts, statuses settled
        sim.world             # the live in-memory state

The constructor takes a :class:`SimulatorConfig`, keyword options (the
config's fields), or both (options override the config's fields). Two seeded
random generators are derived from ``seed``: one for faults, one for the world
(tenant ids, restore durations, failures), so the fault sequence does not
depend on how many tenants were created.
"""

from __future__ import annotations

import random
from types import TracebackType
from typing import Any

import attrs
from aiohttp import web

from ob_async._http.credentials import Credentials
from ob_async.simulator import _shapes as shapes
from ob_async.simulator._app import SimulatorApp
from ob_async.simulator._config import SimulatorConfig
from ob_async.simulator._digest_server import DigestVerifier
from ob_async.simulator._faults import FaultInjector
from ob_async.simulator._stats import Stats
from ob_async.simulator._world import World

_SHUTDOWN_TIMEOUT = 2.0


def _rng(seed: int | None, stream: str) -> random.Random:
    return random.Random(f"{seed}/{stream}") if seed is not None else random.Random()  # noqa: S311 - simulation, not security


class Simulator:
    """An embedded OceanBase Cloud API simulator listening on a local port."""

    def __init__(self, config: SimulatorConfig | None = None, /, **options: Any) -> None:
        if config is None:
            config = SimulatorConfig(**options)
        elif options:
            config = attrs.evolve(config, **options)
        self.config = config
        self.world = World(config, _rng(config.seed, "world"))
        self._stats = Stats()
        self.verifier = DigestVerifier(
            users={config.access_key_id: config.access_key_secret},
            realm=config.realm,
            algorithms=config.digest_algorithms,
            qops=config.qop,
            userhash=config.userhash,
            nonce_ttl=config.nonce_ttl,
            nc_check=config.nc_check,
            clock=config.clock,
        )
        self.application = SimulatorApp(
            config,
            self.world,
            self.verifier,
            FaultInjector(config.faults, _rng(config.seed, "faults")),
            self._stats,
        )
        self._runner: web.AppRunner | None = None
        self._host = config.host
        self._port: int | None = None

    async def start(self) -> None:
        """Start listening; ``port`` 0 picks a free port (see :attr:`port`)."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already running")
        runner = web.AppRunner(
            self.application.app,
            access_log=None,
            handle_signals=False,
            shutdown_timeout=_SHUTDOWN_TIMEOUT,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.config.host, self.config.port)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        address = runner.addresses[0]
        self._host, self._port = str(address[0]), int(address[1])
        self.application.server_name = f"{self._host}:{self._port}"

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        await self.application.addresses.close()

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the simulator is not started")
        return self._port

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321``."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}"

    @property
    def access_key_id(self) -> str:
        return self.config.access_key_id

    @property
    def credentials(self) -> Credentials:
        """The AccessKey pair the simulator accepts."""
        return Credentials(
            self.config.access_key_id, access_key_secret=self.config.access_key_secret
        )

    def stats(self) -> dict[str, Any]:
        """Every counter, as ``GET /_simulator/stats`` returns it."""
        return self._stats.snapshot(self.world)

    def set_rate_limit(self, per_second: float) -> None:
        """Change the rate limit from now on (``POST /_simulator/rate-limit`` does the same)."""
        self.application.set_rate_limit(per_second)

    def tenants(self, instance_id: str) -> list[dict[str, Any]]:
        """Ground truth: every tenant of an instance now, as the tenant list shows them."""
        if instance_id not in self.world.instances:
            raise KeyError(f"no instance {instance_id!r}")
        return [shapes.listed_tenant(tenant) for tenant in self.world.tenants(instance_id)]
