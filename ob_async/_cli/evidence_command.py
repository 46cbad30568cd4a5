"""``ob-restore evidence``: seal a drill's record, verify it, add notes, make a signing key."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ob_async._cli.evidence_options import add_signing_key_argument, sealed_message, signing_key
from ob_async._cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from ob_async._cli.help import add_command
from ob_async._cli.output_options import path_problem
from ob_async.drill._evidence import (
    Person,
    RunFacts,
    VerifyKey,
    append_note,
    facts_from_journal,
    generate_key_pair,
    seal_bundle,
    verify_bundle,
)
from ob_async.drill._evidence._reading import report_of_bundle
from ob_async.drill._evidence._signing import ENV_SIGNING_KEY
from ob_async.drill._journal import read_journal
from ob_async.drill._plan import DrillPlan, load_plan
from ob_async.drill._renderers.files import write_atomically
from ob_async.drill._renderers.html import write_html
from ob_async.errors import InvalidInputError

DESCRIPTION = f"""
Evidence an auditor accepts. `seal` copies a drill's journal (as a hash chain:
each line carries the SHA-256 of the line before it), its reports, its plan and
the facts of the run into a new directory, with a manifest of every file's
SHA-256 signed by an Ed25519 key ({ENV_SIGNING_KEY} holds the PEM, or
--signing-key names an owner-only file; without a key the bundle is sealed by
hashes only, and says so). `verify` checks the signature, every file and the
chain, and names whatever was changed. `note` appends an operator's note to the
chain; `report` renders the bundle's HTML report with its verification and its
notes. `keygen` makes a key pair. A sealed bundle is never rewritten.
"""

EXAMPLES = (
    (
        "make a signing key (once), then seal last night's drill",
        "ob-restore evidence keygen /etc/ob-dr/ev.key /etc/ob-dr/ev.pub\n"
        "ob-restore evidence seal runs/w49.jsonl evidence/2026-W49 \\\n"
        "    --report runs/w49.json --report runs/w49.xml \\\n"
        "    --report runs/w49.html --signing-key /etc/ob-dr/ev.key",
    ),
    (
        "check a bundle against the key it must be signed with",
        "ob-restore evidence verify evidence/2026-W49 \\\n    --public-key /etc/ob-dr/ev.pub",
    ),
    (
        "record what was done about a failure",
        "ob-restore evidence note evidence/2026-W49 \\\n"
        '    "tsh004 failed: backup set repaired, re-run OK" \\\n'
        "    --signing-key /etc/ob-dr/ev.key",
    ),
)


def register(subparsers: Any) -> None:
    parser = add_command(
        subparsers,
        "evidence",
        summary="seal a drill's record as evidence, verify it, add notes",
        description=DESCRIPTION,
        examples=EXAMPLES,
        codes=(
            (EXIT_OK, "done; for verify, the bundle holds in every respect"),
            (EXIT_FAILED, "verify (or report) found a problem (each is named)"),
            (EXIT_BAD_INPUT, "bad input: a missing file, an existing directory, a bad key"),
        ),
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    seal = actions.add_parser("seal", help="seal a drill's journal and reports into DIR")
    seal.add_argument("journal", type=Path, metavar="JOURNAL", help="the drill's journal")
    seal.add_argument("directory", type=Path, metavar="DIR", help="the new bundle's directory")
    seal.add_argument(
        "--plan",
        type=Path,
        metavar="PLAN.toml",
        help="the plan as run (default: the one the journal names)",
    )
    seal.add_argument(
        "--report",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a report of the run to seal with it (repeatable)",
    )
    seal.add_argument(
        "--endpoint",
        metavar="URL",
        help="the API endpoint, for a journal that does not record it (written by an older "
        "ob-restore; default OB_ENDPOINT)",
    )
    seal.add_argument(
        "--project-id",
        metavar="ID",
        help="the project, for a journal that does not record it (default OB_PROJECT_ID)",
    )
    seal.add_argument(
        "--supersedes", type=Path, metavar="OLD_DIR", help="the bundle this one replaces"
    )
    add_signing_key_argument(seal)
    seal.set_defaults(handler=run_seal)

    verify = actions.add_parser("verify", help="check a bundle; exit 0 only if all holds")
    verify.add_argument("directory", type=Path, metavar="DIR")
    verify.add_argument(
        "--public-key",
        type=Path,
        metavar="FILE",
        help="the PEM public key it must be signed with (default: the key it names itself, "
        "which proves only that it is whole)",
    )
    verify.set_defaults(handler=run_verify)

    note = actions.add_parser("note", help="append an operator's note to a bundle")
    note.add_argument("directory", type=Path, metavar="DIR")
    note.add_argument("text", metavar="TEXT", help="the note")
    note.add_argument("--by", metavar="NAME", help="who writes it (default: user@host)")
    add_signing_key_argument(note)
    note.set_defaults(handler=run_note)

    report = actions.add_parser(
        "report", help="the HTML report of a bundle: its verification and operator notes"
    )
    report.add_argument("directory", type=Path, metavar="DIR")
    report.add_argument(
        "--html", type=Path, required=True, metavar="FILE", help="write the HTML report to FILE"
    )
    report.add_argument(
        "--public-key", type=Path, metavar="FILE", help="the PEM public key it must be signed with"
    )
    report.set_defaults(handler=run_report)

    keygen = actions.add_parser("keygen", help="make an Ed25519 key pair for sealing")
    keygen.add_argument("private", type=Path, metavar="PRIVATE", help="new owner-only key file")
    keygen.add_argument("public", type=Path, metavar="PUBLIC", help="new public key file")
    keygen.set_defaults(handler=run_keygen)


def run_seal(args: argparse.Namespace) -> int:
    try:
        key = signing_key(args)
        plan = _plan(args)
        facts = _facts(args, plan)
        sealed = seal_bundle(
            args.directory,
            journal=args.journal,
            facts=facts,
            plan_files=[path for _, path in plan.input_files] if plan else [],
            reports=args.report,
            signing_key=key,
            supersedes=args.supersedes,
        )
    except InvalidInputError as error:
        print(f"ob-restore evidence seal: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(sealed_message(sealed))
    return EXIT_OK


def _plan(args: argparse.Namespace) -> DrillPlan | None:
    candidates = [args.plan] if args.plan else []
    if not candidates:
        named = read_journal(args.journal).run.plan
        if named:
            candidates = [Path(named), args.journal.parent / named]
    for candidate in candidates:
        if candidate.is_file():
            # The plan's tenant password is not needed to read who restored what where.
            return load_plan(candidate, simulated=True)
    if args.plan:
        raise InvalidInputError("cannot read: no such file", where=f"plan {args.plan}")
    return None


def _facts(args: argparse.Namespace, plan: DrillPlan | None) -> RunFacts:
    return facts_from_journal(
        read_journal(args.journal),
        plan=plan,
        endpoint=args.endpoint or os.environ.get("OB_ENDPOINT"),
        project_id=args.project_id or os.environ.get("OB_PROJECT_ID"),
    )


def run_verify(args: argparse.Namespace) -> int:
    try:
        key = VerifyKey.from_file(args.public_key) if args.public_key else None
    except InvalidInputError as error:
        print(f"ob-restore evidence verify: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    result = verify_bundle(args.directory, key)
    manifest = result.manifest
    if manifest is not None:
        print(f"bundle {manifest.bundle_id}: run {manifest.run_id}, sealed {manifest.sealed_at}")
        print(f"  {manifest.statement}")
        if manifest.seal.fingerprint:
            whose = "the key given" if result.key_given else "the key the bundle names itself"
            print(f"  key {manifest.seal.fingerprint}, checked against {whose}")
        if manifest.supersedes:
            print(f"  supersedes bundle {manifest.supersedes.bundle_id}")
    for note in result.notes:
        print(f"  note {note.n} by {note.who} at {note.when}: {note.text}")
    for problem in result.problems:
        print(f"PROBLEM {problem}")
    print(
        "verified: every check holds"
        if result.ok
        else f"NOT verified: {len(result.problems)} problem(s)"
    )
    return EXIT_OK if result.ok else EXIT_FAILED


def run_note(args: argparse.Namespace) -> int:
    try:
        key = signing_key(args)
        me = Person.current()
        note = append_note(
            args.directory, args.text, who=args.by or f"{me.user}@{me.host}", signing_key=key
        )
    except InvalidInputError as error:
        print(f"ob-restore evidence note: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"note {note.n} added to {args.directory}" + (" (signed)" if note.signed else ""))
    return EXIT_OK


def run_report(args: argparse.Namespace) -> int:
    """The run's report rebuilt from the bundle, with what verifying it found and its notes."""
    problem = path_problem("--html", args.html)
    if problem is not None:
        print(f"ob-restore evidence report: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        key = VerifyKey.from_file(args.public_key) if args.public_key else None
        found = report_of_bundle(args.directory, key)
    except InvalidInputError as error:
        print(f"ob-restore evidence report: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        write_atomically(
            args.html, lambda out: write_html(found.report, out, bundle=found.verification)
        )
    except OSError as error:
        print(
            f"ob-restore evidence report: cannot write {args.html}: {error.strerror}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    finally:
        found.report.close()
    verification = found.verification
    print(
        f"wrote {args.html}: bundle "
        + (
            "verified"
            if verification.ok
            else f"NOT verified ({len(verification.problems)} problem(s))"
        )
        + f", {len(verification.notes)} operator note(s)"
    )
    return EXIT_OK if verification.ok else EXIT_FAILED


def run_keygen(args: argparse.Namespace) -> int:
    try:
        key = generate_key_pair(args.private, args.public)
    except InvalidInputError as error:
        print(f"ob-restore evidence keygen: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"wrote {args.private} (owner-only) and {args.public}: key {key.public.fingerprint}")
    return EXIT_OK
