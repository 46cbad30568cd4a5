"""The code samples of the README and of the documentation pages run as written.

Every Python block is a complete program, run in a directory of its own with nothing but
the block; every TOML block parses; the README's drill plan passes `ob-restore drill
--dry-run` against the embedded simulator (validation and pre-flight, nothing sent).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = (README, *sorted((ROOT / "docs").rglob("*.md")))


def blocks(language: str, pages: tuple[Path, ...] = PAGES) -> dict[str, str]:
    """Each page's ``language`` blocks, by ``page:number`` (1-based, per page)."""
    found = {}
    for page in pages:
        text = page.read_text(encoding="utf-8")
        pattern = rf"^```{language}\n(.*?)^```"
        for number, block in enumerate(re.findall(pattern, text, re.S | re.M), start=1):
            found[f"{page.relative_to(ROOT)}:{number}"] = block
    return found


# The README's and the library guide's samples are each a complete program, run as written;
# the other pages' (the Airflow page's DAG, built up in steps that need a DAG around them)
# are compiled, so a sample that no longer parses fails too.
_WHOLE = ("README.md:", "docs/library.md:")
PYTHON = {name: code for name, code in blocks("python").items() if name.startswith(_WHOLE)}
FRAGMENTS = {name: code for name, code in blocks("python").items() if name not in PYTHON}
# A block that quotes a repository file (`--8<--`) is that file, tested where it is used.
TOML = {name: text for name, text in blocks("toml").items() if "--8<--" not in text}


def test_the_readme_stays_an_introduction() -> None:
    # What it is, the two Quick start commands, one library and one drill example, links:
    # everything else belongs in a page of docs/.
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200
    assert text.count("```python\n") == 1
    quick_start = text.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^```sh\n(.*?)\n```", quick_start, re.S | re.M) == [
        "./dev drill",
        "./dev test",
    ]


def test_the_readme_and_the_guide_have_python_samples() -> None:
    assert any(name.startswith("README.md:") for name in PYTHON)
    assert sum(name.startswith("docs/library.md:") for name in PYTHON) >= 3


def _without_ob_variables() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("OB_")}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(PYTHON))
def test_python_sample_runs_as_written(name: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PYTHON[name]],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
        cwd=tmp_path,  # nothing but the block itself: no repository files, no fixtures
        env=_without_ob_variables(),
    )
    assert result.returncode == 0, f"{name} failed:\n{result.stderr}"
    assert result.stdout.strip(), "a sample shows what it did"


@pytest.mark.parametrize("name", sorted(FRAGMENTS))
def test_python_fragment_compiles(name: str) -> None:
    compile(FRAGMENTS[name], name, "exec")


@pytest.mark.parametrize("name", sorted(TOML))
def test_toml_sample_parses(name: str) -> None:
    tomllib.loads(TOML[name])


@pytest.mark.timeout(120)
def test_the_readmes_drill_plan_passes_a_dry_run(tmp_path: Path) -> None:
    [plan] = blocks("toml", (README,)).values()
    (tmp_path / "weekly.toml").write_text(plan, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "ob_async", "drill", "weekly.toml", "--simulate", "--dry-run"],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
        cwd=tmp_path,
        env=_without_ob_variables(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 planned, 0 failed pre-flight" in result.stdout
