"""The problems a plan check finds, each placed at a file, line and field, and the
one error that lists them all."""

from __future__ import annotations

import attrs

from ob_async.errors import InvalidInputError

MAX_PROBLEMS_SHOWN = 200


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


def file_problem(file: str, message: str, line: int | None = None) -> PlanError:
    """An error for a problem with a whole file (unreadable, too big, not TOML)."""
    return PlanError([PlanProblem(file, line, None, message)])
