"""Loading a plan costs work in proportion to its size (issue 11: 8,000 inline
``[[restore]]`` tables took about 16x the time of 1,000, because the line of each
restore was looked up by scanning every header of the file).

The work is counted, not timed: the lines of ``ob_async/drill/_plan`` the
interpreter executes (a loop's every turn counts), which is the same on every
machine and every run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from ob_async.drill._plan import PlanError, load_plan

_PLAN_CODE = str(Path(__file__).resolve().parents[2] / "ob_async" / "drill" / "_plan")


def _plan(restores: int, extra: str) -> str:
    head = (
        '[drill]\nname = "scale"\n\n[defaults]\ntarget_instance_id = "ob-dr"\n'
        'target_tenant_primary_zone = "z1"\ncpu = 1\nmemory = 4\nunit_num = 1\n'
        'restore_time = "2026-01-01T00:00:00Z"\n'
    )
    body = "".join(
        f'\n[[restore]]\nsource_instance_id = "ob-src"\nsource_tenant_id = "t{n}"\n'
        f'target_tenant_name = "t{n}_dr"\n{extra}'
        for n in range(restores)
    )
    return head + body


def _lines_executed(load: Callable[[], Any]) -> int:
    """How many lines of the plan package run while ``load()`` does."""
    count = 0

    def local(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        return local if frame.f_code.co_filename.startswith(_PLAN_CODE) else None

    sys.settrace(trace)
    try:
        load()
    finally:
        sys.settrace(None)
    return count


def _load(path: Path, *, valid: bool) -> None:
    if valid:
        assert load_plan(path).item_count > 0
        return
    with pytest.raises(PlanError) as raised:
        load_plan(path)
    assert all(p.line is not None for p in raised.value.problems)  # each placed at its line


@pytest.mark.parametrize(
    ("extra", "valid"),
    [
        pytest.param("", True, id="valid"),
        pytest.param("cpux = 2\n", False, id="an-unknown-key-in-every-restore"),
    ],
)
def test_loading_eight_times_the_restores_costs_about_eight_times_the_work(
    tmp_path: Path, extra: str, valid: bool
) -> None:
    small, large = tmp_path / "small.toml", tmp_path / "large.toml"
    small.write_text(_plan(250, extra))
    large.write_text(_plan(2000, extra))
    small_work = _lines_executed(lambda: _load(small, valid=valid))
    large_work = _lines_executed(lambda: _load(large, valid=valid))
    assert small_work > 0
    assert large_work / small_work < 8 * 1.25, (small_work, large_work)
