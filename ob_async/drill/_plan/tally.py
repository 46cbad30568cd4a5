"""What one pass over a plan's restores learns about the run as a whole.

The run's facts an auditor asks for (which instances restore into which, how the restore
points are chosen) come from the same streaming pass that checks every restore, so that a
restore list of 100,000 lines is read once and never held: only the distinct instance pairs,
the counts of each choice and the restores that break segregation are kept.
"""

from __future__ import annotations

from collections import Counter

import attrs

from ob_async.drill._plan.item import InstancePair, PlanItem
from ob_async.drill._plan.problems import PlanProblem
from ob_async.drill._plan.restore_point import RestorePointChoice


@attrs.define
class PlanTally:
    pairs: Counter[tuple[str, str]] = attrs.field(factory=Counter)
    choices: Counter[RestorePointChoice] = attrs.field(factory=Counter)
    unsegregated: list[str] = attrs.field(factory=list)
    """``restore[N] (key)`` of each restore whose target instance is its source."""

    def add(self, item: PlanItem) -> None:
        self.pairs[item.template.source_instance_id, item.template.target_instance_id] += 1
        self.choices[item.restore_point_choice] += 1
        if item.template.source_instance_id == item.template.target_instance_id:
            self.unsegregated.append(f"restore[{item.index}] ({item.key})")

    def instance_pairs(self) -> tuple[InstancePair, ...]:
        return tuple(
            InstancePair(source=source, target=target, restores=count)
            for (source, target), count in sorted(self.pairs.items())
        )

    def restore_points(self) -> dict[str, int]:
        """How many restores had their restore point chosen each way, by choice."""
        return {choice.value: count for choice, count in sorted(self.choices.items())}

    def segregation_problem(self, file: str, line: int | None) -> PlanProblem | None:
        """With ``require_segregation = true``: one problem naming every restore that
        would restore into its own source instance (None when there is none)."""
        if not self.unsegregated:
            return None
        return PlanProblem(
            file,
            line,
            "drill.require_segregation",
            f"{len(self.unsegregated)} restore(s) would restore into their own source "
            "instance (target_instance_id = source_instance_id); the plan requires a target "
            "segregated from its source: " + ", ".join(self.unsegregated),
        )
