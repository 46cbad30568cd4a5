"""Two real drills against a simulator process, whose records the evidence tests seal."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from ob_async.drill._evidence import SigningKey, generate_key_pair
from tests.cli.support import SECRET, SimulatorProcess, run_drill, simulator

ROOT = Path(__file__).resolve().parents[2]
TENANT_PASSWORD = "Tenant-Canary-Pw-51c0e"


@attrs.frozen
class DrillRecord:
    """One finished drill: its journal, its plan and every report it wrote."""

    plan: Path
    journal: Path
    reports: tuple[Path, ...]


@attrs.frozen
class DrillRuns:
    first: DrillRecord
    second: DrillRecord
    endpoint: str


def _run(sim: SimulatorProcess, folder: Path, plan_source: Path) -> DrillRecord:
    folder.mkdir()
    plan = folder / plan_source.name
    shutil.copy(plan_source, plan)
    journal, json_report, junit, html = (
        folder / name for name in ("drill.jsonl", "report.json", "junit.xml", "report.html")
    )
    done = run_drill(
        plan,
        sim,
        "--journal",
        str(journal),
        "--report-json",
        str(json_report),
        "--junit",
        str(junit),
        "--html",
        str(html),
    )
    assert done.returncode == 0, done.stderr
    return DrillRecord(plan, journal, (json_report, junit, html))


@pytest.fixture(scope="package")
def drill_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DrillRuns]:
    """A data drill (checks and RPO, over MySQL, with a tenant password) and a plain one."""
    folder = tmp_path_factory.mktemp("drills")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("OB_TENANT_PASSWORD", TENANT_PASSWORD)
        with simulator("--restore-seconds", "0.2") as sim:
            first = _run(sim, folder / "data", ROOT / "examples" / "data-drill.toml")
            second = _run(sim, folder / "weekly", ROOT / "examples" / "weekly-drill.toml")
            yield DrillRuns(first, second, sim.url)


@pytest.fixture(scope="package")
def signing_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[SigningKey, Path, Path]:
    folder = tmp_path_factory.mktemp("keys")
    private, public = folder / "evidence.key", folder / "evidence.pub"
    return generate_key_pair(private, public), private, public


__all__ = ["SECRET", "TENANT_PASSWORD", "DrillRecord", "DrillRuns"]
