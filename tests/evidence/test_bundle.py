"""A sealed bundle verifies; every kind of tampering is caught and named by its place."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ob_async._cli import main
from ob_async.drill._evidence import SigningKey, VerifyKey, append_note, verify_bundle
from ob_async.drill._evidence._manifest import JOURNAL, MANIFEST, NOTES, SIGNATURE
from tests.evidence.conftest import SECRET, TENANT_PASSWORD, DrillRecord, DrillRuns

Tamper = Callable[[Path, DrillRuns], None]


def seal(record: DrillRecord, directory: Path, *extra: str) -> int:
    args = ["evidence", "seal", str(record.journal), str(directory)]
    args += [arg for report in record.reports for arg in ("--report", str(report))]
    return main([*args, *extra])


@pytest.fixture(scope="module")
def signed(
    drill_runs: DrillRuns,
    signing_key: tuple[SigningKey, Path, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    directory = tmp_path_factory.mktemp("sealed") / "signed"
    assert seal(drill_runs.first, directory, "--signing-key", str(signing_key[1])) == 0
    return directory


@pytest.fixture
def copy_of_signed(signed: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(signed, copy)
    return copy


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _rewrite_lines(path: Path, change: Callable[[list[bytes]], list[bytes]]) -> None:
    path.write_bytes(b"".join(change(_lines(path))))


def _bump_a_digit(line: bytes) -> bytes:
    """One byte of a timestamp changed: the line stays JSON, only its content differs."""
    at = line.index(b'"t":"') + len(b'"t":"') + 3
    digit = line[at : at + 1]
    return line[:at] + str((int(digit) + 1) % 10).encode() + line[at + 1 :]


def _edit_one_byte(name: str) -> Tamper:
    def tamper(bundle: Path, runs: DrillRuns) -> None:
        path = bundle / name
        data = bytearray(path.read_bytes())
        middle = len(data) // 2
        data[middle] = ord("x") if data[middle] != ord("x") else ord("y")
        path.write_bytes(bytes(data))

    return tamper


def _journal(change: Callable[[list[bytes]], list[bytes]]) -> Tamper:
    def tamper(bundle: Path, runs: DrillRuns) -> None:
        _rewrite_lines(bundle / JOURNAL, change)

    return tamper


def _swap_report(name: str, source: int) -> Tamper:
    def tamper(bundle: Path, runs: DrillRuns) -> None:
        shutil.copy(runs.second.reports[source], bundle / "reports" / name)

    return tamper


def _added_file(bundle: Path, runs: DrillRuns) -> None:
    (bundle / "reports" / "extra.txt").write_text("an afterthought\n")


def _deleted_file(bundle: Path, runs: DrillRuns) -> None:
    (bundle / "facts.json").unlink()


def _manifest_sealed_later(bundle: Path, runs: DrillRuns) -> None:
    manifest = bundle / MANIFEST
    manifest.write_bytes(_bump_a_digit(manifest.read_bytes().replace(b'"sealedAt": "', b'"t":"')))
    text = manifest.read_text().replace('"t":"', '"sealedAt": "')
    manifest.write_text(text)


def _cut_mid_line(bundle: Path, runs: DrillRuns) -> None:
    data = (bundle / JOURNAL).read_bytes()
    (bundle / JOURNAL).write_bytes(data[: len(data) - 20])


TAMPERING: dict[str, tuple[Tamper, str]] = {
    "a journal line edited": (
        _journal(lambda lines: [*lines[:2], _bump_a_digit(lines[2]), *lines[3:]]),
        "journal.jsonl line 3: edited (line 4 records a different hash)",
    ),
    "the last journal line edited": (
        _journal(lambda lines: [*lines[:-1], _bump_a_digit(lines[-1])]),
        "(the last) edited: it no longer hashes to the sealed head",
    ),
    "a journal line deleted": (
        _journal(lambda lines: [*lines[:3], *lines[4:]]),
        "journal.jsonl line 4: line 4 of the chain deleted before it",
    ),
    "a journal line inserted (a copy)": (
        _journal(lambda lines: [*lines[:5], lines[1], *lines[5:]]),
        "journal.jsonl line 6: a second line 2 (inserted or copied)",
    ),
    "journal lines reordered": (
        _journal(lambda lines: [*lines[:2], lines[3], lines[2], *lines[4:]]),
        "journal.jsonl line 3: line 4 stands where line 3 belongs (reordered)",
    ),
    "the journal truncated": (
        _journal(lambda lines: lines[:-2]),
        "journal.jsonl: truncated:",
    ),
    "the journal cut off mid-line": (
        _cut_mid_line,
        "cut off mid-line",
    ),
    "the facts edited": (_edit_one_byte("facts.json"), "facts.json: changed since sealing"),
    "the plan edited": (
        _edit_one_byte("plan/data-drill.toml"),
        "plan/data-drill.toml: changed since sealing",
    ),
    "the JSON report edited": (
        _edit_one_byte("reports/report.json"),
        "reports/report.json: changed since sealing",
    ),
    "the JUnit report edited": (
        _edit_one_byte("reports/junit.xml"),
        "reports/junit.xml: changed",
    ),
    "the HTML report edited": (
        _edit_one_byte("reports/report.html"),
        "reports/report.html: changed since sealing",
    ),
    "the JSON report of another run": (
        _swap_report("report.json", 0),
        "reports/report.json: is the report of run",
    ),
    "the JUnit report of another run": (
        _swap_report("junit.xml", 1),
        "reports/junit.xml: is the report of run",
    ),
    "the manifest made unreadable": (_edit_one_byte(MANIFEST), "manifest.json: malformed"),
    "the manifest's content edited": (
        _manifest_sealed_later,
        "manifest.sig: does not verify with the key",
    ),
    "the signature edited": (_edit_one_byte(SIGNATURE), "manifest.sig"),
    "a file deleted": (_deleted_file, "facts.json: deleted (the manifest seals it)"),
    "a file added": (_added_file, "reports/extra.txt: not part of the sealed bundle"),
}


def test_an_untouched_bundle_verifies_against_its_key(
    signed: Path, signing_key: tuple[SigningKey, Path, Path]
) -> None:
    result = verify_bundle(signed, VerifyKey.from_file(signing_key[2]))
    assert result.problems == ()
    assert result.ok
    assert result.manifest is not None
    assert result.manifest.seal.fingerprint == signing_key[0].public.fingerprint
    sealed = {entry.path for entry in result.manifest.files}
    assert sealed == {
        "facts.json",
        "journal.jsonl",
        "plan/data-drill.toml",
        "reports/junit.xml",
        "reports/report.html",
        "reports/report.json",
    }


@pytest.mark.parametrize("case", TAMPERING, ids=list(TAMPERING))
def test_tampering_fails_verification_naming_the_place(
    case: str,
    copy_of_signed: Path,
    drill_runs: DrillRuns,
    signing_key: tuple[SigningKey, Path, Path],
) -> None:
    tamper, expected = TAMPERING[case]
    tamper(copy_of_signed, drill_runs)
    result = verify_bundle(copy_of_signed, VerifyKey.from_file(signing_key[2]))
    assert not result.ok
    found = [str(problem) for problem in result.problems]
    assert any(expected in problem for problem in found), found


def test_a_bundle_signed_by_another_key_fails(signed: Path, tmp_path: Path) -> None:
    from ob_async.drill._evidence import generate_key_pair

    other = generate_key_pair(tmp_path / "other.key", tmp_path / "other.pub")
    result = verify_bundle(signed, other.public)
    assert [str(p) for p in result.problems] == [
        f"signature: sealed with the key {result.manifest and result.manifest.seal.fingerprint}, "
        f"not with the key given ({other.public.fingerprint})"
    ]


def test_an_unsigned_bundle_says_so_and_fails_against_a_key(
    drill_runs: DrillRuns, signing_key: tuple[SigningKey, Path, Path], tmp_path: Path
) -> None:
    bundle = tmp_path / "unsigned"
    assert seal(drill_runs.first, bundle) == 0
    alone = verify_bundle(bundle)
    assert alone.ok
    assert alone.manifest is not None
    assert alone.manifest.seal.method == "sha256-only"
    assert alone.manifest.statement.startswith("Sealed by hashes only, not signed")
    with_key = verify_bundle(bundle, signing_key[0].public)
    assert [p.where for p in with_key.problems] == ["signature"]
    assert "the bundle is not signed" in with_key.problems[0].what


def test_a_bundle_is_never_written_over_and_a_new_seal_names_the_old(
    drill_runs: DrillRuns, signed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {path: path.read_bytes() for path in signed.rglob("*") if path.is_file()}
    assert seal(drill_runs.first, signed) == 2
    assert "is never written over" in capsys.readouterr().err
    assert {path: path.read_bytes() for path in signed.rglob("*") if path.is_file()} == before
    again = tmp_path / "again"
    assert seal(drill_runs.first, again, "--supersedes", str(signed)) == 0
    old, new = verify_bundle(signed), verify_bundle(again)
    assert old.manifest is not None
    assert new.manifest is not None
    assert new.ok
    assert new.manifest.supersedes is not None
    assert new.manifest.supersedes.bundle_id == old.manifest.bundle_id


def test_no_secret_reaches_a_bundle(drill_runs: DrillRuns, signed: Path) -> None:
    # The first drill ran with both secrets in its environment, and logged into tenants.
    items = json.loads(drill_runs.first.reports[0].read_text())["items"]
    assert all(item["rpoSeconds"] is not None for item in items)
    for path in signed.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for canary in (SECRET, TENANT_PASSWORD):
                assert canary.encode() not in data, (path, canary)
    private_pem_marker = b"PRIVATE KEY"
    assert not any(
        private_pem_marker in path.read_bytes() for path in signed.rglob("*") if path.is_file()
    )


def test_notes_continue_the_chain_signed_and_are_listed(
    copy_of_signed: Path, signing_key: tuple[SigningKey, Path, Path]
) -> None:
    key = signing_key[0]
    append_note(copy_of_signed, "tsh004 failed: backup set repaired", who="ops@dr", signing_key=key)
    append_note(copy_of_signed, "signed off", who="lead@dr", signing_key=key)
    result = verify_bundle(copy_of_signed, key.public)
    assert result.ok, result.problems
    assert [(note.n, note.who, note.text, note.signed) for note in result.notes] == [
        (1, "ops@dr", "tsh004 failed: backup set repaired", True),
        (2, "lead@dr", "signed off", True),
    ]
    notes = copy_of_signed / NOTES
    notes.write_bytes(notes.read_bytes().replace(b"signed off", b"signed of!"))
    edited = verify_bundle(copy_of_signed, key.public)
    assert [str(p) for p in edited.problems] == [
        "notes.jsonl line 2: not signed by the bundle's key"
    ]


def test_a_note_is_refused_on_a_tampered_bundle_or_without_the_bundles_key(
    copy_of_signed: Path, signing_key: tuple[SigningKey, Path, Path]
) -> None:
    from ob_async.drill._evidence import BundleError

    with pytest.raises(BundleError, match="is signed: a note must be signed with the same key"):
        append_note(copy_of_signed, "no key", who="someone")
    (copy_of_signed / "facts.json").write_text("{}\n")
    with pytest.raises(BundleError, match="does not verify, so no note is added"):
        append_note(copy_of_signed, "late", who="someone", signing_key=signing_key[0])
    assert not (copy_of_signed / NOTES).exists()


def test_a_note_slipped_between_others_is_found(
    copy_of_signed: Path, signing_key: tuple[SigningKey, Path, Path]
) -> None:
    key = signing_key[0]
    for text in ("first", "second"):
        append_note(copy_of_signed, text, who="ops", signing_key=key)
    first, second = _lines(copy_of_signed / NOTES)
    (copy_of_signed / NOTES).write_bytes(first + first + second)
    problems = [str(p) for p in verify_bundle(copy_of_signed, key.public).problems]
    assert "notes.jsonl line 2: a second line 1 (inserted or copied)" in problems


def test_the_command_line_verifies_and_exits_by_the_verdict(
    copy_of_signed: Path,
    signing_key: tuple[SigningKey, Path, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    public = str(signing_key[2])
    assert main(["evidence", "verify", str(copy_of_signed), "--public-key", public]) == 0
    out = capsys.readouterr().out
    assert "verified: every check holds" in out
    assert "checked against the key given" in out
    _journal(lambda lines: lines[:-1])(copy_of_signed, None)  # type: ignore[arg-type]
    assert main(["evidence", "verify", str(copy_of_signed), "--public-key", public]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM journal.jsonl: truncated:" in out
    assert "NOT verified: 2 problem(s)" in out


def test_a_signing_key_others_can_read_is_refused(
    drill_runs: DrillRuns,
    signing_key: tuple[SigningKey, Path, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    loose = tmp_path / "loose.key"
    shutil.copy(signing_key[1], loose)
    loose.chmod(0o644)
    assert seal(drill_runs.first, tmp_path / "b", "--signing-key", str(loose)) == 2
    err = capsys.readouterr().err
    assert f"signing key file {loose}: is accessible by group or others" in err
    assert "PRIVATE" not in err
    assert not (tmp_path / "b").exists()


def test_keygen_never_overwrites_a_key(
    signing_key: tuple[SigningKey, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    private, public = signing_key[1], signing_key[2]
    before = private.read_bytes()
    assert main(["evidence", "keygen", str(private), str(public)]) == 2
    assert "a key is never overwritten" in capsys.readouterr().err
    assert private.read_bytes() == before
    assert private.stat().st_mode & 0o077 == 0
