"""Client instructions per restore POST, counted by valgrind: the CPU comparison without the noise.

    python -m benchmarks.instructions [--requests 3000] [--algorithm MD5]

CPU time on a shared machine moves by a tenth from one window to the next, which is
as large as the differences a change to the submit path makes. An instruction count
moves by 1-2% between runs (how the event loop batches answers, and when the garbage
collector runs, still depend on timing): each client (the raw aiohttp floor,
``create_restore_task``, ``submit_restore``) runs under ``valgrind --tool=cachegrind``
twice, once for ``--requests`` calls and once for a quarter of them, both after the
same warm-up, and
the difference divided by the difference in calls is what one call costs in the
client's process (its startup, imports and warm-up cancel out). The server runs
outside valgrind, as in the CPU rounds.

Instructions are not time: the interpreter runs the client's own Python code at
fewer instructions per cycle than aiohttp's compiled parts, so a ratio of CPU time
is somewhat above the ratio of instructions (``benchmarks.submit_cpu`` measures
that). Needs valgrind (Debian's ``valgrind`` package); prints what it measured.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from .common import start_minimal_server
from .throughput import _drive, open_warm

CLIENTS = ("raw-aiohttp", "ob-async-create", "ob-async-submit")
_TOTAL = re.compile(r"I\s+refs:\s+([\d,]+)")


async def _child(client_name: str, algorithm: str, requests: int) -> None:
    with start_minimal_server(algorithm) as server:
        client = await open_warm(client_name, server.url, concurrency=64, warmup=300)
        gc.collect()
        gc.freeze()  # as the CPU rounds do
        ok, failed = await _drive(client, requests, 64)
        await client.close()
    if failed:
        raise SystemExit(f"{client_name}: {failed} of {ok + failed} calls failed")


def count(client_name: str, algorithm: str, requests: int) -> int:
    """Instructions the client's process executed, all of it, for ``requests`` calls."""
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "benchmarks.instructions",
        "--child",
        client_name,
        "--algorithm",
        algorithm,
        "--requests",
        str(requests),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
    found = _TOTAL.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{client_name} under valgrind failed:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_call(client_name: str, algorithm: str, requests: int) -> float:
    fewer = requests // 4
    with ThreadPoolExecutor(2) as pool:  # the two runs at once: counts do not depend on time
        many, few = pool.map(lambda n: count(client_name, algorithm, n), (requests, fewer))
    return (many - few) / (requests - fewer)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.instructions", description=__doc__)
    parser.add_argument("--requests", type=int, default=3000, help="calls in the longer run")
    parser.add_argument("--algorithm", choices=("MD5", "SHA-256"), default="MD5")
    parser.add_argument("--child", choices=CLIENTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        asyncio.run(_child(args.child, args.algorithm, args.requests))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    figures = {name: per_call(name, args.algorithm, args.requests) for name in CLIENTS}
    floor = figures[CLIENTS[0]]
    fewer = args.requests // 4
    print(f"{args.algorithm}, instructions per call ({args.requests} calls less {fewer}):")
    for name, value in figures.items():
        print(f"  {name:18s} {value:9,.0f}  {value / floor:.3f}x the floor")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
