"""An embedded simulator of the OceanBase Cloud restore API: a strict server, not a mock.

It is the ground truth the tests count against (how many tenants really got
created, with which requestIds), served by aiohttp.web on a local port.

Modules, one job each:

- :mod:`.server`: :class:`Simulator`, the async context manager that runs it;
- :mod:`.config`: :class:`SimulatorConfig`, every option and its default;
- :mod:`.fixture`: the starting world file format and its strict loader;
  ``default_fixture.toml`` is the built-in world;
- :mod:`.world`: instances, tenants, capacity and the restore lifecycle;
- :mod:`.validation`: the restore body's shape checks;
- :mod:`.digest_server`: RFC 7616 digest verification, independent of the client;
- :mod:`.faults`: the fault SPEC and the seeded choice of faults;
- :mod:`.ratelimit`: the ``rate_limit`` token bucket;
- :mod:`.routes`: the API routes by name (stats keys and fault scopes);
- :mod:`.app`: handlers, envelopes and the middleware that ties it together;
- :mod:`.shapes`: every answer's ``data``, in the shapes of contract/openapi.yaml;
- :mod:`.errors`: the table of ``errorCode`` values;
- :mod:`.stats`: the counters behind ``/_simulator/stats``;
- :mod:`.clock`: the injectable clock.

The ``ob-restore simulator`` command runs it in the foreground.
"""

from ob_async._extras import require_extra

require_extra("simulator", "The embedded simulator")

from ob_async.simulator._clock import Clock, ManualClock, SystemClock  # noqa: E402
from ob_async.simulator._config import ConfigError, SimulatorConfig  # noqa: E402
from ob_async.simulator._errors import ErrorCode  # noqa: E402
from ob_async.simulator._faults import FaultKind, FaultSpec, FaultSpecError  # noqa: E402
from ob_async.simulator._fixture import Fixture, FixtureError, default_fixture, load_fixture  # noqa: E402
from ob_async.simulator._server import Simulator  # noqa: E402

__all__ = [
    "Clock",
    "ConfigError",
    "ErrorCode",
    "FaultKind",
    "FaultSpec",
    "FaultSpecError",
    "Fixture",
    "FixtureError",
    "ManualClock",
    "Simulator",
    "SimulatorConfig",
    "SystemClock",
    "default_fixture",
    "load_fixture",
]
