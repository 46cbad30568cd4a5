"""Every option of the simulator, in one attrs class shared by the CLI and tests.

``SimulatorConfig`` fields and defaults:

=======================  ====================  ==============================================
field                    default               meaning
=======================  ====================  ==============================================
host                     "127.0.0.1"           address to listen on
port                     0                     0 picks a free port
access_key_id            "demo-access-key-id"  the one known user (digest user name)
access_key_secret        "demo-access-key-     its password; never in repr
                         secret"
realm                    "OceanBase Cloud"     digest realm
fixture                  built-in default      a :class:`Fixture`, or a path to load
faults                   no faults             a :class:`FaultSpec` or SPEC text
seed                     None (random)         seeds faults, tenant ids, durations, failures
rate_limit               None (unlimited)      authenticated requests/second, token bucket
restore_seconds          (3.0, 3.0)            restore duration, fixed or uniform (MIN, MAX);
                                               also "3" or "1-5"
failure_rate             0.0                   probability that a restore ends failed
digest_algorithms        ("SHA-256", "MD5")    offered algorithms, one challenge each,
                                               strongest first (RFC 7616 §3.7)
qop                      ("auth",)             offered qop values; empty = RFC 2069 mode
                                               (no qop, no nc: replays cannot be detected)
userhash                 False                 offer userhash=true and accept hashed names
nonce_ttl                300.0                 seconds a nonce stays valid
nc_check                 "window"              nonce counts: "window" (each once, any order),
                                               "ordered" (each above the highest seen with
                                               its nonce) or "strict" (as Apache's
                                               mod_auth_digest with AuthDigestNcCheck On: a
                                               client record per opaque, one nonce at a
                                               time, counts rising)
list_churn               0                     tenants created before page 1 of a tenant
                                               listing and deleted before page 2 (pages
                                               shift under the reader)
projects                 ()                    the projects that exist (empty: any); another
                                               X-Ob-Project-Id gets 404 ProjectNotFound
dedupe_request_ids       False                 replay the first response to a repeated
                                               requestId on POST (the real API promises no
                                               such thing)
restoring_status         "RESTORING"           status while a restore runs
online_status            "ONLINE"              status of a finished restore
failed_status            "RESTORE_FAILED"      status of a failed restore
require_request_id       True                  the restore POST needs ``?requestId=``
                                               (the seed marks it required)
path_instance            "target"              which body instance the path ``instanceId``
                                               of the restore POST must equal: "target",
                                               "source", or "either"
tenant_name_pattern      [A-Za-z][A-Za-z0-9_]  full-match pattern for ``targetTenantName``
                         {0,63}
page_size_max            100                   larger ``pageSize`` values are refused (400)
max_body_bytes           1 MiB                 larger bodies get 413
clock                    SystemClock()         where time comes from (tests: ManualClock)
tenant_password          "demo-tenant-         the password every simulated tenant accepts
                         password"             over MySQL (any user name); never in repr
serve_sql                True                  serve each ONLINE tenant over the MySQL
                                               protocol on its own loopback port
sql_address              None                  "HOST:PORT": report this address for every
                                               tenant instead (e.g. a real MySQL server)
address_delay            0.0                   seconds after ONLINE before a tenant's
                                               address is ONLINE too
sql_use_ssl              False                 addresses say useSSL (for a sql_address
                                               server that speaks TLS)
=======================  ====================  ==============================================

A bad value raises :class:`ConfigError` whose ``where`` is the field name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from ob_async._wire.addresses import Endpoint
from ob_async._wire.names import TENANT_NAME_PATTERN
from ob_async.errors import InvalidInputError
from ob_async.simulator._clock import Clock, SystemClock
from ob_async.simulator._digest_server import NcCheck
from ob_async.simulator._faults import FaultSpec
from ob_async.simulator._fixture import Fixture, default_fixture, load_fixture

DEMO_ACCESS_KEY_ID = "demo-access-key-id"
DEMO_ACCESS_KEY_SECRET = "demo-access-key-secret"  # noqa: S105 - a published demo value
DEMO_TENANT_PASSWORD = "demo-tenant-password"  # noqa: S105 - a published demo value

# Base hash of each algorithm, strongest first; the "-sess" variants share their base's rank.
ALGORITHM_STRENGTH = ("SHA-512-256", "SHA-256", "MD5")
KNOWN_ALGORITHMS = (
    "SHA-512-256",
    "SHA-512-256-sess",
    "SHA-256",
    "SHA-256-sess",
    "MD5",
    "MD5-sess",
)
KNOWN_QOPS = ("auth", "auth-int")
PATH_INSTANCE_CHOICES = ("target", "source", "either")


class ConfigError(InvalidInputError):
    """A simulator option has a bad value; ``where`` is the option's field name."""


