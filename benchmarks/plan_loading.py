"""How plan loading scales: the time to load and check N inline ``[[restore]]`` tables.

    python -m benchmarks.plan_loading [--sizes 1000,8000] [--rounds 3]

Loading must be linear in the plan's size (issue 11: 8,000 tables took about 16x
the time of 1,000 while the line of each restore was found by scanning every
header). Prints, per size, the best time over the rounds and the time per
restore; the per-restore times of the sizes should match within noise.
(``tests/drill/test_plan_scaling.py`` pins linearity by counting work, not time.)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from ob_async.drill._plan import load_plan


def plan_text(restores: int) -> str:
    head = (
        '[drill]\nname = "bench"\n\n[defaults]\ntarget_instance_id = "ob-dr"\n'
        'target_tenant_primary_zone = "z1"\ncpu = 1\nmemory = 4\nunit_num = 1\n'
        'restore_time = "2026-01-01T00:00:00Z"\n'
    )
    return head + "".join(
        f'\n[[restore]]\nsource_instance_id = "ob-src"\nsource_tenant_id = "t{n}"\n'
        f'target_tenant_name = "t{n}_dr"\n'
        for n in range(restores)
    )


def best_load_seconds(path: Path, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        load_plan(path)
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.plan_loading")
    parser.add_argument("--sizes", default="1000,8000", help="comma-separated restore counts")
    parser.add_argument("--rounds", type=int, default=3, help="loads per size (best is kept)")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path = Path(folder) / f"plan-{size}.toml"
            path.write_text(plan_text(size), encoding="utf-8")
            seconds = best_load_seconds(path, args.rounds)
            per_restore = seconds / size * 1e6
            results.append({"restores": size, "seconds": seconds, "usPerRestore": per_restore})
    smallest = results[0]
    for result in results:
        result["timeRatio"] = result["seconds"] / smallest["seconds"]
        result["sizeRatio"] = result["restores"] / smallest["restores"]
        print(
            f"{result['restores']:>7} restores: {result['seconds']:.3f} s, "
            f"{result['usPerRestore']:.0f} us/restore, {result['timeRatio']:.1f}x the time "
            f"for {result['sizeRatio']:.0f}x the restores",
            file=sys.stderr,
        )
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
