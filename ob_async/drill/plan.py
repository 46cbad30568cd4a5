"""Drill plans: a TOML file of defaults and restores, validated whole before anything runs.

A plan (see ``examples/weekly-drill.toml`` for a commented one) has three parts:

- ``[drill]``: the drill's name and run-wide settings (RTO target, wait
  timeout, parallelism, rate cap, clean-up, poll intervals, a simulator fixture).
- ``[defaults]``: values every restore inherits.
- ``[[restore]]`` tables, one per restore, and/or ``restore_list = "FILE"`` in
  ``[drill]``: a JSON-lines file of restores (one JSON object a line, same keys),
  read lazily so that a plan of 100,000 restores is never held in memory.

Values may use templates: ``{drill}``, ``{date}`` (YYYYMMDD of the run's start,
UTC), ``{time}`` (HHMMSS), ``{run}`` (the run id), ``{index}`` (1-based),
``{source_instance_id}``, ``{source_tenant_id}``, ``{target_instance_id}``.
``restore_time`` is an ISO-8601 time with a zone, or ``"latest"``: the end of
the newest restorable window, resolved when the drill runs. Durations are
seconds or ``"90s"``, ``"15m"``, ``"1h30m"``.

:func:`load_plan` reads the file and checks every item (a streaming pass for
a restore list), collecting every problem with its file, line and field into one
:class:`PlanError`. Nothing is sent before a plan has passed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import stat
import string
import tomllib
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import attrs

from ob_async.errors import InvalidInputError
from ob_async.restore.poll import PollConfig
from ob_async.wire.codec import parse_aware_time
from ob_async.wire.models import RestoreMode, RestoreObjectType, RestoreRequest, TenantResource

LATEST = "latest"
MAX_PLAN_BYTES = 16 * 1024 * 1024
"""A plan file over this size is refused (a restore list may be any size)."""
MAX_PROBLEMS_SHOWN = 200

_DURATION = re.compile(
    r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s)?\s*$"
)
_SECONDS = re.compile(r"^\s*\d+(?:\.\d+)?\s*$")
_REQUEST_ID_NAMESPACE = uuid.UUID("5b0c2d1e-7f3a-4c9b-9e41-0b1a5e7d3c60")
_TEMPLATE_FIELDS = frozenset(
    {
        "drill",
        "date",
        "time",
        "run",
        "index",
        "source_instance_id",
        "source_tenant_id",
        "target_instance_id",
    }
)

DRILL_KEYS = {
    "name": str,
    "rto": "duration",
    "timeout": "duration",
    "concurrency": int,
    "restoring_per_instance": int,
    "rate": float,
    "burst": int,
    "cleanup": bool,
    "validate": bool,
    "poll_initial": "duration",
    "poll_max": "duration",
    "restore_list": str,
    "simulator_fixture": str,
    "description": str,
}
ITEM_KEYS = {
    "instance_id": str,
    "source_instance_id": str,
    "source_tenant_id": str,
    "target_instance_id": str,
    "target_tenant_name": str,
    "target_tenant_primary_zone": str,
    "description": str,
    "restore_time": str,
    "restore_mode": str,
    "restore_object_type": str,
    "restore_objects": list,
    "from_remote": bool,
    "cpu": int,
    "memory": int,
    "unit_num": int,
    "rto": "duration",
}
REQUIRED_ITEM_KEYS = (
    "source_instance_id",
    "source_tenant_id",
    "target_instance_id",
    "target_tenant_name",
    "target_tenant_primary_zone",
    "cpu",
    "memory",
    "unit_num",
)
ITEM_DEFAULTS: dict[str, Any] = {
    "restore_time": LATEST,
    "restore_mode": RestoreMode.FROM_BACKUP_SET.value,
    "restore_object_type": RestoreObjectType.TENANT.value,
    "restore_objects": [],
    "from_remote": False,
    "description": "ob-async drill {drill} {date}",
}


@attrs.frozen
class PlanProblem:
    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        place = self.file + (f":{self.line}" if self.line else "")
        return (
            f"{place}: {self.field}: {self.message}" if self.field else f"{place}: {self.message}"
        )


class PlanError(InvalidInputError):
    """The plan is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[PlanProblem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  {problem}" for problem in problems[:MAX_PROBLEMS_SHOWN])
        more = len(problems) - MAX_PROBLEMS_SHOWN
        if more > 0:
            shown += f"\n  ... and {more} more"
        super().__init__(f"the plan has {len(problems)} problem(s):\n{shown}")


@attrs.frozen(kw_only=True)
class PlanItem:
    """One restore of a plan, with templates rendered."""

    index: int
    key: str
    line: int | None
    instance_id: str
    source_instance_id: str
    source_tenant_id: str
    target_instance_id: str
    target_tenant_name: str
    target_tenant_primary_zone: str
    description: str
    restore_time: datetime | None
    """None means "latest": resolved through the restorable windows at run time."""
    restore_mode: RestoreMode
    restore_object_type: RestoreObjectType
    restore_objects: tuple[Any, ...]
    from_remote: bool
    resource: TenantResource
    rto_seconds: float | None

    def request(self, restore_time: datetime | None = None) -> RestoreRequest:
        moment = restore_time or self.restore_time
        if moment is None:
            raise InvalidInputError("restore_time 'latest' was not resolved", where=self.key)
        return RestoreRequest(
            source_instance_id=self.source_instance_id,
            source_tenant_id=self.source_tenant_id,
            target_instance_id=self.target_instance_id,
            target_tenant_name=self.target_tenant_name,
            target_tenant_primary_zone=self.target_tenant_primary_zone,
            restore_time=moment,
            tenant_resource=self.resource,
            target_tenant_description=self.description,
            from_remote=self.from_remote,
            restore_object_type=self.restore_object_type,
            restore_objects=self.restore_objects,
            restore_mode=self.restore_mode,
        )


@attrs.frozen(kw_only=True)
class RunContext:
    """What templates may refer to, fixed when a run starts (and kept on resume)."""

    run_id: str
    started_at: datetime

    @classmethod
    def new(cls, now: datetime | None = None) -> RunContext:
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        return cls(
            run_id=moment.strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6], started_at=moment
        )

    def request_id(self, item_key: str) -> str:
        """The requestId of an item in this run: the same on every resume."""
        return str(uuid.uuid5(_REQUEST_ID_NAMESPACE, f"{self.run_id}/{item_key}"))


