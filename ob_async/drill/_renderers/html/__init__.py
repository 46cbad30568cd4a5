"""The HTML report: one self-contained file a person opens to see how the drill went.

No external script, font, style or image (a Content-Security-Policy forbids
them, so the file works offline and as a CI artifact): the verdict on top; a
timeline with one bar per restore (submitted, first seen, finished, the RTO as
a mark, failures in their own colour), aggregated into restores-in-progress
over time once there are more than :data:`MAX_BARS`; the distribution of
recovery times; the trend over past runs when a history is given; a table of
every item; the run's notes. Charts are inline SVG drawn here.

The file is streamed: the entries are read from the report twice (once for the
charts' extent, once to draw), never all held in memory beyond the bars.

Modules, one job each: ``page`` assembles and writes the document; ``verdict``,
``timeline``, ``distribution``, ``trend`` and ``table`` draw its sections;
``extent`` reads the entries into what the charts need; ``svg`` holds the drawing
primitives and the palette; ``report.css`` and ``report.js`` are the page's style
and row filter, inlined.
"""

from ob_async.drill._renderers.html.page import write_html
from ob_async.drill._renderers.html.timeline import MAX_BARS

__all__ = ["MAX_BARS", "write_html"]
