"""The report model: typed records of a drill run, and their JSON.

- :mod:`.entry`: one restore's :class:`ReportEntry`, with its attempts, clean-up and
  data-check outcome;
- :mod:`.header`: the run's :class:`RunHeader` and :class:`ReportSummary`;
- :mod:`.outcome`: what restored, missed RTO and failed mean (one definition);
- :mod:`.verdict` and :mod:`.data_tally`: the counts, fed one entry at a time;
- :mod:`.drill_report`: :class:`DrillReport`, the run's report as it is built;
- :mod:`.from_result`: the entry of a live batch result;
- :mod:`.control_facts` and :mod:`.controls`: the facts a run's controls rest on, and the
  controls (SOC 2, ISO/IEC 27001, DORA) each judged met, not met or not evidenced;
- :mod:`.convert`: the one converter to and from the report's camelCase JSON.

The renderers (:mod:`ob_async.drill._renderers`) draw every output from these.
"""

from ob_async.drill._report.drill_report import DrillReport
from ob_async.drill._report.entry import (
    OK_STATES,
    SKIPPED_STATES,
    Attempt,
    Cleanup,
    DataOutcome,
    ReportEntry,
)
from ob_async.drill._report.from_result import entry_from_result
from ob_async.drill._report.header import REPORT_VERSION, ReportSummary, RunHeader

__all__ = [
    "OK_STATES",
    "REPORT_VERSION",
    "SKIPPED_STATES",
    "Attempt",
    "Cleanup",
    "DataOutcome",
    "DrillReport",
    "ReportEntry",
    "ReportSummary",
    "RunHeader",
    "entry_from_result",
]