@attrs.frozen(kw_only=True)
class DrillPlan:
    path: Path
    name: str
    digest: str
    """SHA-256 of the plan file (and its restore list): a resume must use the same plan."""
    rto_seconds: float | None
    timeout_seconds: float
    concurrency: int
    restoring_per_instance: int
    rate: float | None
    burst: int
    cleanup: bool
    validate: bool
    """Check each restored tenant's detail against the request (see ob_async.validate)."""
    poll_initial: float | None
    poll_max: float | None
    simulator_fixture: Path | None
    item_count: int
    _defaults: Mapping[str, Any]
    _inline: tuple[tuple[int | None, Mapping[str, Any]], ...]
    _restore_list: Path | None

    def poll_config(self) -> PollConfig | None:
        """The plan's poll intervals, or None to keep the client's."""
        if self.poll_initial is None and self.poll_max is None:
            return None
        initial = self.poll_initial or 5.0
        return PollConfig(
            initial_interval=initial, max_interval=max(initial, self.poll_max or 30.0)
        )

    def items(self, context: RunContext) -> Iterator[PlanItem]:
        """Every restore, rendered for ``context``, read lazily (already validated)."""
        for index, (line, raw, source) in enumerate(self._raw_items(), start=1):
            item, problems = _build_item(
                raw, self._defaults, _ItemPlace(index, line, source), self, context
            )
            if item is None:
                raise PlanError(problems)
            yield item

    def _raw_items(
        self, problems: list[PlanProblem] | None = None
    ) -> Iterator[tuple[int | None, Mapping[str, Any], str]]:
        for line, raw in self._inline:
            yield line, raw, str(self.path)
        if self._restore_list is not None:
            yield from _read_restore_list(self._restore_list, problems)


