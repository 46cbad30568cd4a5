"""The HTML report's evidence section, when it is rendered from a sealed bundle: whether
the bundle verifies, how it was sealed, and the operator notes added to it since."""

from __future__ import annotations

from html import escape

from ob_async.drill._evidence import Verification


def bundle_block(verification: Verification | None) -> str:
    """The section, or nothing for a report not rendered from a bundle."""
    if verification is None:
        return ""
    manifest = verification.manifest
    verdict = (
        '<span class="state good">verified</span> every check holds'
        if verification.ok
        else f'<span class="state bad">NOT verified</span> {len(verification.problems)} problem(s)'
    )
    facts = [f"<p>{verdict}</p>"]
    if manifest is not None:
        key = (
            f"; key {escape(manifest.seal.fingerprint)}, checked against "
            + ("the key given" if verification.key_given else "the key the bundle names itself")
            if manifest.seal.fingerprint
            else ""
        )
        facts.append(
            f'<p class="run">bundle {escape(manifest.bundle_id)}, sealed '
            f"{escape(manifest.sealed_at.isoformat())} by {escape(manifest.sealed_by.user)}@"
            f"{escape(manifest.sealed_by.host)}{key}</p>"
            f"<p><small>{escape(manifest.statement)}</small></p>"
        )
    problems = "".join(f"<li>{escape(str(problem))}</li>" for problem in verification.problems)
    if problems:
        facts.append(f'<ul class="problems">{problems}</ul>')
    notes = "".join(
        f'<li data-note="{note.n}"><b>{escape(note.who)}</b> <small>{escape(note.when)}'
        f"{' · signed' if note.signed else ''}</small><br>{escape(note.text)}</li>"
        for note in verification.notes
    )
    facts.append(
        "<h3>Operator notes</h3>"
        + (
            f'<ol class="operator-notes">{notes}</ol>'
            if notes
            else '<p class="empty">none added since sealing</p>'
        )
    )
    body = "".join(facts)
    return f'<section id="evidence" class="evidence"><h2>Evidence bundle</h2>{body}</section>'
