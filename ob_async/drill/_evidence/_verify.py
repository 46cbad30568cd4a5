"""Verifying a bundle: the signature, every file's hash, the journal chain, and the notes.

Each problem names its place (a file, a journal line, the signature) and what happened there
(edited, deleted, inserted, reordered, truncated, swapped in from another run, added after
sealing, signed by another key). A bundle verifies only when there is no problem at all.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from pathlib import Path

import attrs

from ob_async.drill._evidence._chain import (
    ChainedLine,
    chained_line,
    check_chain,
    head_of,
    read_chain,
)
from ob_async.drill._evidence._manifest import (
    MANIFEST,
    NOTES,
    SIGNATURE,
    UNSEALED_FILES,
    Manifest,
    read_manifest,
    sha256_hex,
)
from ob_async.drill._evidence._signing import VerifyKey

_JUNIT_RUN_ID = re.compile(rb'<property name="runId" value="([^"]*)"')


@attrs.frozen
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@attrs.frozen(kw_only=True)
class Note:
    n: int
    who: str
    when: str
    text: str
    signed: bool


@attrs.frozen(kw_only=True)
class Verification:
    directory: Path
    manifest: Manifest | None
    problems: tuple[Problem, ...]
    notes: tuple[Note, ...]
    key_given: bool
    """The signature was checked against a key the verifier supplied, not the bundle's own."""

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_bundle(directory: Path, public_key: VerifyKey | None = None) -> Verification:
    """Every check of the bundle in ``directory``; ``public_key`` is the key it must be signed
    with (without one, a signed bundle is checked against the key it names itself)."""
    problems: list[Problem] = []
    try:
        manifest_data = (directory / MANIFEST).read_bytes()
    except OSError as error:
        problems.append(Problem(MANIFEST, f"cannot read ({error.strerror}): not a sealed bundle"))
        return Verification(
            directory=directory,
            manifest=None,
            problems=tuple(problems),
            notes=(),
            key_given=public_key is not None,
        )
    try:
        manifest = read_manifest(manifest_data)
    except ValueError as error:
        problems.append(Problem(MANIFEST, str(error)))
        return Verification(
            directory=directory,
            manifest=None,
            problems=tuple(problems),
            notes=(),
            key_given=public_key is not None,
        )
    signer = _check_signature(directory, manifest, manifest_data, public_key, problems)
    _check_files(directory, manifest, problems)
    head = _check_journal(directory, manifest, problems)
    notes = _check_notes(directory, head, signer, problems)
    return Verification(
        directory=directory,
        manifest=manifest,
        problems=tuple(problems),
        notes=tuple(notes),
        key_given=public_key is not None,
    )


def _check_signature(
    directory: Path,
    manifest: Manifest,
    data: bytes,
    given: VerifyKey | None,
    problems: list[Problem],
) -> VerifyKey | None:
    """The key the bundle is signed with, if the signature holds."""
    signature_path = directory / SIGNATURE
    if manifest.seal.method != "ed25519":
        if signature_path.exists():
            problems.append(Problem(SIGNATURE, "present, but the manifest says unsigned"))
        if given is not None:
            problems.append(
                Problem(
                    "signature",
                    "the bundle is not signed (sealed by hashes only), so it cannot show that "
                    f"the key {given.fingerprint} sealed it",
                )
            )
        return None
    try:
        signature = base64.b64decode(signature_path.read_bytes().strip(), validate=True)
        embedded = VerifyKey.from_raw(base64.b64decode(manifest.seal.public_key or ""))
    except OSError:
        problems.append(Problem(SIGNATURE, "missing, but the manifest says signed"))
        return None
    except (binascii.Error, ValueError):
        problems.append(Problem(SIGNATURE, "not a base64 Ed25519 signature, or no public key"))
        return None
    if embedded.fingerprint != manifest.seal.fingerprint:
        problems.append(Problem(MANIFEST, "its public key does not match its fingerprint"))
    key = given or embedded
    if given is not None and given.fingerprint != manifest.seal.fingerprint:
        problems.append(
            Problem(
                "signature",
                f"sealed with the key {manifest.seal.fingerprint}, not with the key given "
                f"({given.fingerprint})",
            )
        )
        return None
    if not key.verifies(signature, data):
        problems.append(
            Problem(
                SIGNATURE,
                f"does not verify with the key {key.fingerprint}: the manifest "
                "or the signature changed after sealing",
            )
        )
        return None
    return key


