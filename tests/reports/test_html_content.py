"""What the HTML report says, read from the file: escaping, empty and unusual runs."""

from __future__ import annotations

from io import BytesIO

from ob_async.drill._renderers.html import write_html
from tests.reports.fixtures import entry, report_of


def html_of(report) -> str:  # type: ignore[no-untyped-def]
    out = BytesIO()
    write_html(report, out)
    return out.getvalue().decode()


def test_names_and_errors_are_text_never_markup() -> None:
    hostile = '<script>alert("x")</script>'
    report = report_of([entry(1, "restore_failed", error=hostile)])
    html = html_of(report)
    assert hostile not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert html.count("<script>") == 1  # the page's own filter script only


def test_an_empty_run_still_renders_every_section() -> None:
    html = html_of(report_of([]))
    assert "PASSED" in html
    assert "No restore was submitted." in html
    assert "No recovery time was measured." in html
    assert "Every restore (0)" in html


def test_a_run_that_sent_nothing_says_so_and_lists_every_item() -> None:
    entries = [
        entry(i, "preflight_failed", submitted=None, seen=None, finished=None, error="no window")
        for i in range(1, 4)
    ]
    html = html_of(report_of(entries))
    assert "FAILED" in html
    assert "No restore was submitted." in html
    assert all(f"tenant_{i:05d}" in html for i in range(1, 4))


def test_an_interrupted_and_resumed_run_has_its_notes() -> None:
    report = report_of([entry(1, "online", resumed=True), entry(2, "interrupted", finished=None)])
    report.interrupted = True
    report.notes.append("stopped by SIGINT")
    html = html_of(report)
    assert "INTERRUPTED" in html
    assert "The run was interrupted" in html
    assert "1 restore(s) were settled by an earlier run of this drill" in html
    assert "stopped by SIGINT" in html
