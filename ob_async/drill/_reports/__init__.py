"""Reports for people and for monitoring, built over the drill report's entries.

Each module renders one output from a :class:`ReportSource` (the run's header
and its entries as JSON objects, as :class:`~ob_async.drill._report.DrillReport`
streams them), so that a live run and a run rebuilt from its journal render
alike, and fields added to the entries later show up without changes here:

- :mod:`.html`: one self-contained HTML file (inline SVG timeline, distribution, table);
- :mod:`.metrics`: a Prometheus textfile (and an optional Pushgateway push);
- :mod:`.notify`: a Slack-compatible webhook message;
- :mod:`.history`: one summary per run in a directory, and the trend over runs;
"""
