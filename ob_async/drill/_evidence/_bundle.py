"""Sealing a bundle: copy the run's record in, chain its journal, list and sign every file.

The bundle is written into a new directory beside the target and renamed into place when it
is complete, so a bundle is either whole or absent; an existing bundle is never written to
again (sealing again means a new directory that names the old bundle).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from ob_async._version import __version__
from ob_async.drill._evidence._chain import chain, head_of, read_chain
from ob_async.drill._evidence._facts import RunFacts
from ob_async.drill._evidence._manifest import (
    CONVERTER,
    FACTS,
    FORMAT,
    JOURNAL,
    MANIFEST,
    SIGNATURE,
    SIGNED_STATEMENT,
    UNSIGNED_STATEMENT,
    ChainSeal,
    Manifest,
    Seal,
    SealedFile,
    Supersedes,
    manifest_bytes,
    read_manifest,
    sha256_hex,
)
from ob_async.drill._evidence._signing import SigningKey
from ob_async.drill._journal_record import Person
from ob_async.errors import InvalidInputError


class BundleError(InvalidInputError):
    """A bundle cannot be sealed (or noted) as asked; nothing was written."""


@attrs.frozen
class SealedBundle:
    path: Path
    manifest: Manifest


def journal_entries(journal: Path) -> tuple[list[dict[str, Any]], bool]:
    """The journal's lines as JSON objects, and whether a torn last line was left out.

    A journal's last line may be cut off by a crash mid-write (the drill's own reader ignores
    it); damage anywhere else means the journal is not the run's record, and nothing is sealed.
    """
    where = f"journal {journal}"
    try:
        data = journal.read_bytes()
    except OSError as error:
        raise BundleError(f"cannot read: {error.strerror}", where=where) from None
    lines = data.split(b"\n")
    last = lines.pop()  # b"" when the file ends with its newline
    torn = bool(last) and not _is_json(last)
    if last and not torn:
        lines.append(last)
    entries: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        entry = json.loads(line) if _is_json(line) else None
        if not isinstance(entry, dict):
            raise BundleError(f"line {number} is not a JSON object", where=where)
        entries.append(entry)
    return entries, torn


def _is_json(line: bytes) -> bool:
    try:
        json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False
    return True


def _genesis(entries: Sequence[dict[str, Any]], journal: Path) -> tuple[str, str]:
    """The run id and the plan digest from the journal's first (``run``) line."""
    first = entries[0] if entries else {}
    run_id, digest = first.get("runId"), first.get("planDigest")
    if first.get("event") != "run" or not isinstance(run_id, str) or not isinstance(digest, str):
        raise BundleError(
            "does not start with the run's line (event, runId, planDigest): "
            "is this a drill journal?",
            where=f"journal {journal}",
        )
    return run_id, digest


def check_bundle_directory(directory: Path) -> None:
    """BundleError unless a bundle can be sealed into ``directory``: new (or empty), in a
    place this process can create it."""
    _target(directory)
    ancestor = directory.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise BundleError(f"cannot be created: {ancestor} is not a directory", where=str(directory))
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise BundleError(f"cannot be created: cannot write in {ancestor}", where=str(directory))


def _target(directory: Path) -> None:
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BundleError(
            "exists and is not an empty directory: a bundle is never written over "
            "(seal into a new directory; --supersedes names the old bundle)",
            where=str(directory),
        )


def _unique_names(paths: Sequence[Path], folder: str) -> dict[str, Path]:
    named: dict[str, Path] = {}
    for path in paths:
        name = f"{folder}/{path.name}"
        if name in named:
            raise BundleError(f"two files are named {path.name}", where=folder)
        if not path.is_file():
            raise BundleError("is not a readable file", where=str(path))
        named[name] = path
    return named


def _supersedes(previous: Path | None) -> Supersedes | None:
    if previous is None:
        return None
    where = f"superseded bundle {previous}"
    try:
        data = (previous / MANIFEST).read_bytes()
        old = read_manifest(data)
    except OSError as error:
        raise BundleError(f"cannot read its manifest: {error.strerror}", where=where) from None
    except ValueError as error:
        raise BundleError(f"its manifest is {error}", where=where) from None
    return Supersedes(bundle_id=old.bundle_id, manifest_sha256=sha256_hex(data))


def seal_bundle(
    directory: Path,
    *,
    journal: Path,
    facts: RunFacts,
    plan_files: Sequence[Path],
    reports: Sequence[Path] = (),
    signing_key: SigningKey | None = None,
    supersedes: Path | None = None,
    now: datetime | None = None,
) -> SealedBundle:
    """Seal the run recorded in ``journal`` into the new bundle ``directory``."""
    _target(directory)
    entries, _torn = journal_entries(journal)
    run_id, genesis = _genesis(entries, journal)
    if facts.run_id != run_id:
        raise BundleError(f"the facts are of run {facts.run_id}, the journal of {run_id}")
    copies = {**_unique_names(plan_files, "plan"), **_unique_names(reports, "reports")}
    contents: dict[str, bytes] = {name: path.read_bytes() for name, path in copies.items()}
    chained = chain([{"entry": entry} for entry in entries], genesis)
    contents[JOURNAL] = b"".join(chained)
    contents[FACTS] = (json.dumps(CONVERTER.unstructure(facts), indent=2) + "\n").encode()
    journal_lines, _ = read_chain(contents[JOURNAL], JOURNAL)
    head = head_of(journal_lines, genesis)
    seal = (
        Seal(
            method="ed25519",
            fingerprint=signing_key.public.fingerprint,
            public_key=_b64(signing_key.public.raw),
        )
        if signing_key
        else Seal(method="sha256-only")
    )
    manifest = Manifest(
        format=FORMAT,
        bundle_id=str(uuid.uuid4()),
        run_id=run_id,
        sealed_at=now or datetime.now(UTC),
        sealed_by=Person.current(),
        tool_version=__version__,
        chain=ChainSeal(file=JOURNAL, genesis=genesis, lines=head.count, head=head.hash),
        files=tuple(
            SealedFile(path=name, sha256=sha256_hex(data), bytes=len(data))
            for name, data in sorted(contents.items())
        ),
        supersedes=_supersedes(supersedes),
        seal=seal,
        statement=SIGNED_STATEMENT if signing_key else UNSIGNED_STATEMENT,
    )
    contents[MANIFEST] = manifest_bytes(manifest)
    if signing_key:
        contents[SIGNATURE] = (_b64(signing_key.sign(contents[MANIFEST])) + "\n").encode()
    _write_whole(directory, contents)
    return SealedBundle(directory, manifest)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _write_whole(directory: Path, contents: dict[str, bytes]) -> None:
    """Write every file into a sibling directory, then rename it into place."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    partial = directory.with_name(f".{directory.name}.partial-{uuid.uuid4().hex[:8]}")
    try:
        for name, data in contents.items():
            path = partial / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
        if directory.exists():
            directory.rmdir()  # empty, as _target checked
        partial.rename(directory)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
