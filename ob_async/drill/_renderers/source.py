"""What every renderer reads: the run's header and its entries, as typed records."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from ob_async.drill._report.entry import ReportEntry
from ob_async.drill._report.header import RunHeader


class ReportSource(Protocol):
    """A drill report as the renderers see it (a :class:`~ob_async.drill._report.DrillReport`,
    the run's own or one rebuilt from its journal)."""

    def header(self) -> RunHeader:
        """The run's facts and summary (the JSON report without its items)."""

    def entries(self) -> Iterator[ReportEntry]:
        """Every entry; may be called more than once."""
