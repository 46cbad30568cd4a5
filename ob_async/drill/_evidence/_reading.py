"""A sealed bundle read back as a drill report: its journal unchained, its plan, its notes.

Operator notes are added to a bundle after it is sealed (``notes.jsonl`` continues the
journal's chain), so the reports sealed inside it cannot show them: a report rendered from
the bundle can. The report is rebuilt from the bundle's journal (the record; the reports
beside it are projections of it), with the plan sealed beside it when it is the plan the
journal was written by, and shown with what verifying the bundle found.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import attrs

from ob_async.drill._evidence._chain import read_chain
from ob_async.drill._evidence._signing import VerifyKey
from ob_async.drill._evidence._verify import Verification, verify_bundle
from ob_async.drill._journal import read_journal
from ob_async.drill._plan import DrillPlan, load_plan
from ob_async.drill._rebuild import report_from_journal
from ob_async.drill._report import DrillReport
from ob_async.errors import InvalidInputError


@attrs.frozen
class BundleReport:
    report: DrillReport
    verification: Verification


def report_of_bundle(directory: Path, public_key: VerifyKey | None = None) -> BundleReport:
    """The report of the run sealed in ``directory``, and the bundle's verification."""
    verification = verify_bundle(directory, public_key)
    manifest = verification.manifest
    if manifest is None:
        raise InvalidInputError(
            "; ".join(str(problem) for problem in verification.problems),
            where=f"bundle {directory}",
        )
    lines, damaged = read_chain(_read(directory / manifest.chain.file), manifest.chain.file)
    if damaged:
        raise InvalidInputError(damaged[0], where=f"bundle {directory}")
    with tempfile.TemporaryDirectory() as scratch:
        journal = Path(scratch) / "journal.jsonl"
        journal.write_text("".join(json.dumps(line.payload.get("entry")) + "\n" for line in lines))
        plan = _sealed_plan(directory, journal)
        report = report_from_journal(
            journal, plan=plan, journal_name=f"the journal sealed in the bundle {directory}"
        )
    return BundleReport(report, verification)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InvalidInputError(f"cannot read: {error.strerror}", where=str(path)) from None


def _sealed_plan(directory: Path, journal: Path) -> DrillPlan | None:
    """The plan sealed in the bundle, if it is the one the journal was written by."""
    run = read_journal(journal).run
    if not run.plan:
        return None
    candidate = directory / "plan" / Path(run.plan).name
    if not candidate.is_file():
        return None
    try:
        plan = load_plan(candidate, simulated=True)  # no password is needed to read it
    except InvalidInputError:
        return None
    return plan if plan.digest == run.plan_digest else None
