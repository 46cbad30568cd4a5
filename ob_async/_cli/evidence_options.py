"""``--evidence DIR`` and ``--signing-key FILE``: sealing a drill's record as it ends.

Everything the seal needs is checked before anything is sent: the directory (new, or empty,
in a place that can be written) and the signing key (an owner-only file, or the PEM in
``OB_EVIDENCE_SIGNING_KEY``; never a value on the command line). Once the run has ended
(passed, failed or interrupted: the journal holds what happened) its journal, the reports
written and the plan are sealed. A seal that fails does not change what the drill did; it
is reported as such, and the command's exit is not 0.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import attrs

from ob_async.drill._evidence import (
    SealedBundle,
    SigningKey,
    check_bundle_directory,
    facts_from_journal,
    seal_bundle,
)
from ob_async.drill._evidence._signing import ENV_SIGNING_KEY
from ob_async.drill._journal import read_journal
from ob_async.drill._plan import DrillPlan
from ob_async.errors import InvalidInputError


def add_signing_key_argument(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--signing-key",
        type=Path,
        metavar="FILE",
        help=f"an owner-only PEM Ed25519 private key (default: ${ENV_SIGNING_KEY}, if set)",
    )


def signing_key(args: argparse.Namespace) -> SigningKey | None:
    """The key to sign with: ``--signing-key FILE``, else the environment's, else none."""
    if args.signing_key is not None:
        return SigningKey.from_file(args.signing_key)
    return SigningKey.from_env()


def add_evidence_arguments(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--evidence",
        type=Path,
        metavar="DIR",
        help="when the run ends, seal its journal, reports and plan into the new bundle DIR "
        "(signed with --signing-key or $" + ENV_SIGNING_KEY + "; see ob-restore evidence)",
    )
    add_signing_key_argument(group)


@attrs.frozen
class EvidenceRequest:
    """A bundle to seal when the run ends, with the key checked already."""

    directory: Path
    key: SigningKey | None


def evidence_request(
    args: argparse.Namespace, outputs: Sequence[tuple[str, Path | None]]
) -> EvidenceRequest | None:
    """The bundle ``--evidence`` asks for, checked (none of the run's ``outputs``, each
    named by its flag, may be inside it); InvalidInputError naming what is wrong."""
    if args.evidence is None:
        if args.signing_key is not None:
            raise InvalidInputError(
                "signs a bundle: it needs --evidence DIR", where="--signing-key"
            )
        return None
    if args.dry_run:
        raise InvalidInputError(
            "a dry run sends nothing and keeps no journal: there is nothing to seal",
            where="--evidence",
        )
    check_bundle_directory(args.evidence)
    inside = args.evidence.resolve()
    for flag, path in outputs:
        if path is not None and inside in path.resolve().parents:
            raise InvalidInputError(
                f"{flag} {path} is inside it: the bundle directory holds only what is sealed",
                where=f"--evidence {args.evidence}",
            )
    return EvidenceRequest(args.evidence, signing_key(args))


def seal_run(
    request: EvidenceRequest, *, journal: Path, plan: DrillPlan, reports: Sequence[Path]
) -> SealedBundle:
    """Seal the run the journal records; InvalidInputError (or OSError) if it cannot be."""
    facts = facts_from_journal(read_journal(journal), plan=plan)
    return seal_bundle(
        request.directory,
        journal=journal,
        facts=facts,
        plan_files=[path for _, path in plan.input_files],
        reports=reports,
        signing_key=request.key,
    )


def sealed_message(sealed: SealedBundle) -> str:
    seal = sealed.manifest.seal
    how = f"signed with {seal.fingerprint}" if seal.fingerprint else "sealed by hashes only"
    return (
        f"sealed run {sealed.manifest.run_id} into {sealed.path} "
        f"({len(sealed.manifest.files)} files, {sealed.manifest.chain.lines} journal lines; "
        f"{how})"
    )
