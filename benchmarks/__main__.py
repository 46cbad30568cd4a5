"""``python -m benchmarks [--quick]``: the performance rules of issue 23, in one run.

1. :mod:`benchmarks.steady_rate`: at 100 requests/s, the client uses at most 10% of a core;
2. :mod:`benchmarks.drill`: a 10,000-restore drill costs at most 3 ms of client CPU per
   restore and 150 MB of peak RSS;
3. :mod:`benchmarks.ratelimit`: at the API's rate limit, at least 0.98 of it is used, at
   most 5% of answers are 429s, and measured recovery is within 4 s of the truth at p90.

The simulator always runs in a process of its own. The figures and a table of the
goals go to stdout as Markdown; the exit status is 1 when a goal is missed. ``--quick``
runs each for a short while (its figures say the code works, not what it costs).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import drill, ratelimit, steady_rate
from .common import machine, source, utc_now

FULL = {"steady_seconds": 30.0, "drill_restores": 10_000, "ratelimit_restores": 1000}
QUICK = {"steady_seconds": 5.0, "drill_restores": 500, "ratelimit_restores": 100}
BENCHMARKS = ("steady", "drill", "ratelimit")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="a short run of each")
    parser.add_argument(
        "--only", default=",".join(BENCHMARKS), help="which to run, comma-separated: %(default)s"
    )
    parser.add_argument("--steady-rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--steady-seconds", type=float, help="the measured window")
    parser.add_argument("--drill-restores", type=int, help="restores of the drill")
    parser.add_argument("--ratelimit-restores", type=int, help="restores of each scenario")
    args = parser.parse_args(argv)
    for name, value in (QUICK if args.quick else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    args.only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(args.only) - set(BENCHMARKS)
    if unknown:
        parser.error(f"--only: no benchmark named {', '.join(sorted(unknown))}")
    return args


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    words = sys.argv[1:] if argv is None else argv
    command = " ".join(["python -m benchmarks", shlex.join(words)]).strip()
    sections: list[str] = []
    goals: list[tuple[str, str, bool]] = []
    with tempfile.TemporaryDirectory(prefix="ob-async-bench-") as scratch:
        folder = Path(scratch)
        if "steady" in args.only:
            _say(f"steady rate: {args.steady_rate:g} requests/s for {args.steady_seconds:g} s ...")
            steady: dict[str, Any] = steady_rate.run(
                folder,
                rate=args.steady_rate,
                seconds=args.steady_seconds,
                warmup=2.0 if args.quick else 3.0,
            )
            sections.append(
                f"## At a steady rate (`benchmarks/steady_rate.py`)\n\n"
                f"{steady_rate.describe(steady)}.\n"
            )
            goals += steady["goals"]
        if "drill" in args.only:
            _say(f"drill: {args.drill_restores:,} restores ...")
            result = drill.run(folder, restores=args.drill_restores)
            sections.append(f"## A drill (`benchmarks/drill.py`)\n\n{drill.describe(result)}.\n")
            goals += result["goals"]
        if "ratelimit" in args.only:
            results = ratelimit.run_ratelimit(folder, restores=args.ratelimit_restores)
            table = ratelimit.render(results, command=command, restores=args.ratelimit_restores)
            sections.append(f"## At the API's rate limit (`benchmarks/ratelimit.py`)\n\n{table}")
            goals += ratelimit.goals(results)
    lines = [
        "# ob-async benchmarks",
        "",
        f"- Command: `{command}`, finished {utc_now()}"
        + (
            " (a quick run: its figures say the code works, not what it costs)"
            if args.quick
            else ""
        ),
        f"- Code: {source()}",
        f"- Machine: {machine()}",
        "",
        *sections,
        "## Goals",
        "",
        "| goal | measured | met |",
        "|---|---|---|",
        *(
            f"| {goal} | {measured} | {'yes' if met else '**no**'} |"
            for goal, measured, met in goals
        ),
    ]
    print("\n".join(lines))
    return 0 if all(met for _, _, met in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
