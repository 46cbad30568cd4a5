"""Report files are replaced whole or not at all, and a failed write leaves nothing behind."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pytest

from ob_async.drill._renderers import write_atomically


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("the previous report")

    def fails_halfway(out: IO[bytes]) -> None:
        out.write(b'{"half": ')
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, fails_halfway)
    assert target.read_text() == "the previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_write_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("the previous report")
    write_atomically(target, lambda out: out.write(b"the new report"))
    assert target.read_text() == "the new report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