def _split(value: str | Iterable[str]) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item.strip()]


def to_algorithms(value: str | Iterable[str]) -> tuple[str, ...]:
    """``"SHA-256,MD5"`` → canonical names, strongest first; refuses unknown names."""
    canonical = {name.upper(): name for name in KNOWN_ALGORITHMS}
    names: list[str] = []
    for item in _split(value):
        name = canonical.get(item.upper())
        if name is None:
            raise ConfigError(
                f"unknown algorithm {item!r}; known: {', '.join(KNOWN_ALGORITHMS)}",
                where="digest_algorithms",
            )
        if name in names:
            raise ConfigError(f"{name} is listed twice", where="digest_algorithms")
        names.append(name)
    if not names:
        raise ConfigError("at least one algorithm is needed", where="digest_algorithms")
    return tuple(sorted(names, key=lambda name: ALGORITHM_STRENGTH.index(_base(name))))


def _base(algorithm: str) -> str:
    return algorithm.removesuffix("-sess")


def to_qops(value: str | Iterable[str]) -> tuple[str, ...]:
    """``"auth,auth-int"`` → a tuple; ``""`` or ``"none"`` → () (RFC 2069 mode)."""
    items = _split(value)
    if [item.lower() for item in items] == ["none"]:
        return ()
    qops: list[str] = []
    for item in items:
        if item.lower() not in KNOWN_QOPS:
            raise ConfigError(f"unknown qop {item!r}; known: auth, auth-int (or none)", where="qop")
        if item.lower() in qops:
            raise ConfigError(f"{item} is listed twice", where="qop")
        qops.append(item.lower())
    return tuple(qops)


def to_nc_check(value: str | NcCheck) -> NcCheck:
    """``"window"``, ``"ordered"`` or ``"strict"`` (any case) → :class:`NcCheck`."""
    try:
        return NcCheck(value.lower() if isinstance(value, str) else value)
    except ValueError:
        known = ", ".join(check.value for check in NcCheck)
        raise ConfigError(
            f"unknown nonce-count check {value!r}; known: {known}", where="nc_check"
        ) from None


def to_restore_seconds(value: float | str | tuple[float, float]) -> tuple[float, float]:
    """``3``, ``"3"``, ``"1-5"`` or ``(1, 5)`` → ``(min, max)`` seconds."""
    if isinstance(value, tuple):
        low, high = (float(part) for part in value)
    elif isinstance(value, str):
        low_text, sep, high_text = value.strip().partition("-")
        try:
            low = float(low_text)
            high = float(high_text) if sep else low
        except ValueError:
            raise ConfigError(
                f"{value!r} is not SECONDS or MIN-MAX", where="restore_seconds"
            ) from None
    else:
        low = high = float(value)
    if not (math.isfinite(low) and math.isfinite(high)) or low < 0 or high < low:
        raise ConfigError(
            f"{value!r}: need 0 <= MIN <= MAX (finite seconds)", where="restore_seconds"
        )
    return (low, high)


def to_fault_spec(value: FaultSpec | str) -> FaultSpec:
    return value if isinstance(value, FaultSpec) else FaultSpec.parse(value)


def to_fixture(value: Fixture | str | Path | None) -> Fixture:
    if value is None:
        return default_fixture()
    if isinstance(value, Fixture):
        return value
    return load_fixture(value)


def _positive(instance: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"must be a positive number, got {value!r}", where=attribute.name)


