"""The HTML report's table of every restore, streamed row by row.

Rows come in bodies of :data:`_ROWS_PER_BODY`, each laid out by the browser only
when scrolled near (``content-visibility`` in ``report.css``): a long table does
not hold up the page's first paint. The RPO and checks columns appear only when
some entry has a value for them.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from html import escape
from typing import Any

from ob_async.drill._renderers.html.svg import short
from ob_async.drill._renderers.read import (
    checks_summary,
    format_seconds,
    number,
    recovery_interval,
    rpo_seconds,
)

_ROWS_PER_BODY = 200

_TABLE_HEAD = """<section><h2>Every restore ({count})</h2>
<p class="filters"><label>filter <input id="filter" type="search" placeholder="name, state, \
requestId..."></label> <label><input id="only-failed" type="checkbox"> failures only</label></p>
<table id="items"><thead><tr><th>#</th><th>restore (target)</th><th>source</th><th>state</th>
<th>recovery</th><th>RTO</th>{optional}<th>requestId</th><th>detail</th></tr>
</thead><tbody>"""

_OPTIONAL_HEADS = {"rpo": "<th>RPO</th>", "checks": "<th>checks</th>"}
"""The optional columns, in the order they appear."""


def table(
    entries: Iterable[Mapping[str, Any]], *, count: object, optional: Collection[str]
) -> Iterator[str]:
    """The table's HTML in pieces, to write as they come; ``count`` is the heading's figure,
    ``optional`` the names of the optional columns to show (see :data:`_OPTIONAL_HEADS`)."""
    columns = [name for name in _OPTIONAL_HEADS if name in optional]
    yield _TABLE_HEAD.format(
        count=count, optional="".join(_OPTIONAL_HEADS[name] for name in columns)
    )
    for number_, entry in enumerate(entries):
        if number_ and number_ % _ROWS_PER_BODY == 0:
            yield "</tbody><tbody>"  # each body laid out only when scrolled near
        yield _row(entry, columns)
    yield "</tbody></table></section>"


def _row(entry: Mapping[str, Any], columns: Sequence[str]) -> str:
    target = entry.get("target") or {}
    source = entry.get("source") or {}
    ok = bool(entry.get("ok"))
    state = str(entry.get("state"))
    recovery = format_seconds(number(entry.get("recoverySeconds")))
    interval = recovery_interval(entry)
    if interval is not None:
        recovery += f" <small>({format_seconds(interval[0])}-{format_seconds(interval[1])})</small>"
    rto = number(entry.get("rtoSeconds"))
    met = entry.get("metRto")
    rto_cell = format_seconds(rto) + (
        "" if met is None else (' <b class="yes">✓</b>' if met else ' <b class="no">✗</b>')
    )
    if entry.get("rtoVerdict") == "uncertain":
        rto_cell += ' <b class="maybe" title="the RTO falls inside the recovery interval">?</b>'

    rpo = rpo_seconds(entry)
    checks = checks_summary(entry)
    checks_cell = "-"
    if checks is not None:
        passed, total = checks
        mark = "yes" if passed == total else "no"
        detail = escape(json.dumps(entry.get("checks"), ensure_ascii=False, default=str)[:2000])
        checks_cell = f'<span class="{mark}" title="{detail}">{passed}/{total}</span>'
    error = str(entry.get("error") or "")
    tone = "good" if ok else ("neutral" if state in {"interrupted", "not_started"} else "bad")
    if state == "online" and met is False:
        tone = "warn"  # came ONLINE, but later than its RTO target
    resumed = (
        ' <small title="settled by an earlier run">resumed</small>' if entry.get("resumed") else ""
    )
    return (
        f'<tr class="{"ok" if ok else "bad"}"><td>{escape(str(entry.get("index") or ""))}</td>'
        f"<td><b>{escape(str(target.get('tenantName')))}</b><br><small>"
        f"{escape(str(target.get('instanceId')))}</small></td>"
        f"<td>{escape(str(source.get('instanceId')))}/{escape(str(source.get('tenantId')))}</td>"
        f'<td><span class="state {tone}">{escape(state)}</span>{resumed}</td>'
        f"<td>{recovery}</td><td>{rto_cell}</td>"
        + ("<td>" + format_seconds(rpo) + _rpo_mark(entry) + "</td>" if "rpo" in columns else "")
        + ("<td>" + checks_cell + "</td>" if "checks" in columns else "")
        + f'<td class="mono">{escape(str(entry.get("requestId") or "-"))}</td>'
        f'<td class="detail" title="{escape(error[:4000])}">{escape(short(error, 160))}</td></tr>'
    )


def _rpo_mark(entry: Mapping[str, Any]) -> str:
    met = entry.get("metRpo")
    target = number(entry.get("rpoTargetSeconds"))
    title = f' title="target {format_seconds(target)}"' if target is not None else ""
    if met is None:
        return ""
    return f' <b class="yes"{title}>✓</b>' if met else f' <b class="no"{title}>✗</b>'
