"""The HTML report's table of every restore: failures first, sortable, every row explained.

Rows come failures first (failed, then missed RTO, then never sent, then
restored), each group in the order the restores ended; clicking a column's
heading sorts by it (``report.js``, inline: no network), clicking again reverses.
Every row's detail says what happened in words (:func:`~.words.what_happened`),
never cut; an item never sent shows no requestId; the ``?`` of an uncertain RTO
verdict is explained beside it and under the table. The RPO column (when some
restore had an RPO query) shows the figure its target applies to, the restore
point, the newest change found, and both figures: the data-loss exposure and
the restore-point gap.

Rows come in bodies of :data:`_ROWS_PER_BODY`, each laid out by the browser only
when scrolled near (``content-visibility`` in ``report.css``): a long table does
not hold up the page's first paint.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Collection, Iterable, Iterator, Sequence
from html import escape

from ob_async._restore.outcome import RtoVerdict
from ob_async.batch._item import ItemState
from ob_async.drill._renderers.words import (
    UNCERTAIN,
    format_seconds,
    moment_text,
    what_happened,
)
from ob_async.drill._report.entry import DataOutcome, ReportEntry
from ob_async.drill._report.outcome import Outcome, outcome_of

_ROWS_PER_BODY = 200
_SPOOLED = 4 << 20
"""Bytes of a group's rows kept in memory before its spool moves to disk."""
_ORDER_MARK = "\x00order\x00"
"""Stands for a row's place in the default order until the rows are written in it."""

ORDER = (Outcome.FAILED, Outcome.MISSED_RTO, Outcome.NOT_STARTED, Outcome.PLANNED, Outcome.RESTORED)
"""The table's default order: what needs a look first."""
_RANK = {outcome: rank for rank, outcome in enumerate(ORDER)}
_ROW_CLASS = {
    Outcome.FAILED: "bad",
    Outcome.MISSED_RTO: "bad",
    Outcome.NOT_STARTED: "skipped",
    Outcome.PLANNED: "skipped",
    Outcome.RESTORED: "ok",
}

_TABLE_HEAD = """<section><h2>Every restore ({count})</h2>
<p class="filters"><label>filter <input id="filter" type="search" placeholder="name, state, \
requestId..."></label> <label><input id="only-failed" type="checkbox"> failures only</label> \
<span class="hint">failures first; click a heading to sort by it</span></p>
<table id="items"><thead><tr>{heads}</tr></thead><tbody>"""

_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("index", "#", True),
    ("target", "restore (target)", False),
    ("source", "source", False),
    ("state", "state", True),
    ("recovery", "recovery", True),
    ("rto", "RTO", True),
    ("rpo", "RPO", True),
    ("checks", "checks", True),
    ("request", "requestId", False),
    ("detail", "what happened", False),
)
"""Each column: its name, its heading, whether it sorts by number."""
OPTIONAL = frozenset({"rpo", "checks"})
"""Columns shown only when some entry has a value for them."""


def table(
    entries: Iterable[ReportEntry], *, count: object, optional: Collection[str]
) -> Iterator[str]:
    """The table's HTML in pieces, to write as they come.

    One pass over ``entries``: each group's rows (see :data:`ORDER`) go to a spool of
    their own (in memory, on disk once large), written out in order at the end.
    ``count`` is the heading's figure; ``optional`` the optional columns to show.
    """
    columns = [c for c in _COLUMNS if c[0] not in OPTIONAL or c[0] in optional]
    heads = "".join(
        f'<th data-column="{name}"{" data-numeric" if numeric else ""}'
        f"{' aria-sort=ascending' if name == 'state' else ''}>"
        f'<button type="button">{escape(heading)}</button></th>'
        for name, heading, numeric in columns
    )
    yield _TABLE_HEAD.format(count=count, heads=heads)
    names = [name for name, _, _ in columns]
    uncertain = False
    with contextlib.ExitStack() as stack:
        groups = {
            outcome: stack.enter_context(tempfile.SpooledTemporaryFile(_SPOOLED, mode="w+"))
            for outcome in ORDER
        }
        for entry in entries:
            outcome = outcome_of(entry)
            uncertain = uncertain or entry.rto_verdict is RtoVerdict.UNCERTAIN
            groups[outcome].write(_row(entry, outcome, names) + "\n")
        written = 0
        for outcome in ORDER:
            spool = groups[outcome]
            spool.seek(0)
            for row in spool:
                if written and written % _ROWS_PER_BODY == 0:
                    yield "</tbody><tbody>"  # each body laid out only when scrolled near
                yield row.replace(_ORDER_MARK, str(written), 1)
                written += 1
    yield "</tbody></table>"
    if uncertain:
        yield (
            '<p class="legend-note" id="uncertain-note"><b class="maybe">?</b> '
            f"{escape(UNCERTAIN)}.</p>"
        )
    yield "</section>"


