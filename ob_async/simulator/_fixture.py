"""The simulator's starting world: instances, their tenants, windows and backup sets.

A fixture is a TOML file (or JSON, by the ``.json`` suffix) with one array of
tables, ``instances``. Every key is checked: an unknown key, a wrong type, a
duplicate id or an impossible value is refused with the file and the field
(``fixture drill.toml: instances[1].tenants[0].cpu: must be a positive integer``).
The shipped ``default_fixture.toml`` is the built-in world; the repository's
``examples/simulator-fixture.toml`` is a commented example.

Instance keys::

    id          string, required, unique       e.g. "ob-dr-east"
    name        string, default = id
    zones       array of strings, required, non-empty, unique
    cpu         positive integer, required     capacity in cores
    memory      positive integer, required     capacity in GB
    ob_version  string, default "4.2.1.2"
    tenants     array of tables, default none  tenants present at start

Tenant keys (``[[instances.tenants]]``)::

    id            string, required, unique across all instances
    name          string, required, unique within the instance
    mode          string, default "MYSQL"       (tenantMode: MYSQL or ORACLE)
    cpu           positive integer, required    cores per unit
    memory        positive integer, required    GB per unit
    unit_num      positive integer, default 1
    disk          positive integer, default 4 x memory (GB)
    used_disk     non-negative number, default disk / 4 (GB)
    primary_zone  string, default the instance's first zone; must be one of its zones
    status        string, default "ONLINE"
    description   string, default ""
    create_time   time, default "now-30d"
    windows       array of tables {start, end, storage_type = "OSS"}: restorable windows
    backup_sets   array of tables {id, start, end, status = "DONE",
                  mode = "PHYSICAL_BACKUP", object_type = "TENANT"}
    tables        array of tables: the tenant's data, served over the MySQL protocol
                  (see below)

Table keys (``tables = [...]``): ``name`` ("database.table", required) and one of

    rows = N      N rows (id, amount, created_at), created one second apart from
                  ``since`` (default 2025-06-01T00:00:00Z)
    every = "1m"  a heartbeat: one row (id, updated_at) at every multiple of the
                  interval (units s, m, h, d) from ``since`` (required) on

A restore at time T holds exactly the rows of its source created up to T.

A tenant with at least one window is a restore source: it is listed by the
restorable-tenants route and a restore may name it. A tenant occupies
``cpu x unit_num`` cores and ``memory x unit_num`` GB of its instance; the
tenants of a fixture must fit in their instance.

Times are ``YYYY-MM-DDTHH:MM:SSZ`` (or a TOML offset date-time), or relative
to the simulator's clock at the moment they are read: ``now``, ``now-5m``,
``now-7d``, ``now-1d12h``, ``now+1h`` (units s, m, h, d). A relative window
therefore rolls forward while the simulator runs, which is what a
``restore_time = latest`` drill needs. Both ends of a window are inclusive.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import attrs

from ob_async.errors import InvalidInputError

T = TypeVar("T")

DEFAULT_FIXTURE_RESOURCE = "default_fixture.toml"

_ABSOLUTE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_RELATIVE_TIME = re.compile(r"now(?:([+-])((?:[0-9]+[smhd])+))?")
_RELATIVE_PART = re.compile(r"([0-9]+)([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class FixtureError(InvalidInputError):
    """A fixture file is unreadable or invalid; the message names the file and field."""


@attrs.frozen(kw_only=True)
class FixtureTime:
    """A moment: absolute (seconds since the epoch) or an offset from the clock's now."""

    absolute: float | None = None
    offset: float = 0.0

    def resolve(self, now: float) -> float:
        """The moment in seconds since the epoch, given the current time."""
        return self.absolute if self.absolute is not None else now + self.offset

    @classmethod
    def at(cls, moment: datetime) -> FixtureTime:
        return cls(absolute=moment.timestamp())

    @classmethod
    def relative(cls, seconds: float) -> FixtureTime:
        return cls(offset=seconds)


DEFAULT_CREATE_TIME = FixtureTime(offset=-30 * 86400)
"""A fixture tenant without ``create_time`` was created 30 days before the simulator started."""


@attrs.frozen(kw_only=True)
class WindowSpec:
    """A restorable window of a source tenant (both ends inclusive)."""

    start: FixtureTime
    end: FixtureTime
    storage_type: str = "OSS"


@attrs.frozen(kw_only=True)
class BackupSetSpec:
    """A backup set of a tenant."""

    backup_set_id: str
    start: FixtureTime
    end: FixtureTime
    status: str = "DONE"
    backup_mode: str = "PHYSICAL_BACKUP"
    backup_object_type: str = "TENANT"