def _probability(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0 <= value <= 1:
        raise ConfigError(f"must be within [0, 1], got {value!r}", where=attribute.name)


def _port(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not 0 <= value <= 65535:
        raise ConfigError(f"must be within 0..65535, got {value!r}", where=attribute.name)


def _non_empty(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise ConfigError("must not be empty", where=attribute.name)


def _no_colon(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    _non_empty(instance, attribute, value)
    if ":" in value:
        raise ConfigError("must not contain ':'", where=attribute.name)


def _path_instance(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in PATH_INSTANCE_CHOICES:
        raise ConfigError(
            f"must be one of {', '.join(PATH_INSTANCE_CHOICES)}, got {value!r}",
            where=attribute.name,
        )


def _sql_address(instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    try:
        Endpoint.parse(value)
    except ValueError as error:
        raise ConfigError(str(error), where=attribute.name) from None


def _non_negative(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not math.isfinite(value) or value < 0:
        raise ConfigError(f"must be zero or more seconds, got {value!r}", where=attribute.name)


def _pattern(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    try:
        re.compile(value)
    except re.error as error:
        raise ConfigError(f"not a regular expression: {error}", where=attribute.name) from None


@attrs.frozen(kw_only=True)
class SimulatorConfig:
    """All simulator options; see the module docstring for the table of defaults."""

    host: str = attrs.field(default="127.0.0.1", validator=_non_empty)
    port: int = attrs.field(default=0, validator=_port)
    access_key_id: str = attrs.field(default=DEMO_ACCESS_KEY_ID, validator=_no_colon)
    access_key_secret: str = attrs.field(
        default=DEMO_ACCESS_KEY_SECRET, repr=False, validator=_non_empty
    )
    realm: str = attrs.field(default="OceanBase Cloud", validator=_non_empty)
    fixture: Fixture = attrs.field(default=None, converter=to_fixture)
    faults: FaultSpec = attrs.field(default=FaultSpec(), converter=to_fault_spec)
    seed: int | None = None
    rate_limit: float | None = attrs.field(default=None, validator=_positive)
    restore_seconds: tuple[float, float] = attrs.field(
        default=(3.0, 3.0), converter=to_restore_seconds
    )
    failure_rate: float = attrs.field(default=0.0, validator=_probability)
    digest_algorithms: tuple[str, ...] = attrs.field(
        default=("SHA-256", "MD5"), converter=to_algorithms
    )
    qop: tuple[str, ...] = attrs.field(default=("auth",), converter=to_qops)
    userhash: bool = False
    nonce_ttl: float = attrs.field(default=300.0, validator=_positive)
    nc_check: NcCheck = attrs.field(default=NcCheck.WINDOW, converter=to_nc_check)
    dedupe_request_ids: bool = False
    list_churn: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    """Tenants created before page 1 of a tenant listing and deleted before the next
    page, shifting the pages under the reader (see ``World.churn``). 0: none."""
    projects: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    """The projects that exist: another ``X-Ob-Project-Id`` is refused (404
    ``ProjectNotFound``). Empty: every project exists."""
    restoring_status: str = attrs.field(default="RESTORING", validator=_non_empty)
    online_status: str = attrs.field(default="ONLINE", validator=_non_empty)
    failed_status: str = attrs.field(default="RESTORE_FAILED", validator=_non_empty)
    require_request_id: bool = True
    path_instance: str = attrs.field(default="target", validator=_path_instance)
    tenant_name_pattern: str = attrs.field(default=TENANT_NAME_PATTERN, validator=_pattern)
    page_size_max: int = attrs.field(default=100, validator=_positive)
    max_body_bytes: int = attrs.field(default=1024 * 1024, validator=_positive)
    clock: Clock = attrs.field(factory=SystemClock)
    tenant_password: str = attrs.field(
        default=DEMO_TENANT_PASSWORD, repr=False, validator=_non_empty
    )
    serve_sql: bool = True
    sql_address: str | None = attrs.field(default=None, validator=_sql_address)
    address_delay: float = attrs.field(default=0.0, validator=_non_negative)
    sql_use_ssl: bool = False

    def __attrs_post_init__(self) -> None:
        if not self.qop and any(name.endswith("-sess") for name in self.digest_algorithms):
            raise ConfigError(
                "an empty qop list (RFC 2069 mode) cannot serve -sess algorithms, "
                "which hash the client's cnonce",
                where="qop",
            )