def _cell(value: str, sort: object = None, css: str = "") -> str:
    key = "" if sort is None else f' data-sort="{escape(str(sort))}"'
    cls = f' class="{css}"' if css else ""
    return f"<td{key}{cls}>{value}</td>"


def _row(entry: ReportEntry, outcome: Outcome, columns: Sequence[str]) -> str:
    cells = {
        "index": _cell(escape(str(entry.index or "")), "" if entry.index is None else entry.index),
        "target": _cell(
            f"<b>{escape(entry.target_tenant_name)}</b><br>"
            f"<small>{escape(entry.target_instance_id)}</small>",
            entry.target_tenant_name.lower(),
        ),
        "source": _cell(
            f"{escape(entry.source_instance_id)}/{escape(entry.source_tenant_id)}",
        ),
        "state": _cell(_state(entry, outcome), _RANK[outcome]),
        "recovery": _cell(_recovery(entry), _number(entry.recovery_seconds)),
        "rto": _cell(_rto(entry), _number(entry.rto_seconds)),
        "rpo": _rpo(entry.data),
        "checks": _checks(entry.data),
        "request": _request(entry),
        "detail": _cell(escape(what_happened(entry)), css="detail"),
    }
    return (
        f'<tr class="{_ROW_CLASS[outcome]}" data-order="{_ORDER_MARK}">'
        + "".join(cells[name] for name in columns)
        + "</tr>"
    )


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _state(entry: ReportEntry, outcome: Outcome) -> str:
    tone = {
        Outcome.RESTORED: "good",
        Outcome.MISSED_RTO: "warn",
        Outcome.NOT_STARTED: "neutral",
        Outcome.PLANNED: "neutral",
    }.get(outcome, "bad")
    if entry.state is ItemState.INTERRUPTED:
        tone = "neutral"
    resumed = ' <small title="settled by an earlier run">resumed</small>' if entry.resumed else ""
    return f'<span class="state {tone}">{escape(entry.state.value)}</span>{resumed}'


def _recovery(entry: ReportEntry) -> str:
    text = format_seconds(entry.recovery_seconds)
    interval = entry.recovery_interval
    if interval is not None:
        text += f" <small>({format_seconds(interval[0])}-{format_seconds(interval[1])})</small>"
    return text


def _rto(entry: ReportEntry) -> str:
    met = entry.met_rto
    text = format_seconds(entry.rto_seconds)
    if entry.rto_verdict is RtoVerdict.UNCERTAIN:
        return (
            text + f' <b class="maybe" title="{escape(UNCERTAIN)}">?</b>'
            ' <small class="why">uncertain: the RTO falls inside the recovery interval</small>'
        )
    if met is None:
        return text
    return text + (' <b class="yes">✓</b>' if met else ' <b class="no">✗</b>')


def _rpo(data: DataOutcome | None) -> str:
    if data is None:
        return _cell("-", "")
    if data.rpo_error:
        return _cell(
            f'<span class="no">not measured</span><div class="facts-small">'
            f"{escape(data.rpo_error)}</div>",
            "",
        )
    if data.newest_change is None and data.rpo_seconds is None:
        return _cell("-", "")
    mark = ""
    if data.met_rpo is not None:
        mark = ' <b class="yes">✓</b>' if data.met_rpo else ' <b class="no">✗</b>'
    target = (
        f" <small>(target {format_seconds(data.rpo_target_seconds)}, "
        f"{escape(data.target_label)})</small>"
        if data.rpo_target_seconds is not None
        else ""
    )
    facts = (
        f"restore point {escape(moment_text(data.restore_point))}<br>"
        f"newest change {escape(moment_text(data.newest_change))}<br>"
        f"data-loss exposure {format_seconds(data.data_loss_exposure_seconds)}<br>"
        f"restore-point gap {format_seconds(data.restore_point_gap_seconds)}"
    )
    return _cell(
        f"RPO {format_seconds(data.rpo_seconds)}{mark}{target}"
        f'<div class="facts-small">{facts}</div>',
        _number(data.rpo_seconds),
    )


def _checks(data: DataOutcome | None) -> str:
    if data is None or not data.checks:
        return _cell("-", "")
    total = len(data.checks)
    passed = total - len(data.failed_checks)
    named = "<br>".join(
        escape(f"{check.name}: " + ("ok" if check.ok else f"FAILED: {check.error}"))
        for check in data.checks
    )
    mark = "yes" if passed == total else "no"
    return _cell(
        f'<span class="{mark}">{passed}/{total}</span><div class="facts-small">{named}</div>',
        f"{passed / total:g}",
    )


def _request(entry: ReportEntry) -> str:
    if not entry.sent or entry.request_id is None:
        return _cell('<span title="never sent: no request was made">-</span>', "", "mono")
    return _cell(escape(entry.request_id), None, "mono")