DEFAULT_ROWS_SINCE = FixtureTime(absolute=datetime(2025, 6, 1, tzinfo=UTC).timestamp())


@attrs.frozen(kw_only=True)
class TableSpec:
    """A table of a tenant's data: a fixed number of rows, or a heartbeat row per interval."""

    database: str
    name: str
    since: FixtureTime
    rows: int | None = None
    every: float | None = None


@attrs.frozen(kw_only=True)
class TenantSpec:
    """A tenant present when the simulator starts."""

    tenant_id: str
    name: str
    cpu: int
    memory: int
    unit_num: int = 1
    mode: str = "MYSQL"
    disk: int | None = None
    used_disk: float | None = None
    primary_zone: str | None = None
    status: str = "ONLINE"
    description: str = ""
    create_time: FixtureTime = DEFAULT_CREATE_TIME
    windows: tuple[WindowSpec, ...] = ()
    backup_sets: tuple[BackupSetSpec, ...] = ()
    tables: tuple[TableSpec, ...] = ()


@attrs.frozen(kw_only=True)
class InstanceSpec:
    """An OceanBase instance (cluster) with its capacity and zones."""

    instance_id: str
    name: str
    zones: tuple[str, ...]
    cpu: int
    memory: int
    ob_version: str = "4.2.1.2"
    tenants: tuple[TenantSpec, ...] = ()


@attrs.frozen(kw_only=True)
class Fixture:
    """A whole starting world; ``source`` names where it came from, for messages."""

    instances: tuple[InstanceSpec, ...]
    source: str = "<fixture>"


# --- reading ------------------------------------------------------------------------


_REQUIRED: Any = object()


class _Table:
    """One TOML/JSON table being read; remembers which keys were used."""

    def __init__(self, data: object, where: str, fail: Callable[[str, str], FixtureError]) -> None:
        if not isinstance(data, dict):
            raise fail(where, f"must be a table, got {_kind(data)}")
        self._data: dict[str, Any] = data
        self._where = where
        self._fail = fail
        self._used: set[str] = set()

    def path(self, key: str) -> str:
        return f"{self._where}.{key}" if self._where else key

    def error(self, key: str, reason: str) -> FixtureError:
        return self._fail(self.path(key), reason)

    def _get(self, key: str, default: Any) -> tuple[bool, Any]:
        """Whether the key is present, and its value (or the default)."""
        self._used.add(key)
        if key in self._data:
            return True, self._data[key]
        if default is _REQUIRED:
            raise self.error(key, "is required")
        return False, default

    def text(self, key: str, default: Any = _REQUIRED, *, allow_empty: bool = False) -> Any:
        present, value = self._get(key, default)
        if present:
            if not isinstance(value, str):
                raise self.error(key, f"must be a string, got {_kind(value)}")
            if not allow_empty and not value.strip():
                raise self.error(key, "must not be empty")
        return value

    def positive_int(self, key: str, default: Any = _REQUIRED) -> Any:
        present, value = self._get(key, default)
        if present and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            raise self.error(key, f"must be a positive integer, got {_show(value)}")
        return value

    def non_negative_number(self, key: str, default: Any = _REQUIRED) -> Any:
        present, value = self._get(key, default)
        if not present:
            return value
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.error(key, f"must be a non-negative number, got {_show(value)}")
        return float(value)

    def text_list(self, key: str) -> tuple[str, ...]:
        _, value = self._get(key, _REQUIRED)
        if not isinstance(value, list) or not value:
            raise self.error(key, f"must be a non-empty array of strings, got {_show(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self._fail(
                    f"{self.path(key)}[{index}]", f"must be a non-empty string, got {_show(item)}"
                )
        if len(set(value)) != len(value):
            raise self.error(key, "has duplicate entries")
        return tuple(value)

    def tables(self, key: str) -> list[_Table]:
        _, value = self._get(key, [])
        if not isinstance(value, list):
            raise self.error(key, f"must be an array of tables, got {_kind(value)}")
        return [
            _Table(item, f"{self.path(key)}[{index}]", self._fail)
            for index, item in enumerate(value)
        ]

    def time(self, key: str, default: Any = _REQUIRED) -> Any:
        present, value = self._get(key, default)
        if not present:
            return value
        try:
            return parse_fixture_time(value)
        except (ValueError, TypeError) as error:
            raise self.error(key, str(error)) from None

    def done(self) -> None:
        unknown = sorted(set(self._data) - self._used)
        if unknown:
            raise self._fail(
                self._where or "top level", f"unknown key(s): {', '.join(map(repr, unknown))}"
            )


