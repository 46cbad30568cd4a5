"""Checking a plan whole: sections, keys and their types, run-wide settings, every
restore (one streaming pass) and duplicate targets, collecting every problem."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ob_async._http.throttle.pacer import MIN_RATE
from ob_async.drill._plan.build import ItemPlace, Rendering, Where, build_item
from ob_async.drill._plan.data_checks import DATA_SECTIONS
from ob_async.drill._plan.drill_plan import DrillPlan
from ob_async.drill._plan.item import RunContext
from ob_async.drill._plan.lines import LineFinder
from ob_async.drill._plan.problems import PlanError, PlanProblem
from ob_async.drill._plan.schema import ITEM_KEYS, closest, convert
from ob_async.drill._plan.tally import PlanTally

_SECTIONS = {
    "drill": "[drill]",
    "defaults": "[defaults]",
    "restore": "[[restore]]",
    **DATA_SECTIONS,
}

_Suspect = tuple[int, int | None, str, tuple[str, str]]
"""A restore whose target may repeat an earlier one's: (index, line, file, target)."""


class PlanChecker:
    """Collects the problems of one plan."""

    def __init__(self, file: str, lines: LineFinder) -> None:
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
                hint = closest(key, _SECTIONS)
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
                hint = closest(key, schema)
                self.add(
                    locate(key),
                    f"{section}.{key}",
                    "unknown key" + (f"; did you mean {hint!r}?" if hint else ""),
                    file,
                )
                continue
            try:
                values[key] = convert(value, expected)
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
        seed = settings.get("seed")
        if seed is not None and seed < 0:
            where = self.lines.key("drill", "seed")
            self.add(where, "drill.seed", f"must be 0 or more, got {seed}")
        rate = settings.get("rate")
        if rate is not None and not rate >= MIN_RATE:
            self.add(
                self.lines.key("drill", "rate"),
                "drill.rate",
                f"must be at least {MIN_RATE} submits per second, got {rate}",
            )

    def check_items(
        self,
        plan: DrillPlan,
        defaults: Mapping[str, Any],
        digest: Any,
        now: datetime | None,
        tally: PlanTally | None = None,
    ) -> int:
        """One streaming pass over every item: render, validate, find duplicate targets;
        ``tally`` learns the run's facts from each valid item."""
        rendering = plan.rendering(RunContext.new(now), now)
        # Only the targets' hashes are kept, so that checking 100,000 restores for
        # duplicates costs a few MB; a hash seen twice is confirmed by a second pass.
        seen_hashes: set[int] = set()
        suspects: list[_Suspect] = []
        reported: set[PlanProblem] = set()
        count = 0
        try:
            for index, (line, raw, source) in enumerate(plan.raw_items(self.problems), start=1):
                count += 1
                if source != self.file:
                    digest.update(json.dumps(raw, sort_keys=True).encode())
                locate = self._item_locator(source, index - 1, line)
                self.check_keys(raw, ITEM_KEYS, f"restore[{index}]", locate, source)
                place = ItemPlace(index, line, source)
                where = self._item_where(raw, defaults, place, locate)
                item, problems = build_item(raw, defaults, place, rendering, where)
                for problem in problems:
                    if problem not in reported:  # a [defaults] value is reported once
                        reported.add(problem)
                        self.problems.append(problem)
                if item is None:
                    continue
                if tally is not None:
                    tally.add(item)
                target = (item.template.target_instance_id, item.template.target_tenant_name)
                fingerprint = hash(target)
                if fingerprint in seen_hashes:
                    suspects.append((index, line, source, target))
                else:
                    seen_hashes.add(fingerprint)
            if suspects:
                self._report_duplicates(plan, defaults, rendering, suspects)
        except PlanError as error:
            self.problems.extend(error.problems)
        return count

    def _report_duplicates(
        self,
        plan: DrillPlan,
        defaults: Mapping[str, Any],
        rendering: Rendering,
        suspects: list[_Suspect],
    ) -> None:
        """Find where each suspected duplicate target first appears; report true ones."""
        wanted = {target for _, _, _, target in suspects}
        first: dict[tuple[str, str], int] = {}
        for index, (line, raw, source) in enumerate(plan.raw_items([]), start=1):
            item, _ = build_item(raw, defaults, ItemPlace(index, line, source), rendering)
            if item is not None:
                target = (item.template.target_instance_id, item.template.target_tenant_name)
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
        place: ItemPlace,
        locate: Callable[[str], int | None],
    ) -> Where:
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
