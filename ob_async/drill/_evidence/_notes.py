"""Operator notes: what was done about a failure, a sign-off, appended to a sealed bundle.

A note continues the journal's chain in ``notes.jsonl`` (the first note links to the sealed
journal head), so notes can only be added after those already there. On a signed bundle each
note is signed with the same key. A note is only added to a bundle that verifies: a note
vouches for the record it follows.
"""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from pathlib import Path

from ob_async.drill._evidence._bundle import BundleError
from ob_async.drill._evidence._chain import chained_line, read_chain
from ob_async.drill._evidence._manifest import NOTES
from ob_async.drill._evidence._signing import SigningKey
from ob_async.drill._evidence._verify import Note, note_signing_bytes, verify_bundle

MAX_NOTE_CHARACTERS = 10_000


def append_note(
    directory: Path,
    text: str,
    *,
    who: str,
    signing_key: SigningKey | None = None,
    now: datetime | None = None,
) -> Note:
    """Append the note ``text`` by ``who`` to the bundle in ``directory``."""
    where = f"bundle {directory}"
    if not text.strip():
        raise BundleError("the note is empty", where=where)
    if len(text) > MAX_NOTE_CHARACTERS:
        raise BundleError(f"the note is longer than {MAX_NOTE_CHARACTERS} characters")
    verification = verify_bundle(directory, signing_key.public if signing_key else None)
    if verification.manifest is None or not verification.ok:
        found = "; ".join(str(problem) for problem in verification.problems[:3])
        raise BundleError(f"does not verify, so no note is added ({found})", where=where)
    signed = verification.manifest.seal.method == "ed25519"
    if signed and signing_key is None:
        raise BundleError(
            "is signed: a note must be signed with the same key "
            "(OB_EVIDENCE_SIGNING_KEY or --signing-key)",
            where=where,
        )
    n = len(verification.notes) + 1
    prev = _last_hash(directory, verification.manifest.chain.head)
    note = {"who": who, "when": (now or datetime.now(UTC)).isoformat(), "text": text}
    payload: dict[str, object] = {"note": note}
    if signed and signing_key is not None:
        signature = signing_key.sign(note_signing_bytes(n, prev, note))
        payload["sig"] = base64.b64encode(signature).decode()
    line = chained_line(n, prev, payload)
    descriptor = os.open(directory / NOTES, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    with os.fdopen(descriptor, "ab") as file:
        file.write(line)
        file.flush()
        os.fsync(file.fileno())
    return Note(n=n, who=who, when=note["when"], text=text, signed=signed)


def _last_hash(directory: Path, journal_head: str) -> str:
    try:
        data = (directory / NOTES).read_bytes()
    except FileNotFoundError:
        return journal_head
    lines, _ = read_chain(data, NOTES)
    return lines[-1].hash if lines else journal_head