def parse_duration(value: object) -> float:
    """Seconds from a number or a string like ``"90s"``, ``"15m"``, ``"1h30m"``."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration, got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and _SECONDS.match(value):
        seconds = float(value)  # "900": seconds, as the message below says
    elif isinstance(value, str):
        match = _DURATION.match(value)
        if not value.strip() or match is None or not any(match.groups()):
            raise ValueError(f'unreadable duration {value!r}; write e.g. 900, "15m" or "1h30m"')
        hours, minutes, secs = (float(group) if group else 0.0 for group in match.groups())
        seconds = hours * 3600 + minutes * 60 + secs
    else:
        raise ValueError(f"expected a duration, got {type(value).__name__}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"must be a positive, finite duration, got {value!r}")
    return seconds


def load_plan(path: str | Path, *, now: datetime | None = None) -> DrillPlan:
    """Read and validate a plan; raise :class:`PlanError` naming every problem."""
    file = Path(path)
    raw_bytes, document, lines = _read_toml(file)
    reader = _PlanChecker(str(file), lines)
    reader.check_sections(document)
    drill = reader.table(document, "drill")
    defaults = reader.table(document, "defaults")
    settings = reader.check_keys(drill, DRILL_KEYS, "drill", lambda key: lines.key("drill", key))
    reader.check_keys(defaults, ITEM_KEYS, "defaults", lambda key: lines.key("defaults", key))
    reader.check_settings(settings)
    restores = document.get("restore", [])
    misshapen = not isinstance(restores, list) or not all(isinstance(r, dict) for r in restores)
    if misshapen:
        reader.add(lines.top_level("restore"), "restore", "must be [[restore]] tables")
        restores = []
    restore_list = _beside(file, settings.get("restore_list"))
    fixture = _beside(file, settings.get("simulator_fixture"))
    if fixture is not None and not fixture.is_file():
        reader.add(
            lines.key("drill", "simulator_fixture"),
            "drill.simulator_fixture",
            f"not a file: {fixture}" if fixture.exists() else f"no such file: {fixture}",
        )
    if not restores and restore_list is None and not misshapen:
        reader.add(
            None,
            "restore",
            "the plan has no restores: add [[restore]] tables or [drill] restore_list",
        )
    plan = DrillPlan(
        path=file,
        name=settings.get("name") or file.stem,
        digest="",
        rto_seconds=settings.get("rto"),
        timeout_seconds=settings.get("timeout") or 90 * 60.0,
        concurrency=settings.get("concurrency") or 16,
        restoring_per_instance=settings.get("restoring_per_instance") or 64,
        rate=settings.get("rate"),
        burst=settings.get("burst") or 1,
        cleanup=bool(settings.get("cleanup", False)),
        validate=bool(settings.get("validate", True)),
        poll_initial=settings.get("poll_initial"),
        poll_max=settings.get("poll_max"),
        simulator_fixture=fixture,
        item_count=0,
        defaults=defaults,
        inline=tuple((lines.array_table("restore", i), r) for i, r in enumerate(restores)),
        restore_list=restore_list,
    )
    digest = hashlib.sha256(raw_bytes)
    count = reader.check_items(plan, defaults, digest, now)
    if reader.problems:  # in reading order: the plan's lines, then the restore list's
        raise PlanError(
            sorted(reader.problems, key=lambda p: (p.file != str(file), p.file, p.line or 0))
        )
    return attrs.evolve(plan, digest=digest.hexdigest(), item_count=count)


def _read_toml(file: Path) -> tuple[bytes, dict[str, Any], _LineFinder]:
    name = str(file)
    try:
        info = file.stat()
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise PlanError([PlanProblem(name, None, None, f"cannot read: is {kind}")])
        size = info.st_size
        if size > MAX_PLAN_BYTES:
            raise PlanError(
                [
                    PlanProblem(
                        name,
                        None,
                        None,
                        f"is {size} bytes, over the {MAX_PLAN_BYTES} byte limit; "
                        "put long lists of restores in a restore_list file",
                    )
                ]
            )
        raw_bytes = file.read_bytes()
    except OSError as error:
        raise PlanError([PlanProblem(name, None, None, f"cannot read: {error.strerror}")]) from None
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as error:
        hint = "; it looks like UTF-16: save it as UTF-8" if _looks_utf16(raw_bytes) else ""
        raise PlanError(
            [PlanProblem(name, None, None, f"is not UTF-8 text (byte {error.start}){hint}")]
        ) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = getattr(error, "lineno", None)
        if line is None:  # before Python 3.14 the line is only in the message
            found = _TOML_ERROR_LINE.search(str(error))
            line = int(found.group(1)) if found else None
        raise PlanError([PlanProblem(name, line, None, f"is not valid TOML: {error}")]) from None
    return raw_bytes, document, _LineFinder(text)


_TOML_ERROR_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def _looks_utf16(data: bytes) -> bool:
    return data[:2] in (b"\xff\xfe", b"\xfe\xff")


def _beside(plan_file: Path, relative: object) -> Path | None:
    return (plan_file.parent / relative).resolve() if isinstance(relative, str) else None


_SECTIONS = {"drill": "[drill]", "defaults": "[defaults]", "restore": "[[restore]]"}


class _PlanChecker:
    """Collects the problems of one plan."""

    def __init__(self, file: str, lines: _LineFinder) -> None:
        self.file = file
        self.lines = lines
        self.problems: list[PlanProblem] = []

    def add(
        self, line: int | None, field: str | None, message: str, file: str | None = None
    ) -> None:
        self.problems.append(PlanProblem(file or self.file, line, field, message))

    def check_sections(self, document: Mapping[str, Any]) -> None:
        for key in document:
            if key not in _SECTIONS:
                hint = _closest(key, _SECTIONS)
                self.add(
                    self.lines.top_level(key),
                    key,
                    f"unknown section; did you mean {_SECTIONS[hint]}?"
                    if hint
                    else "unknown section; expected [drill], [defaults] or [[restore]]",
                )

    def table(self, document: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = document.get(key, {})
        if not isinstance(value, dict):
            self.add(self.lines.top_level(key), key, "must be a table")
            return {}
        return value

    def check_keys(
        self,
        table: Mapping[str, Any],
        schema: Mapping[str, Any],
        section: str,
        locate: Callable[[str], int | None],
        file: str | None = None,
    ) -> dict[str, Any]:
        """Type-check a table against ``schema``; return its converted values."""
        values: dict[str, Any] = {}
        for key, value in table.items():
            expected = schema.get(key)
            if expected is None:
                hint = _closest(key, schema)
                self.add(
                    locate(key),
                    f"{section}.{key}",
                    "unknown key" + (f"; did you mean {hint!r}?" if hint else ""),
                    file,
                )
                continue
            try:
                values[key] = _convert(value, expected)
            except ValueError as error:
                self.add(locate(key), f"{section}.{key}", str(error), file)
        return values

    def check_settings(self, settings: Mapping[str, Any]) -> None:
        for key in ("concurrency", "restoring_per_instance", "burst"):
            value = settings.get(key)
            if value is not None and value < 1:
                self.add(
                    self.lines.key("drill", key), f"drill.{key}", f"must be at least 1, got {value}"
                )
        rate = settings.get("rate")
        if rate is not None and rate <= 0:
            self.add(self.lines.key("drill", "rate"), "drill.rate", f"must be positive, got {rate}")

    def check_items(
        self,
        plan: DrillPlan,
        defaults: Mapping[str, Any],
        digest: Any,
        now: datetime | None,
    ) -> int:
        """One streaming pass over every item: render, validate, find duplicate targets."""
        context = RunContext.new(now)
        # Only the targets' hashes are kept, so that checking 100,000 restores for
        # duplicates costs a few MB; a hash seen twice is confirmed by a second pass.
        seen_hashes: set[int] = set()
        suspects: list[tuple[int, int | None, str, tuple[str, str]]] = []
        reported: set[PlanProblem] = set()
        count = 0
        try:
            for index, (line, raw, source) in enumerate(plan._raw_items(self.problems), start=1):
                count += 1
                if source != self.file:
                    digest.update(json.dumps(raw, sort_keys=True).encode())
                locate = self._item_locator(source, index - 1, line)
                self.check_keys(raw, ITEM_KEYS, f"restore[{index}]", locate, source)
                place = _ItemPlace(index, line, source)
                item, problems = _build_item(
                    raw,
                    defaults,
                    place,
                    plan,
                    context,
                    now=now,
                    where=self._item_where(raw, defaults, place, locate),
                )
                for problem in problems:
                    if problem not in reported:  # a [defaults] value is reported once
                        reported.add(problem)
                        self.problems.append(problem)
                if item is None:
                    continue
                target = (item.target_instance_id, item.target_tenant_name)
                fingerprint = hash(target)
                if fingerprint in seen_hashes:
                    suspects.append((index, line, source, target))
                else:
                    seen_hashes.add(fingerprint)
            if suspects:
                self._report_duplicates(plan, defaults, context, now, suspects)
        except PlanError as error:
            self.problems.extend(error.problems)
        return count

    def _report_duplicates(
        self,
        plan: DrillPlan,
        defaults: Mapping[str, Any],
        context: RunContext,
        now: datetime | None,
        suspects: list[tuple[int, int | None, str, tuple[str, str]]],
    ) -> None:
        """Find where each suspected duplicate target first appears; report true ones."""
        wanted = {target for _, _, _, target in suspects}
        first: dict[tuple[str, str], int] = {}
        for index, (line, raw, source) in enumerate(plan._raw_items([]), start=1):
            item, _ = _build_item(
                raw, defaults, _ItemPlace(index, line, source), plan, context, now=now
            )
            if item is not None:
                target = (item.target_instance_id, item.target_tenant_name)
                if target in wanted:
                    first.setdefault(target, index)
        for index, line, source, target in suspects:
            if first.get(target, index) < index:  # not merely a hash collision
                instance_id, name = target
                self.add(
                    line,
                    f"restore[{index}].target_tenant_name",
                    f"duplicate target {name!r} in {instance_id} (also restore[{first[target]}])",
                    source,
                )

    def _item_where(
        self,
        raw: Mapping[str, Any],
        defaults: Mapping[str, Any],
        place: _ItemPlace,
        locate: Callable[[str], int | None],
    ) -> _Where:
        """A problem with a key's value is placed where the value is written: in the
        restore, or in [defaults] when the restore inherits it."""

        def where(key: str) -> tuple[str, int | None, str]:
            if key in defaults and key not in raw:
                return self.file, self.lines.key("defaults", key), f"defaults.{key}"
            return place.file, locate(key) or place.line, f"restore[{place.index}].{key}"

        return where

    def _item_locator(
        self, source: str, position: int, line: int | None
    ) -> Callable[[str], int | None]:
        if source != self.file:
            return lambda key: line
        return lambda key: self.lines.key_in_array("restore", position, key)


def _read_restore_list(
    path: Path, problems: list[PlanProblem] | None = None
) -> Iterator[tuple[int | None, Mapping[str, Any], str]]:
    """The restores of a JSON-lines file. A bad line raises :class:`PlanError`, or,
    given ``problems`` (validation), is recorded there and the reading goes on."""
    name = str(path)

    def bad_line(number: int, message: str) -> None:
        problem = PlanProblem(name, number, None, message)
        if problems is None:
            raise PlanError([problem])
        problems.append(problem)

    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):  # a FIFO would block the open, a directory fail later
            kind = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise PlanError([PlanProblem(name, None, None, f"cannot read: is {kind}")])
        handle = path.open("rb")
    except OSError as error:
        raise PlanError([PlanProblem(name, None, None, f"cannot read: {error.strerror}")]) from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.lstrip().startswith(b"#"):
                continue
            try:
                raw = json.loads(line)
            except ValueError as error:
                bad_line(number, f"is not a JSON object: {error}")
                continue
            if not isinstance(raw, dict):
                bad_line(number, f"expected a JSON object, got {type(raw).__name__}")
                continue
            yield number, raw, name


def _convert(value: object, expected: object) -> Any:
    if expected == "duration":
        return parse_duration(value)
    if expected is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value):
                raise ValueError(f"expected a finite number, got {value!r}")
            return float(value)
        raise ValueError(f"expected a number, got {_kind(value)}")
    if expected is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ValueError(f"expected an integer, got {_kind(value)}")
    if expected is bool:
        if isinstance(value, bool):
            return value
        raise ValueError(f"expected true or false, got {_kind(value)}")
    if expected is str:
        if isinstance(value, str):
            return value
        # TOML's own date-times are not strings: restore_time is written quoted.
        hint = '; quote it, with its zone: "2026-01-13T05:58:34Z"' if _is_time(value) else ""
        raise ValueError(f"expected a string, got {_kind(value)}{hint}")
    if expected is list:
        if isinstance(value, list):
            return value
        raise ValueError(f"expected an array, got {_kind(value)}")
    raise AssertionError(expected)


def _kind(value: object) -> str:
    if _is_time(value):
        return f"the TOML date-time {value}"
    return f"{type(value).__name__} {value!r}"[:80]


def _is_time(value: object) -> bool:
    return isinstance(value, date | time)


def _closest(key: str, schema: Mapping[str, Any]) -> str | None:
    matches = difflib.get_close_matches(key, list(schema), n=1, cutoff=0.75)
    return matches[0] if matches else None


@attrs.frozen
class _ItemPlace:
    index: int
    line: int | None
    file: str


_Where = Callable[[str], tuple[str, int | None, str]]
"""Where a problem with a key of an item is reported: (file, line, field)."""


def _build_item(
    raw: Mapping[str, Any],
    defaults: Mapping[str, Any],
    place: _ItemPlace,
    plan: DrillPlan,
    context: RunContext,
    *,
    now: datetime | None = None,
    where: _Where | None = None,
) -> tuple[PlanItem | None, list[PlanProblem]]:
    """Render and validate one restore. Problems of key names and types are the
    key check's to report: such a key is skipped here, the others still checked."""
    problems: list[PlanProblem] = []

    def problem(field: str, message: str) -> None:
        if where is None:
            file, line, name = place.file, place.line, f"restore[{place.index}].{field}"
        else:
            file, line, name = where(field)
        problems.append(PlanProblem(file, line, name, message))

    merged: dict[str, Any] = {**ITEM_DEFAULTS, **defaults, **raw}
    for key in REQUIRED_ITEM_KEYS:
        if key not in merged:
            problem(key, "missing (set it in the restore or in [defaults])")
    typed, mistyped = _typed_item(merged)
    fields = {
        "drill": plan.name,
        "date": context.started_at.strftime("%Y%m%d"),
        "time": context.started_at.strftime("%H%M%S"),
        "run": context.run_id,
        "index": str(place.index),
        "source_instance_id": typed.get("source_instance_id", ""),
        "source_tenant_id": typed.get("source_tenant_id", ""),
        "target_instance_id": typed.get("target_instance_id", ""),
    }
    restore_time = _check_values(typed, fields, now, problem)
    if problems or mistyped:
        return None, problems
    try:
        resource = TenantResource(
            cpu=typed["cpu"], memory=typed["memory"], unit_num=typed["unit_num"]
        )
    except InvalidInputError as error:
        problem(error.where or "cpu", error.reason)
    if problems:
        return None, problems
    target_instance = typed["target_instance_id"]
    name = typed["target_tenant_name"]
    item = PlanItem(
        index=place.index,
        key=f"{target_instance}/{name}",
        line=place.line,
        instance_id=typed.get("instance_id") or target_instance,
        source_instance_id=typed["source_instance_id"],
        source_tenant_id=typed["source_tenant_id"],
        target_instance_id=target_instance,
        target_tenant_name=name,
        target_tenant_primary_zone=typed["target_tenant_primary_zone"],
        description=typed["description"],
        restore_time=restore_time,
        restore_mode=typed["restore_mode"],
        restore_object_type=typed["restore_object_type"],
        restore_objects=tuple(typed["restore_objects"]),
        from_remote=typed["from_remote"],
        resource=resource,
        rto_seconds=typed.get("rto", plan.rto_seconds),
    )
    return item, []


