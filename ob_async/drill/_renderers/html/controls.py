"""The HTML report's controls section: each control, its status and why, and the facts.

Drawn from the report header's :class:`~ob_async.drill._report.controls.ControlsSection`,
so that a report rebuilt from a journal or a bundle, or read back from its JSON, shows the
same. A report written before controls existed has none, and the section is left out.
"""

from __future__ import annotations

from html import escape

from ob_async.drill._renderers.words import format_seconds
from ob_async.drill._report.control_facts import ControlFacts
from ob_async.drill._report.controls import ControlsSection, ControlStatus

_TONE = {
    ControlStatus.MET: "good",
    ControlStatus.NOT_MET: "bad",
    ControlStatus.NOT_EVIDENCED: "warn",
}


def controls_block(section: ControlsSection | None) -> str:
    """The section, or nothing when the report holds no controls."""
    if section is None:
        return ""
    rows = "".join(
        f'<tr data-control="{escape(item.control.id)}"><td><b>{escape(item.control.framework)} '
        f"{escape(item.control.reference)}</b><br><small>{escape(item.control.title)}</small></td>"
        f'<td><span class="state {_TONE[item.status]}">{escape(item.status.value)}</span></td>'
        f'<td class="reason">{escape(item.reason)}</td>'
        f"<td><small>{escape(item.control.evidence)}</small><br><small>rests on: "
        f"{escape(', '.join(fact.value for fact in item.control.facts))}</small></td></tr>"
        for item in section.assessments
    )
    return (
        '<section id="controls" class="controls"><h2>Controls</h2>'
        '<table class="controls"><thead><tr><th>control</th><th>status</th><th>why</th>'
        f"<th>what satisfies it</th></tr></thead><tbody>{rows}</tbody></table>"
        f'<h3>The facts they rest on</h3><dl class="control-facts">{_facts(section.facts)}</dl>'
        "</section>"
    )


def _facts(facts: ControlFacts) -> str:
    rto, rpo = facts.recovery_time, facts.recovery_point
    checks, points, segregation = facts.data_checks, facts.restore_points, facts.segregation
    found: list[tuple[str, str]] = [
        (
            "recovery time",
            f"targets {_targets(rto.targets_seconds)}; {rto.met} met, {rto.missed} missed"
            + (f" ({rto.uncertain} uncertain)" if rto.uncertain else "")
            + f" of {rto.with_target} with a target; worst {format_seconds(rto.worst_seconds)}",
        ),
        (
            "recovery point",
            f"targets {_targets(rpo.targets_seconds)}; {rpo.measured} measured, {rpo.met} met, "
            f"{rpo.missed} missed, {rpo.not_measured} not measurable; worst "
            f"{format_seconds(rpo.worst_seconds)}"
            if rpo.measured or rpo.not_measured or rpo.targets_seconds
            else "not measured (no [rpo] in the plan)",
        ),
        (
            "data checks",
            f"{checks.checks_run} run on {checks.restores_checked} restored tenant(s): "
            f"{checks.passed} passed, {checks.failed} failed"
            if checks.checks_run
            else "none run",
        ),
        (
            "restore points",
            (
                ", ".join(f"{count} {choice}" for choice, count in points.by_choice.items())
                if points.by_choice
                else "how they were chosen is not recorded"
            )
            + (
                f"; from {points.earliest.isoformat()} to {points.latest.isoformat()}"
                if points.earliest and points.latest
                else ""
            ),
        ),
    ]
    pairs = "".join(
        f'<li class="{"yes" if pair.segregated else "no"}">{escape(pair.source)} → '
        f"{escape(pair.target)} ({pair.restores} restore(s)): "
        f"{'segregated' if pair.segregated else 'NOT segregated: the target is the source'}</li>"
        for pair in segregation.instances or ()
    )
    required = {True: "required by the plan", False: "not required by the plan", None: ""}
    text = "".join(f"<dt>{escape(name)}</dt><dd>{escape(value)}</dd>" for name, value in found)
    return (
        text
        + f"<dt>segregation</dt><dd>{escape(required[segregation.required])}"
        + (f"<ul>{pairs}</ul>" if pairs else " not recorded")
        + "</dd>"
    )


def _targets(values: tuple[float, ...]) -> str:
    return ", ".join(format_seconds(value) for value in values) or "none"
