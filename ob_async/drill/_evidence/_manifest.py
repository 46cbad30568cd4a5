"""The manifest: the one file that seals a bundle, and the names of the files around it.

``manifest.json`` lists every sealed file with its SHA-256 and size, the journal chain's
genesis and head, the bundle it supersedes, and how it was sealed; ``manifest.sig`` is the
Ed25519 signature of ``manifest.json``'s exact bytes. ``notes.jsonl`` is the one file a bundle
may gain after sealing: it continues the journal's chain, so notes are appended, never slipped
in between or edited.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from ob_async._wire.codec import camel_case, describe_structure_error, parse_time
from ob_async.drill._evidence._facts import RunFacts
from ob_async.drill._journal_record import Person

FORMAT = "ob-async-evidence/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
NOTES = "notes.jsonl"
JOURNAL = "journal.jsonl"
FACTS = "facts.json"
UNSEALED_FILES = frozenset({MANIFEST, SIGNATURE, NOTES})
"""The files a manifest cannot list: itself, its signature, and what comes after sealing."""

SIGNED_STATEMENT = (
    "Signed: the manifest is signed with the Ed25519 key whose fingerprint is above; every "
    "file is listed with its SHA-256. Any change to a file, the journal chain or the "
    "manifest, by anyone without that private key, fails verification."
)
UNSIGNED_STATEMENT = (
    "Sealed by hashes only, not signed: no signing key was given. Verification finds any "
    "change to one file, or to the journal chain, against the others; it cannot prove who "
    "sealed the bundle, and someone who rewrites every file and the manifest together would "
    "not be found. Seal with a signing key (OB_EVIDENCE_SIGNING_KEY or --signing-key) for that."
)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@attrs.frozen(kw_only=True)
class SealedFile:
    path: str
    sha256: str
    bytes: int


@attrs.frozen(kw_only=True)
class ChainSeal:
    file: str
    genesis: str
    """The plan's digest: the first journal line links to it."""
    lines: int
    head: str
    """The SHA-256 of the last line: a truncated journal no longer ends here."""


@attrs.frozen(kw_only=True)
class Supersedes:
    bundle_id: str
    manifest_sha256: str


@attrs.frozen(kw_only=True)
class Seal:
    method: str
    """``ed25519`` or ``sha256-only``."""
    fingerprint: str | None = None
    public_key: str | None = None
    """The signer's raw public key, base64: verification without ``--public-key`` uses it,
    and then proves only that the bundle is whole, not whose key it is."""


@attrs.frozen(kw_only=True)
class Manifest:
    format: str
    bundle_id: str
    run_id: str
    sealed_at: datetime
    sealed_by: Person
    tool_version: str
    chain: ChainSeal
    files: tuple[SealedFile, ...]
    supersedes: Supersedes | None
    seal: Seal
    statement: str


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    converter.register_unstructure_hook(datetime, lambda moment: moment.isoformat())
    converter.register_structure_hook(datetime, lambda value, _: parse_time(value))
    for cls in (SealedFile, ChainSeal, Supersedes, Seal, Manifest, Person, RunFacts):
        names: dict[str, Any] = {
            field.name: override(rename=camel_case(field.name)) for field in attrs.fields(cls)
        }
        converter.register_unstructure_hook(cls, make_dict_unstructure_fn(cls, converter, **names))
        converter.register_structure_hook(
            cls, make_dict_structure_fn(cls, converter, _cattrs_forbid_extra_keys=True, **names)
        )
    return converter


CONVERTER = _converter()


def manifest_bytes(manifest: Manifest) -> bytes:
    return (json.dumps(CONVERTER.unstructure(manifest), indent=2) + "\n").encode()


def read_manifest(data: bytes) -> Manifest:
    """The manifest in ``data``; ValueError saying what is wrong with it."""
    try:
        body: Any = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"not JSON ({error})") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise ValueError(f"not an ob-async evidence manifest (format {FORMAT} expected)")
    try:
        return CONVERTER.structure(body, Manifest)
    except (cattrs.BaseValidationError, ValueError, TypeError) as error:
        raise ValueError(f"malformed: {describe_structure_error(error)}") from None