def _check_files(directory: Path, manifest: Manifest, problems: list[Problem]) -> None:
    sealed = {entry.path: entry for entry in manifest.files}
    for entry in manifest.files:
        path = directory / entry.path
        try:
            data = path.read_bytes()
        except OSError:
            problems.append(Problem(entry.path, "deleted (the manifest seals it)"))
            continue
        if sha256_hex(data) != entry.sha256:
            change = (
                "changed"
                if len(data) == entry.bytes
                else (f"changed ({len(data)} bytes, {entry.bytes} sealed)")
            )
            problems.append(Problem(entry.path, f"{change} since sealing: its SHA-256 differs"))
            other_run = _run_of_report(entry.path, data)
            if other_run is not None and other_run != manifest.run_id:
                problems.append(
                    Problem(
                        entry.path,
                        f"is the report of run {other_run}, not of this bundle's run "
                        f"{manifest.run_id} (swapped in from another run)",
                    )
                )
    for path in sorted(directory.rglob("*")):
        name = path.relative_to(directory).as_posix()
        if path.is_file() and name not in sealed and name not in UNSEALED_FILES:
            problems.append(Problem(name, "not part of the sealed bundle (added after sealing)"))


def _run_of_report(name: str, data: bytes) -> str | None:
    if name.endswith(".json"):
        try:
            body = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        run = body.get("runId") if isinstance(body, dict) else None
        return run if isinstance(run, str) else None
    if name.endswith(".xml"):
        found = _JUNIT_RUN_ID.search(data)
        return found.group(1).decode(errors="replace") if found else None
    return None


def _check_journal(directory: Path, manifest: Manifest, problems: list[Problem]) -> str:
    """Check the chain; return the hash notes must follow (the sealed head)."""
    seal = manifest.chain
    try:
        data = (directory / seal.file).read_bytes()
    except OSError:
        return seal.head  # already named as deleted
    lines, damaged = read_chain(data, seal.file)
    problems.extend(_as_problem(text) for text in damaged)
    broken = [_as_problem(text) for text in check_chain(lines, seal.genesis, seal.file)]
    problems.extend(broken)
    head = head_of(lines, seal.genesis)
    if not broken and not damaged and (head.count, head.hash) != (seal.lines, seal.head):
        if head.count < seal.lines:
            what = f"truncated: {seal.lines} lines sealed, {head.count} left"
        elif head.count > seal.lines:
            what = f"{head.count - seal.lines} line(s) added after the sealed end"
        else:
            what = f"line {head.count} (the last) edited: it no longer hashes to the sealed head"
        problems.append(Problem(seal.file, what))
    first = lines[0].payload.get("entry") if lines else None
    if isinstance(first, dict) and first.get("runId") != manifest.run_id:
        problems.append(
            Problem(seal.file, f"is the journal of run {first.get('runId')}, not {manifest.run_id}")
        )
    return seal.head


def _check_notes(
    directory: Path, head: str, signer: VerifyKey | None, problems: list[Problem]
) -> list[Note]:
    try:
        data = (directory / NOTES).read_bytes()
    except FileNotFoundError:
        return []
    lines, damaged = read_chain(data, NOTES)
    problems.extend(_as_problem(text) for text in damaged)
    problems.extend(_as_problem(text) for text in check_chain(lines, head, NOTES))
    return [_note(line, signer, problems) for line in lines]


def _note(line: ChainedLine, signer: VerifyKey | None, problems: list[Problem]) -> Note:
    body = line.payload.get("note")
    note = body if isinstance(body, dict) else {}
    signature = line.payload.get("sig")
    signed = False
    if signer is not None:
        try:
            raw = base64.b64decode(signature or "", validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        signed = signer.verifies(raw, note_signing_bytes(line.n, line.prev, note))
        if not signed:
            problems.append(Problem(f"{NOTES} line {line.line}", "not signed by the bundle's key"))
    return Note(
        n=line.n,
        who=str(note.get("who", "")),
        when=str(note.get("when", "")),
        text=str(note.get("text", "")),
        signed=signed,
    )


def note_signing_bytes(n: int, prev: str, note: Mapping[str, object]) -> bytes:
    """What a note's signature covers: its chained line without the signature."""
    return chained_line(n, prev, {"note": note}).rstrip(b"\n")


def _as_problem(text: str) -> Problem:
    where, _, what = text.partition(": ")
    return Problem(where, what)
