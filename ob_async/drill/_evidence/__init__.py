"""Evidence an auditor accepts: a drill's record sealed so that any later edit is found.

A bundle is a directory holding the drill's journal as a hash chain (each line carries the
SHA-256 of the line before it; the first, the plan's digest), every report of the run, the
plan as run, the tool's version, the facts of the run, and a manifest of every file's SHA-256,
signed with an Ed25519 key when one is given. Operator notes continue the chain in a file of
their own. A sealed bundle is never rewritten: sealing again makes a new bundle naming the old.
"""

from ob_async.drill._evidence._bundle import (
    BundleError,
    SealedBundle,
    check_bundle_directory,
    seal_bundle,
)
from ob_async.drill._evidence._facts import RunFacts, facts_from_journal, origin_of
from ob_async.drill._evidence._notes import append_note
from ob_async.drill._evidence._signing import SigningKey, VerifyKey, generate_key_pair
from ob_async.drill._evidence._verify import Note, Problem, Verification, verify_bundle
from ob_async.drill._journal_record import Person

__all__ = [
    "BundleError",
    "Note",
    "Person",
    "Problem",
    "RunFacts",
    "SealedBundle",
    "SigningKey",
    "Verification",
    "VerifyKey",
    "append_note",
    "check_bundle_directory",
    "facts_from_journal",
    "generate_key_pair",
    "origin_of",
    "seal_bundle",
    "verify_bundle",
]
