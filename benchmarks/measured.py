"""Run ``ob-restore ARGS`` in this process and record what the process cost.

    python -m benchmarks.measured RESULT.json ARGS...

The command runs exactly as ``python -m ob_async ARGS`` would; when it ends
(however it ends), RESULT.json receives the process's CPU time (user and system,
``time.process_time``) and its peak resident memory (``VmHWM`` of
``/proc/self/status``; None where there is no ``/proc``). Measured from inside, so
that nothing else (the simulator, the benchmark driving it) is counted.
"""

from __future__ import annotations

import json
import runpy
import sys
import time
from pathlib import Path


def peak_rss_mb() -> float | None:
    """This process's peak resident set size, in MiB (Linux)."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def main() -> None:
    result = Path(sys.argv[1])
    sys.argv = ["ob-restore", *sys.argv[2:]]
    try:
        runpy.run_module("ob_async", run_name="__main__", alter_sys=True)
    finally:
        figures = {"cpu_seconds": time.process_time(), "peak_rss_mb": peak_rss_mb()}
        result.write_text(json.dumps(figures), encoding="utf-8")


if __name__ == "__main__":
    main()
