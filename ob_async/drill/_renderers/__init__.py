"""The renderers: every output of a drill report, drawn from its typed records.

- :mod:`.json_report` and :mod:`.junit`: the JSON and JUnit XML files;
- :mod:`.summary_text`: the terminal summary;
- :mod:`.words`: what happened to a restore, in words (the phrasings they share);
- :mod:`.files`: files written whole or not at all; :func:`write_reports`.

Each renders a :class:`~.source.ReportSource`: a run's report as it is built, or
as it is rebuilt from the run's journal.
"""

from ob_async.drill._renderers.files import write_atomically, write_reports

__all__ = ["write_atomically", "write_reports"]