def _check_values(
    typed: dict[str, Any],
    fields: Mapping[str, str],
    now: datetime | None,
    problem: Callable[[str, str], None],
) -> datetime | None:
    """Check (and render, convert in place) the values of the well-typed keys of an
    item; return its restore time (None: "latest", or a problem)."""
    for key in ("target_tenant_name", "description", "target_instance_id", "instance_id"):
        if key in typed:
            try:
                typed[key] = _render(typed[key], fields)
            except ValueError as error:
                problem(key, str(error))
    for key, enum_type in (
        ("restore_mode", RestoreMode),
        ("restore_object_type", RestoreObjectType),
    ):
        if key in typed:
            try:
                typed[key] = enum_type(typed[key])
            except ValueError:
                allowed = ", ".join(member.value for member in enum_type)
                problem(key, f"unknown value {typed[key]!r}; expected one of {allowed}")
    for key in ("cpu", "memory", "unit_num"):
        if key in typed and typed[key] < 1:
            problem(key, f"must be positive, got {typed[key]}")
    for key in _NON_EMPTY:
        if key in typed and not typed[key].strip():
            problem(key, "must not be empty")
    if "restore_time" not in typed:
        return None
    return _restore_time(typed["restore_time"], now, problem)


_NON_EMPTY = (
    "source_instance_id",
    "source_tenant_id",
    "target_instance_id",
    "target_tenant_name",
    "target_tenant_primary_zone",
)


