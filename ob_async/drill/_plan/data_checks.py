"""The plan's data sections: how to log into each restored tenant, the RPO query, the checks.

::

    [tenant_login]                      # how the drill logs into each restored tenant
    user = "dr_reader"
    password_env = "OB_TENANT_PASSWORD" # or password_file = "tenant-password" (mode 600)
    database = "app"                    # optional
    network = "intranet"                # or "internet" (default intranet: inside the VPC)
    connect_timeout = "10s"
    max_connections = 8                 # tenant connections open at once, drill-wide

    [rpo]
    query = "SELECT MAX(updated_at) FROM app.heartbeat"  # the newest change restored
    time_zone = "+08:00"                # the zone a DATETIME column is written in, or an
                                        # IANA name ("Asia/Shanghai"); not for a TIMESTAMP
    target = "5m"                       # optional: a longer RPO fails the item
    target_applies_to = "restore_point_gap"  # optional: or "data_loss_exposure"; default:
                                        # the exposure for "latest", the gap for a past point
    timeout = "30s"

    [[check]]
    name = "orders restored"
    sql = "SELECT COUNT(*) FROM app.orders"
    expect = ">= 1000"                  # see ob_async.data._expectations
    timeout = "30s"                     # optional, default 30s
    max_rows = 1000                     # optional: a larger result fails the check

A restore (or ``[defaults]``) overrides them with the same keys:
``tenant_login = { database = "shop" }`` and ``rpo = { target = "1m" }`` change
single keys; ``[[restore.check]]`` tables add checks, or replace the plan's
check of the same name. Every SQL text must be one read-only statement
(:mod:`ob_async.data._statements`), and the password must be there when the
plan is loaded: all of it is refused (exit 2, with its line) before anything
is sent. With ``--simulate`` an unset ``password_env`` means the simulator's
demo password.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from ob_async._wire.addresses import Network
from ob_async.data._expectations import Expectation, ExpectationError
from ob_async.data._login import (
    DEMO_TENANT_PASSWORD,
    PasswordError,
    TenantLogin,
    password_from_env,
    password_from_file,
)
from ob_async.data._rpo import RpoFigure, TimeZoneError, parse_time_zone
from ob_async.data._spec import CheckSpec, DataLimits, DataSpec, RpoSpec
from ob_async.data._statements import read_only_problem
from ob_async.drill._plan.lines import LineFinder
from ob_async.drill._plan.schema import closest, convert

DATA_SECTIONS = {"tenant_login": "[tenant_login]", "rpo": "[rpo]", "check": "[[check]]"}
ITEM_DATA_KEYS = {"tenant_login": dict, "rpo": dict, "check": list}
"""The keys a restore (or [defaults]) may override the data sections with."""

LOGIN_KEYS: dict[str, object] = {
    "user": str,
    "password_env": str,
    "password_file": str,
    "database": str,
    "network": str,
    "connect_timeout": "duration",
    "max_connections": int,
    "ca_file": str,
}
RPO_KEYS: dict[str, object] = {
    "query": str,
    "target": "duration",
    "target_applies_to": str,
    "time_zone": str,
    "timeout": "duration",
}
CHECK_KEYS: dict[str, object] = {
    "name": str,
    "sql": str,
    "expect": str,
    "timeout": "duration",
    "max_rows": int,
}

Report = Callable[[str, str, int | None], None]
"""Where a problem goes: (field, message, line or None for the caller's default)."""


def _checked(
    table: Mapping[str, Any],
    schema: Mapping[str, object],
    section: str,
    report: Report,
    locate: Callable[[str], int | None],
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in table.items():
        expected = schema.get(key)
        if expected is None:
            if key == "password":
                message = "the password never goes in the plan: use password_env or password_file"
            else:
                hint = closest(key, schema)
                message = "unknown key" + (f"; did you mean {hint!r}?" if hint else "")
            report(f"{section}.{key}", message, locate(key))
            continue
        try:
            values[key] = convert(value, expected)
        except ValueError as error:
            report(f"{section}.{key}", str(error), locate(key))
            continue
        if key in ("max_rows", "max_connections") and values[key] < 1:
            report(f"{section}.{key}", f"must be at least 1, got {values[key]}", locate(key))
            del values[key]
    return values


def _sql(text: str, field: str, report: Report, line: int | None) -> bool:
    problem = read_only_problem(text)
    if problem is not None:
        report(field, f"{problem}: {text[:80]!r}", line)
    return problem is None


def _check(
    values: Mapping[str, Any], section: str, report: Report, locate: Callable[[str], int | None]
) -> CheckSpec | None:
    missing = [key for key in ("name", "sql", "expect") if key not in values]
    for key in missing:
        report(f"{section}.{key}", "missing (a check needs name, sql and expect)", locate(key))
    if missing:
        return None
    ok = _sql(values["sql"], f"{section}.sql", report, locate("sql"))
    try:
        expect = Expectation.parse(values["expect"])
    except ExpectationError as error:
        report(f"{section}.expect", str(error), locate("expect"))
        return None
    if not values["name"].strip():
        report(f"{section}.name", "must not be empty", locate("name"))
        return None
    if not ok:
        return None
    return CheckSpec(
        name=values["name"],
        sql=values["sql"],
        expect=expect,
        timeout=values.get("timeout"),
        max_rows=values.get("max_rows"),
    )


def _rpo(
    values: Mapping[str, Any], section: str, report: Report, locate: Callable[[str], int | None]
) -> RpoSpec | None:
    """The RPO spec of a restore to an explicit point (see :func:`_for_restore_time`)."""
    if "query" not in values:
        report(
            f"{section}.query", "missing (the query that finds the newest change)", locate("query")
        )
        return None
    good = _sql(values["query"], f"{section}.query", report, locate("query"))
    zone = values.get("time_zone")
    if zone is not None:
        try:
            parse_time_zone(zone)
        except TimeZoneError as error:
            report(f"{section}.time_zone", str(error), locate("time_zone"))
            good = False
    figure = values.get("target_applies_to")
    if figure is not None and figure not in set(RpoFigure):
        report(
            f"{section}.target_applies_to",
            f"unknown figure {figure!r}; expected "
            + " or ".join(repr(str(choice)) for choice in RpoFigure),
            locate("target_applies_to"),
        )
        good = False
    if not good:
        return None
    return RpoSpec(
        query=values["query"],
        target_seconds=values.get("target"),
        target_applies_to=RpoFigure(figure or RpoFigure.for_restore(latest=False)),
        time_zone=zone,
        timeout=values.get("timeout"),
    )


def _for_restore_time(rpo: RpoSpec, values: Mapping[str, Any], *, latest: bool) -> RpoSpec:
    """The spec for a restore to ``latest`` or to an explicit point: the figure the target
    applies to is the plan's, else the exposure for ``latest`` and the gap otherwise."""
    if "target_applies_to" in values or not latest:
        return rpo
    return attrs.evolve(rpo, target_applies_to=RpoFigure.for_restore(latest=True))


@attrs.frozen(kw_only=True)
class _PasswordSource:
    # The environment holds the password (and maybe the AccessKey secret): never in a repr.
    environ: Mapping[str, str] = attrs.field(repr=False)
    simulated: bool
    plan_dir: Path
    files: dict[Path, str] = attrs.field(factory=dict, eq=False, repr=False)

    def login(
        self,
        values: Mapping[str, Any],
        section: str,
        report: Report,
        locate: Callable[[str], int | None],
        line: int | None,
    ) -> TenantLogin | None:
        user = values.get("user")
        if not user or not str(user).strip():
            report(
                f"{section}.user",
                "missing (the tenant user the drill logs in as)",
                locate("user") or line,
            )
            return None
        env_name, file_name = values.get("password_env"), values.get("password_file")
        if (env_name is None) == (file_name is None):
            report(
                f"{section}.password_env",
                "give exactly one of password_env (a variable's name) or password_file",
                line,
            )
            return None
        try:
            if env_name is not None:
                source = f"environment variable {env_name}"
                if self.simulated and not self.environ.get(env_name):
                    password, source = DEMO_TENANT_PASSWORD, "the simulator's demo password"
                else:
                    password = password_from_env(env_name, self.environ)
            else:
                path = (self.plan_dir / str(file_name)).resolve()
                source = f"file {path}"
                if path not in self.files:
                    self.files[path] = password_from_file(path)
                password = self.files[path]
        except PasswordError as error:
            key = "password_env" if env_name is not None else "password_file"
            report(f"{section}.{key}", str(error), locate(key) or line)
            return None
        return TenantLogin(
            user=user, password=password, database=values.get("database"), source=source
        )


@attrs.frozen(kw_only=True)
class DataPlan:
    """The plan's data sections, checked; :meth:`for_item` applies a restore's overrides."""

    login_values: Mapping[str, Any]
    rpo_values: Mapping[str, Any]
    checks: tuple[CheckSpec, ...]
    login: TenantLogin | None
    rpo: RpoSpec | None
    """The RPO of a restore to an explicit point."""
    rpo_for_latest: RpoSpec | None
    """The RPO of a restore to ``latest``."""
    limits: DataLimits
    _passwords: _PasswordSource = attrs.field(repr=False)

    @property
    def active(self) -> bool:
        return bool(self.checks or self.rpo)

    def for_item(
        self, typed: Mapping[str, Any], report: Callable[[str, str], None], *, latest: bool
    ) -> DataSpec | None:
        """The data to verify for one restore (its overrides applied), or None if nothing;
        ``latest``: it restores to ``latest`` (which decides the RPO target's figure)."""

        def item_report(field: str, message: str, line: int | None) -> None:
            report(field, message)

        def nowhere(key: str) -> int | None:
            return None

        login_override = typed.get("tenant_login") or {}
        rpo_override = typed.get("rpo") or {}
        extra_checks = typed.get("check") or []
        if not (login_override or rpo_override or extra_checks):
            if not self.active or self.login is None:
                return None
            return DataSpec(
                login=self.login,
                checks=self.checks,
                rpo=self.rpo_for_latest if latest else self.rpo,
            )
        login = self.login
        if login_override:
            values = {
                **self.login_values,
                **_checked(login_override, LOGIN_KEYS, "tenant_login", item_report, nowhere),
            }
            login = self._passwords.login(values, "tenant_login", item_report, nowhere, None)
        rpo = self.rpo_for_latest if latest else self.rpo
        if rpo_override:
            values = {
                **self.rpo_values,
                **_checked(rpo_override, RPO_KEYS, "rpo", item_report, nowhere),
            }
            rpo = _rpo(values, "rpo", item_report, nowhere)
            if rpo is not None:
                rpo = _for_restore_time(rpo, values, latest=latest)
        checks = {check.name: check for check in self.checks}
        for number, table in enumerate(extra_checks, start=1):
            section = f"check[{number}]"
            if not isinstance(table, dict):
                report(section, "must be a table (name, sql, expect)")
                continue
            check = _check(
                _checked(table, CHECK_KEYS, section, item_report, nowhere),
                section,
                item_report,
                nowhere,
            )
            if check is not None:
                checks[check.name] = check
        if login is None:
            if self.login_values or login_override:
                return None  # its problem is reported
            report(
                "tenant_login", "checks and an RPO query need [tenant_login] (user, password_env)"
            )
            return None
        if not (checks or rpo):
            return None
        return DataSpec(login=login, checks=tuple(checks.values()), rpo=rpo)


def read_data_plan(
    document: Mapping[str, Any],
    lines: LineFinder,
    add: Callable[[int | None, str, str], None],
    *,
    plan_file: Path,
    environ: Mapping[str, str] | None = None,
    simulated: bool = False,
) -> DataPlan:
    """Check the plan's ``[tenant_login]``, ``[rpo]`` and ``[[check]]`` sections."""

    def report(field: str, message: str, line: int | None) -> None:
        add(line, field, message)

    def table(name: str) -> Mapping[str, Any]:
        value = document.get(name, {})
        if not isinstance(value, dict):
            add(lines.top_level(name), name, "must be a table")
            return {}
        return value

    passwords = _PasswordSource(
        environ=os.environ if environ is None else environ,
        simulated=simulated,
        plan_dir=plan_file.parent,
    )
    login_table, rpo_table = table("tenant_login"), table("rpo")
    login_values = _checked(
        login_table, LOGIN_KEYS, "tenant_login", report, lambda key: lines.key("tenant_login", key)
    )
    rpo_values = _checked(rpo_table, RPO_KEYS, "rpo", report, lambda key: lines.key("rpo", key))
    checks: dict[str, CheckSpec] = {}
    raw_checks = document.get("check", [])
    if not isinstance(raw_checks, list) or not all(isinstance(c, dict) for c in raw_checks):
        add(lines.top_level("check"), "check", "must be [[check]] tables")
        raw_checks = []
    for position, raw in enumerate(raw_checks):
        section = f"check[{position + 1}]"

        def locate(key: str, position: int = position) -> int | None:
            return lines.key_in_array("check", position, key) or lines.array_table(
                "check", position
            )

        check = _check(_checked(raw, CHECK_KEYS, section, report, locate), section, report, locate)
        if check is None:
            continue
        if check.name in checks:
            report(f"{section}.name", f"duplicate check name {check.name!r}", locate("name"))
            continue
        checks[check.name] = check
    rpo = (
        _rpo(rpo_values, "rpo", report, lambda key: lines.key("rpo", key) or lines.section("rpo"))
        if rpo_table
        else None
    )
    login = None
    if login_table:
        login = passwords.login(
            login_values,
            "tenant_login",
            report,
            lambda key: lines.key("tenant_login", key),
            lines.section("tenant_login"),
        )
    elif checks or rpo_table:
        add(
            lines.section("rpo") or lines.array_table("check", 0),
            "tenant_login",
            "checks and an RPO query need [tenant_login] (user, and password_env or password_file)",
        )
    network_text = login_values.get("network", Network.INTRANET.value)
    try:
        network = Network(network_text)
    except ValueError:
        add(
            lines.key("tenant_login", "network"),
            "tenant_login.network",
            f"unknown network {network_text!r}; expected intranet or internet",
        )
        network = Network.INTRANET
    defaults = DataLimits()
    ca_file = None
    if "ca_file" in login_values:
        ca_file = (plan_file.parent / login_values["ca_file"]).resolve()
        if not ca_file.is_file():
            add(
                lines.key("tenant_login", "ca_file"),
                "tenant_login.ca_file",
                f"no such file: {ca_file}",
            )
    limits = DataLimits(
        ca_file=ca_file,
        network=network,
        max_connections=login_values.get("max_connections", defaults.max_connections),
        connect_timeout=login_values.get("connect_timeout", defaults.connect_timeout),
    )
    return DataPlan(
        login_values=login_values,
        rpo_values=rpo_values,
        checks=tuple(checks.values()),
        login=login,
        rpo=rpo,
        rpo_for_latest=_for_restore_time(rpo, rpo_values, latest=True) if rpo else None,
        limits=limits,
        passwords=passwords,
    )
