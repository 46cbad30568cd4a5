"""Every Python block of the README is a complete program that runs as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.S | re.M)


def test_the_readme_has_python_samples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.timeout(120)
@pytest.mark.parametrize("number", range(len(BLOCKS)), ids=lambda n: f"block{n + 1}")
def test_readme_block_runs_as_written(number: int, tmp_path: Path) -> None:
    source = BLOCKS[number]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OB_")}
    result = subprocess.run(
        [sys.executable, "-c", source],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
        cwd=tmp_path,  # nothing but the block itself: no repository files, no fixtures
        env=env,
    )
    assert result.returncode == 0, f"README block {number + 1} failed:\n{result.stderr}"
    assert result.stdout.strip(), "a sample shows what it did"