def _typed_item(merged: Mapping[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The values of known keys converted to their types, and the keys that would not."""
    typed: dict[str, Any] = {}
    mistyped: set[str] = set()
    for key, value in merged.items():
        expected = ITEM_KEYS.get(key)
        if expected is None:
            continue
        try:
            typed[key] = _convert(value, expected)
        except ValueError:
            mistyped.add(key)
    return typed, mistyped


def _restore_time(
    text: str, now: datetime | None, problem: Callable[[str, str], None]
) -> datetime | None:
    if text.strip().lower() == LATEST:
        return None
    try:
        moment = parse_aware_time(text)
    except ValueError as error:
        problem("restore_time", f'{error} (or "latest")')
        return None
    if moment > (now or datetime.now(UTC)):
        problem("restore_time", f"{text} is in the future")
    return moment


def _render(template: str, fields: Mapping[str, str]) -> str:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as error:
        raise ValueError(f"bad template {template!r}: {error}") from None
    unknown = names - _TEMPLATE_FIELDS
    if unknown:
        allowed = ", ".join("{" + name + "}" for name in sorted(_TEMPLATE_FIELDS))
        raise ValueError(
            f"unknown template field(s) {', '.join(sorted(unknown))} in {template!r}; "
            f"known: {allowed}"
        )
    return template.format_map(fields)


class _LineFinder:
    """Finds the line of a TOML section or key (tomllib keeps no positions)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self._headers: list[tuple[int, str, bool]] = []
        header = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?")
        for number, line in enumerate(self.lines, start=1):
            match = header.match(line)
            if match:
                self._headers.append((number, match.group(2).strip(), match.group(1) == "[["))

    def top_level(self, key: str) -> int | None:
        for number, name, _ in self._headers:
            if name == key:
                return number
        return self._key_between(key, 0, self._headers[0][0] if self._headers else None)

    def section(self, name: str) -> int | None:
        return next((number for number, header, _ in self._headers if header == name), None)

    def array_table(self, name: str, position: int) -> int | None:
        found = [
            number for number, header, is_array in self._headers if header == name and is_array
        ]
        return found[position] if position < len(found) else None

    def key(self, section: str, key: str) -> int | None:
        start = self.section(section)
        return self._key_in_section(start, key) if start else None

    def key_in_array(self, name: str, position: int, key: str) -> int | None:
        start = self.array_table(name, position)
        return self._key_in_section(start, key) if start else None

    def _key_in_section(self, start: int, key: str) -> int | None:
        following = [number for number, _, _ in self._headers if number > start]
        end = following[0] if following else None
        return self._key_between(key, start, end)

    def _key_between(self, key: str, start: int, end: int | None) -> int | None:
        pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
        stop = (end - 1) if end else len(self.lines)
        for number in range(start + 1, stop + 1):
            if pattern.match(self.lines[number - 1]):
                return number
        return None