def parse_fixture_time(value: object) -> FixtureTime:
    """Read a fixture time: ``...Z``, a TOML offset date-time, or ``now[+-]NdNhNmNs``."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            raise ValueError("a TOML date-time must carry Z or an offset")
        return FixtureTime.at(value)
    if not isinstance(value, str):
        raise TypeError(f"must be a time string, got {_kind(value)}")
    absolute = _ABSOLUTE_TIME.fullmatch(value)
    if absolute:
        try:
            moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError as error:
            raise ValueError(f"invalid time {value!r}: {error}") from None
        return FixtureTime.at(moment)
    relative = _RELATIVE_TIME.fullmatch(value)
    if relative:
        sign, parts = relative.groups()
        seconds = sum(
            int(amount) * _UNIT_SECONDS[unit]
            for amount, unit in _RELATIVE_PART.findall(parts or "")
        )
        return FixtureTime.relative(-seconds if sign == "-" else seconds)
    raise ValueError(
        f"invalid time {value!r}; expected YYYY-MM-DDTHH:MM:SSZ or now, now-5m, now-7d, now+1h"
    )


def _kind(value: object) -> str:
    return {dict: "a table", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def _show(value: object) -> str:
    return f"{_kind(value)} {value!r}" if not isinstance(value, dict | list) else _kind(value)


def _read_window(table: _Table) -> WindowSpec:
    window = WindowSpec(
        start=table.time("start"),
        end=table.time("end"),
        storage_type=table.text("storage_type", "OSS"),
    )
    table.done()
    _check_order(table, window.start, window.end)
    return window


def _read_backup_set(table: _Table) -> BackupSetSpec:
    backup_set = BackupSetSpec(
        backup_set_id=table.text("id"),
        start=table.time("start"),
        end=table.time("end"),
        status=table.text("status", "DONE"),
        backup_mode=table.text("mode", "PHYSICAL_BACKUP"),
        backup_object_type=table.text("object_type", "TENANT"),
    )
    table.done()
    _check_order(table, backup_set.start, backup_set.end)
    return backup_set


def _check_order(table: _Table, start: FixtureTime, end: FixtureTime) -> None:
    # A mixed pair (one absolute, one relative) changes order as time passes: not refused.
    both_absolute = start.absolute is not None and end.absolute is not None
    both_relative = start.absolute is None and end.absolute is None
    if (both_absolute and start.resolve(0) >= end.resolve(0)) or (
        both_relative and start.offset >= end.offset
    ):
        raise table.error("end", "must be after start")


def _read_tenant(table: _Table, zones: tuple[str, ...]) -> TenantSpec:
    memory = table.positive_int("memory")
    disk = table.positive_int("disk", memory * 4)
    primary_zone = table.text("primary_zone", zones[0])
    if primary_zone not in zones:
        raise table.error(
            "primary_zone", f"{primary_zone!r} is not a zone of the instance {list(zones)}"
        )
    tenant = TenantSpec(
        tenant_id=table.text("id"),
        name=table.text("name"),
        mode=table.text("mode", "MYSQL"),
        cpu=table.positive_int("cpu"),
        memory=memory,
        unit_num=table.positive_int("unit_num", 1),
        disk=disk,
        used_disk=table.non_negative_number("used_disk", disk / 4),
        primary_zone=primary_zone,
        status=table.text("status", "ONLINE"),
        description=table.text("description", "", allow_empty=True),
        create_time=table.time("create_time", DEFAULT_CREATE_TIME),
        windows=tuple(_read_window(item) for item in table.tables("windows")),
        backup_sets=tuple(_read_backup_set(item) for item in table.tables("backup_sets")),
        tables=tuple(_read_data_table(item) for item in table.tables("tables")),
    )
    table.done()
    names = [f"{spec.database}.{spec.name}" for spec in tenant.tables]
    if len(set(names)) != len(names):
        raise table.error("tables", "names a table twice")
    return tenant


_TABLE_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]{0,63})\.([A-Za-z_][A-Za-z0-9_]{0,63})")


def _read_data_table(table: _Table) -> TableSpec:
    name = table.text("name")
    matched = _TABLE_NAME.fullmatch(name)
    if matched is None:
        raise table.error("name", f"{name!r} is not database.table (letters, digits, _)")
    rows = table.positive_int("rows", None)
    every_text = table.text("every", None)
    if (rows is None) == (every_text is None):
        raise table.error("rows", "give exactly one of rows or every")
    every = None
    if every_text is not None:
        parts = _RELATIVE_PART.findall(every_text)
        if not parts or "".join(a + u for a, u in parts) != every_text:
            raise table.error("every", f"{every_text!r} is not an interval such as 1m or 30s")
        every = float(sum(int(amount) * _UNIT_SECONDS[unit] for amount, unit in parts))
        if every <= 0:
            raise table.error("every", "must be longer than zero")
    since = table.time("since", DEFAULT_ROWS_SINCE if rows is not None else _REQUIRED)
    table.done()
    return TableSpec(
        database=matched.group(1), name=matched.group(2), since=since, rows=rows, every=every
    )


def _read_instance(table: _Table) -> InstanceSpec:
    zones = table.text_list("zones")
    instance_id = table.text("id")
    instance = InstanceSpec(
        instance_id=instance_id,
        name=table.text("name", instance_id),
        zones=zones,
        cpu=table.positive_int("cpu"),
        memory=table.positive_int("memory"),
        ob_version=table.text("ob_version", "4.2.1.2"),
        tenants=tuple(_read_tenant(item, zones) for item in table.tables("tenants")),
    )
    table.done()
    return instance


def _check_world(instances: list[InstanceSpec], tables: list[_Table], top: _Table) -> None:
    seen_instances: set[str] = set()
    seen_tenants: dict[str, str] = {}
    for instance, table in zip(instances, tables, strict=True):
        if instance.instance_id in seen_instances:
            raise table.error("id", f"duplicate instance id {instance.instance_id!r}")
        seen_instances.add(instance.instance_id)
        names: set[str] = set()
        backup_sets: set[str] = set()
        for index, tenant in enumerate(instance.tenants):
            where = f"tenants[{index}]"
            if tenant.tenant_id in seen_tenants:
                raise table.error(
                    f"{where}.id",
                    f"duplicate tenant id {tenant.tenant_id!r} "
                    f"(already in {seen_tenants[tenant.tenant_id]!r})",
                )
            seen_tenants[tenant.tenant_id] = instance.instance_id
            if tenant.name in names:
                raise table.error(f"{where}.name", f"duplicate tenant name {tenant.name!r}")
            names.add(tenant.name)
            for set_index, backup_set in enumerate(tenant.backup_sets):
                if backup_set.backup_set_id in backup_sets:
                    raise table.error(
                        f"{where}.backup_sets[{set_index}].id",
                        f"duplicate backup set id {backup_set.backup_set_id!r} in the instance",
                    )
                backup_sets.add(backup_set.backup_set_id)
        cpu_used = sum(tenant.cpu * tenant.unit_num for tenant in instance.tenants)
        memory_used = sum(tenant.memory * tenant.unit_num for tenant in instance.tenants)
        if cpu_used > instance.cpu:
            raise table.error("cpu", f"{instance.cpu} cores cannot hold its tenants' {cpu_used}")
        if memory_used > instance.memory:
            raise table.error(
                "memory", f"{instance.memory} GB cannot hold its tenants' {memory_used} GB"
            )
    if not instances:
        raise top.error("instances", "must list at least one instance")


def parse_fixture(data: Mapping[str, Any], source: str = "<fixture>") -> Fixture:
    """Validate decoded fixture data (the TOML/JSON top-level table)."""

    def fail(where: str, reason: str) -> FixtureError:
        return FixtureError(reason, where=f"fixture {source}: {where}")

    top = _Table(dict(data), "", fail)
    tables = top.tables("instances")
    instances = [_read_instance(table) for table in tables]
    top.done()
    _check_world(instances, tables, top)
    return Fixture(instances=tuple(instances), source=source)


def load_fixture(path: str | Path) -> Fixture:
    """Read and validate a fixture file (``.json`` is JSON, anything else TOML)."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FixtureError(f"cannot read: {error}", where=f"fixture {file}") from None
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as error:
        raise FixtureError(
            f"not valid {_format_name(file)}: {error}", where=f"fixture {file}"
        ) from None
    if not isinstance(data, dict):
        raise FixtureError("the top level must be a table/object", where=f"fixture {file}")
    return parse_fixture(data, str(file))


def _format_name(file: Path) -> str:
    return "JSON" if file.suffix.lower() == ".json" else "TOML"


def default_fixture() -> Fixture:
    """The built-in world shipped as ``default_fixture.toml`` (see that file)."""
    text = resources.files(__package__).joinpath(DEFAULT_FIXTURE_RESOURCE).read_text("utf-8")
    return parse_fixture(tomllib.loads(text), "<built-in default>")
